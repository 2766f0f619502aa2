"""/api/v1/auth/token: POST exchanges a username and password for an expiring token; DELETE logs out.

Logging in takes no credentials but the password: a token sent along is ignored, so it
cannot lift the login's limits. Failures are limited per username and per client address
(vividly.accounts.login_limits), and every request per address (LoginThrottle).
"""

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from vividly.accounts.login_limits import login_attempt_allow, login_failure_record
from vividly.accounts.services import user_token_create, user_token_delete
from vividly.api.authentication import UserTokenAuthentication
from vividly.api.client_address import client_key
from vividly.api.parsers import JSONParser
from vividly.api.permissions import IsUser
from vividly.api.schema import STUDENTS_AND_TEACHERS, error_responses
from vividly.api.throttling import LoginThrottle, UserThrottle
from vividly.errors import InvalidInput


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenView(APIView):
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    logging_out = False

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # The credentials that apply depend on the method: decide before DRF builds its Request
        # (drf-spectacular builds one per method the same way when it documents the view).
        self.logging_out = request.method == "DELETE"
        return super().initialize_request(request, *args, **kwargs)

    def get_authenticators(self) -> list:
        return [UserTokenAuthentication()] if self.logging_out else []

    def get_permissions(self) -> list[BasePermission]:
        return [IsUser()] if self.logging_out else [AllowAny()]

    def get_throttles(self) -> list[BaseThrottle]:
        return [UserThrottle()] if self.logging_out else [LoginThrottle()]

    @extend_schema(
        operation_id="auth_token",
        tags=[STUDENTS_AND_TEACHERS],
        summary="Sign in: exchange a username and password for a token",
        description="Send the person's username and password; the answer holds a token to send as "
        "`Authorization: Token <key>` on every other call, and when it expires (`expires_at`). Each sign-in "
        "makes a new token. Wrong credentials are a 400. Repeated failures for one username (or from one "
        "address) are refused for a while with 429 and `Retry-After`, even with the right password.",
        auth=[],
        request=LoginSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429, 503)},
    )
    def post(self, request: Request) -> Response:
        login = LoginSerializer(data=request.data)
        login.is_valid(raise_exception=True)
        username, password = login.validated_data["username"], login.validated_data["password"]
        address = client_key(request)
        login_attempt_allow(username=username, address=address)
        user = authenticate(request, username=username, password=password)
        if user is None:
            login_failure_record(username=username, address=address)
            raise InvalidInput(
                "Unable to log in with the provided credentials.",
                details={"non_field_errors": ["Unable to log in with the provided credentials."]},
            )
        token, key = user_token_create(user=user)
        return Response(TokenSerializer({"token": key, "expires_at": token.expiry}).data)

    @extend_schema(
        operation_id="auth_logout",
        tags=[STUDENTS_AND_TEACHERS],
        summary="Sign out: end the token this call is made with",
        description="The token sent with this call stops working at once (in every server within a second); "
        "the person's other tokens (other devices) keep working. No body; 204.",
        request=None,
        responses={204: None, **error_responses(401)},
    )
    def delete(self, request: Request) -> Response:
        user_token_delete(token=request.auth)
        return Response(status=204)
