"""Base views: which callers reach /internal/ and which reach the public API."""

from rest_framework.views import APIView

from vividly.api.authentication import ServiceTokenAuthentication, UserTokenAuthentication
from vividly.api.permissions import IsServiceOrStaff, IsUser


class InternalAPIView(APIView):
    """Under /internal/: service tokens (Bearer) and staff user tokens."""

    authentication_classes = [ServiceTokenAuthentication, UserTokenAuthentication]
    permission_classes = [IsServiceOrStaff]
    throttle_classes: list = []


class PublicAPIView(APIView):
    """Under /api/: user tokens only.

    Not throttled by default: DRF's throttle costs two Redis round trips a request,
    more than the endpoints that serve a playing video; views that create work opt in.
    """

    authentication_classes = [UserTokenAuthentication]
    permission_classes = [IsUser]
    throttle_classes: list = []
