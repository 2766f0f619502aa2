"""Base views: which callers reach /internal/ and which reach the public API."""

from typing import Any

from rest_framework.views import APIView

from vividly.api.authentication import ServiceTokenAuthentication, UserTokenAuthentication
from vividly.api.permissions import IsServiceOrStaff, IsUser
from vividly.errors import InvalidInput


class InternalAPIView(APIView):
    """Under /internal/: service tokens (Bearer) and staff user tokens."""

    authentication_classes = [ServiceTokenAuthentication, UserTokenAuthentication]
    permission_classes = [IsServiceOrStaff]
    throttle_classes: list = []


class PublicAPIView(APIView):
    """Under /api/: user tokens only, throttled per user (REST_FRAMEWORK's default: API_USER_RATE)."""

    authentication_classes = [UserTokenAuthentication]
    permission_classes = [IsUser]


def json_object(data: Any) -> dict[str, Any]:
    """Return request data that must be a JSON object; otherwise a 400 saying so."""
    if not isinstance(data, dict):
        raise InvalidInput(details={"non_field_errors": ["The body must be a JSON object."]})
    return data
