"""Authentication: user tokens (`Authorization: Token <key>`, django-rest-knox) and service tokens (`Bearer`)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from vividly.accounts.services import ServicePrincipal, service_token_authenticate, user_token_authenticate


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ServicePrincipal, Any] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Bearer header: expected one token.")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid Bearer token.") from exc
        principal = service_token_authenticate(raw_key=raw_key)
        if principal is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked service token.")
        return principal, principal

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class UserTokenAuthentication(KnoxTokenAuthentication):
    """knox's header parsing (`Token <key>`); the lookup is ours: validated tokens are memoised
    per process until their expiry or the next revocation (vividly.accounts.services)."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        try:
            key = token.decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        found = user_token_authenticate(key=key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        return found.user, found.token


class UserTokenScheme(OpenApiAuthenticationExtension):
    target_class = UserTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "For the student and teacher app: send `Authorization: Token <key>` with the key "
            "from `POST /api/v1/auth/token`. The key expires at its `expires_at`; `DELETE /api/v1/auth/token` "
            "logs it out. In Swagger's Authorize dialog type the whole value, `Token ` and then the key.",
        }
