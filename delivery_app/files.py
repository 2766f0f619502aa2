"""Serve content through the local signed links: check the HMAC and expiry, honour Range.

Only the asset types the cache accepts are served, typed from the blob's extension (never
from a guess or the link), with `nosniff` and a `sandbox` CSP: this is the admin's origin,
so an HTML or SVG file served inline would be stored XSS against staff.
"""

import re
from collections.abc import Iterator
from typing import IO

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import storages
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_http_methods

from cache_app.types import asset_content_type, blob_name_errors
from delivery_app.signing import LocalSigner
from vividly.api.error_bodies import error_response

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# More digits than any file size has: such a range cannot be honoured (and int() of
# thousands of digits raises), so it is a 416, never parsed.
MAX_RANGE_DIGITS = 18
CHUNK = 64 * 1024
# Scripts are data for the player, never a page to open on this origin.
ATTACHMENT_TYPES = {"text/plain", "text/vtt", "application/json"}


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """Return (first, last) for a single satisfiable byte range, None to ignore, False if unsatisfiable."""
    match = RANGE.match(header.strip())
    if not match:
        return None  # several ranges or another unit: answer with the whole file
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if len(first) > MAX_RANGE_DIGITS or len(last) > MAX_RANGE_DIGITS:
        return False
    if first == "":
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return False
    return start, end


def read_span(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


@require_http_methods(["GET", "HEAD"])
def serve_signed_file(request: HttpRequest, blob_name: str, signer: LocalSigner | None = None) -> HttpResponse:
    """GET /files/<blob>?expires=&type=&signature= : 403 when tampered or expired."""
    signer = signer or LocalSigner()
    content_type = request.GET.get("type", "")
    valid = not blob_name_errors(blob_name) and signer.verify(
        blob_name,
        expires=request.GET.get("expires", ""),
        content_type=content_type,
        signature=request.GET.get("signature", ""),
    )
    if not valid:
        return error_response(403, code="invalid_signature", message="This link is invalid or has expired.")
    served_type = asset_content_type(blob_name)
    if served_type is None:
        return type_not_allowed()
    return blob_response(request, blob_name, served_type)


def type_not_allowed() -> HttpResponse:
    return error_response(403, code="type_not_allowed", message="Files of this type are not served.")


def blob_response(request: HttpRequest, blob_name: str, served_type: str) -> HttpResponse:
    """Serve a content blob (already authorised and typed) whole or as the one byte range asked for."""
    storage = storages["content"]
    try:
        size = storage.size(blob_name)
        handle = storage.open(blob_name, "rb")
    except (FileNotFoundError, SuspiciousFileOperation):
        return error_response(404, message="This file no longer exists.")

    wanted = parse_range(request.headers.get("Range", ""), size) if "Range" in request.headers else None
    if wanted is False:
        handle.close()
        response = error_response(416, code="range_not_satisfiable", message="The requested range is outside the file.")
        response["Content-Range"] = f"bytes */{size}"
        return response
    header_type = f"{served_type}; charset=utf-8" if served_type.startswith("text/") else served_type
    if wanted is None:
        response = FileResponse(handle, content_type=header_type)
        response["Content-Length"] = str(size)
    else:
        first, last = wanted
        response = StreamingHttpResponse(
            read_span(handle, first, last - first + 1), status=206, content_type=header_type
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    if served_type in ATTACHMENT_TYPES:
        response["Content-Disposition"] = "attachment"
    return response
