"""The exception handler: DRF's own codes, the contract's name for malformed JSON."""

import pytest
from rest_framework import exceptions as drf

from vividly.api.exception_handler import api_exception_handler


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (drf.ParseError(), 400, "malformed_json"),
        (drf.AuthenticationFailed(), 401, "authentication_failed"),
        (drf.NotAuthenticated(), 401, "not_authenticated"),
        (drf.PermissionDenied(), 403, "permission_denied"),
        (drf.NotFound(), 404, "not_found"),
        (drf.MethodNotAllowed("PATCH"), 405, "method_not_allowed"),
        (drf.NotAcceptable(), 406, "not_acceptable"),
        (drf.UnsupportedMediaType("text/html"), 415, "unsupported_media_type"),
        (drf.Throttled(wait=3), 429, "throttled"),
        (drf.APIException(), 500, "error"),
    ],
)
def test_drf_exceptions_keep_their_own_codes(exc, status, code):
    response = api_exception_handler(exc, {})
    assert response.status_code == status
    assert response.data["error"]["code"] == code


def test_a_throttle_says_when_to_retry():
    # Whole seconds, rounded up past the wait so that a client retrying then is let through.
    assert api_exception_handler(drf.Throttled(wait=2.5), {})["Retry-After"] == "4"
