"""Service-token authentication for /internal/ (`Authorization: Bearer <token>`)."""

from typing import Any

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
            raise exceptions.AuthenticationFailed("Invalid or revoked service token.")
        return principal, principal

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class UserTokenAuthentication(authentication.TokenAuthentication):
    """DRF token auth (`Authorization: Token <key>`) with validated tokens remembered briefly."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        found = user_token_authenticate(key=key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return found
