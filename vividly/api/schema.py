"""OpenAPI pieces drf-spectacular cannot infer: our auth scheme and the error body."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "vividly.api.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A service token (`vsk_…`)."}


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Return schema entries documenting the error body for each status."""
    return {status: OpenApiResponse(ErrorSerializer) for status in statuses}


class BodyOnDeleteSchema(AutoSchema):
    """Document the request body of a DELETE as well (drf-spectacular only does PUT, PATCH, POST).

    For views whose DELETE takes its arguments from a JSON body (or the query string).
    """

    def _get_request_body(self, direction: str = "request"):
        method = self.method
        if method == "DELETE":
            self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = method
