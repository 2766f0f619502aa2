"""POST /api/v1/auth/token: exchange a username and password for the user's API token."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.renderers import JSONRenderer

from vividly.api.parsers import JSONParser
from vividly.api.schema import error_responses
from vividly.api.throttling import LoginThrottle


class TokenView(ObtainAuthToken):
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        operation_id="auth_token",
        tags=["auth"],
        auth=[],
        responses={
            200: inline_serializer(name="TokenResponse", fields={"token": serializers.CharField()}),
            **error_responses(400, 429),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
