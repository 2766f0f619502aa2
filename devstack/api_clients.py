"""API clients for tests: one authenticated with a given Authorization header."""

from rest_framework.test import APIClient


def client_with(header: str) -> APIClient:
    """Return an APIClient that sends `Authorization: <header>` on every request."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    return api
