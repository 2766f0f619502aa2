"""X-Request-ID: one id per request, in its response header, its error bodies and every log line.

The id lives in a context variable for the length of the request (gunicorn's gthread
workers run each request in a thread of its own, so no request sees another's). A client
or proxy may choose it, so that its own logs and ours share the id, but only a sane one:
short and of a safe charset (it lands in log lines and headers); anything else is
replaced by a fresh uuid4 hex. Jobs enqueued during a request carry the id in their meta
(vividly.observability.rq), and the worker puts it back while the job runs.
"""

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# What a log line or header can carry unescaped; a uuid, a ULID or a trace id fits.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
NO_REQUEST = "-"

_current: ContextVar[str | None] = ContextVar("vividly_request_id", default=None)


def current_request_id() -> str | None:
    """Return the id of the request (or job) being handled in this context, if any."""
    return _current.get()


def request_id_from(header: str | None) -> str:
    """Return the client's id when it is sane, else a fresh uuid4 hex."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """Make `request_id` the current one inside the block (a job run by the worker)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


class RequestIdMiddleware:
    """First middleware: choose the id, keep it for the request, return it in the header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get(META_KEY))
        request.request_id = request_id
        with request_id_bound(request_id):
            response = self.get_response(request)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Give every log record a `request_id` attribute (`-` outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or NO_REQUEST
        return True
