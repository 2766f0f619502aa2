"""The one DRF exception handler: every failure becomes the contract's JSON error body."""

import logging
from typing import Any

import redis.exceptions
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django_redis.exceptions import ConnectionInterrupted
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from vividly.api.error_bodies import error_body
from vividly.errors import DomainError
from vividly.observability.metrics import DATABASE_ERRORS

logger = logging.getLogger("vividly.api")

# DRF's own `default_code` is the stable code (`not_authenticated`, `throttled`, ...), except
# for a parse error: the contract calls malformed JSON `malformed_json`.
PARSE_ERROR_CODE = "malformed_json"

DATABASE_DOWN = (OperationalError, InterfaceError)
REDIS_DOWN = (redis.exceptions.RedisError, ConnectionInterrupted)


def validation_details(detail: Any) -> dict[str, Any]:
    """Return DRF validation detail as {"field": ["msg", ...]} (non-field errors too)."""
    if isinstance(detail, dict):
        return {key: value if isinstance(value, (list, dict)) else [value] for key, value in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Return the JSON error response for any exception raised in an API view."""
    headers: dict[str, str] = {}

    if isinstance(exc, DomainError):
        status, code, message, details = exc.status_code, exc.code, exc.message, exc.details
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, drf.ValidationError):
        status, code = 400, "validation_error"
        message, details = "The request has invalid fields.", validation_details(exc.detail)
    elif isinstance(exc, drf.APIException):
        status = exc.status_code
        code = PARSE_ERROR_CODE if isinstance(exc, drf.ParseError) else exc.default_code
        message, details = str(exc.detail), {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
    elif isinstance(exc, Http404):
        status, code, message, details = 404, "not_found", "Not found.", {}
    elif isinstance(exc, DjangoPermissionDenied):
        status, code = 403, "permission_denied"
        message, details = "You do not have permission to perform this action.", {}
    elif isinstance(exc, RequestDataTooBig):
        status, code, message, details = 413, "request_too_large", "The request body is too large.", {}
    elif isinstance(exc, DATABASE_DOWN):
        logger.error("database unavailable: %s", exc)
        DATABASE_ERRORS.labels("unavailable").inc()
        status, code = 503, "database_unavailable"
        message, details = "The database is unavailable; try again shortly.", {}
        headers["Retry-After"] = "5"
    elif isinstance(exc, REDIS_DOWN):
        # Redis-backed features fail open in their services; reaching here means one did
        # not, and a 503 tells the client to retry rather than that it sent a bad request.
        logger.error("redis unavailable in a request: %s", exc, exc_info=exc)
        status, code = 503, "redis_unavailable"
        message, details = "A backing Redis is unavailable; try again shortly.", {}
        headers["Retry-After"] = "5"
    else:
        if isinstance(exc, DatabaseError):
            DATABASE_ERRORS.labels("error").inc()
            logger.error("database error in %s", context.get("view"), exc_info=exc)
        else:
            logger.error("unhandled error in %s", context.get("view"), exc_info=exc)
        status, code = 500, "internal_error"
        message, details = "An unexpected error occurred; it has been logged.", {}

    set_rollback()
    return Response(error_body(code, message, details), status=status, headers=headers)
