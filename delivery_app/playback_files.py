"""Serve HLS packages through local folder tokens: `/files/p/<token>/<folder>/<file>`.

The token (delivery_app.playback.LocalFolderSigner) grants one folder until it expires; it
sits in the path, so the relative URIs of the playlists a player resolves against the
playlist's URL stay under it. Django has already percent-decoded the path, so `%2e%2e`,
`%2f` and `%5c` arrive here as `..`, `/` and `\\`; the blob-name rules refuse those, and the
name must then lie inside the granted folder. Only HLS types are served, with the same
headers and Range handling as every local link (delivery_app.files).
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from cache_app.types import asset_content_type, blob_name_errors
from delivery_app.files import blob_response, type_not_allowed
from delivery_app.playback import LocalFolderSigner
from vividly.api.error_bodies import error_response

# What an HLS package holds: playlists, MPEG-TS segments, fMP4 init and media segments.
PLAYBACK_TYPES = {"application/vnd.apple.mpegurl", "video/mp2t", "video/mp4"}


@require_http_methods(["GET", "HEAD"])
def serve_folder_file(
    request: HttpRequest, token: str, blob_name: str, signer: LocalFolderSigner | None = None
) -> HttpResponse:
    """403 when the token is tampered with or expired, or the file lies outside its folder."""
    folder = (signer or LocalFolderSigner()).folder(token)
    if folder is None:
        return error_response(403, code="invalid_signature", message="This link is invalid or has expired.")
    if blob_name_errors(blob_name) or not blob_name.startswith(f"{folder}/"):
        return error_response(403, code="outside_folder", message="This link does not reach that file.")
    served_type = asset_content_type(blob_name)
    if served_type not in PLAYBACK_TYPES:
        return type_not_allowed()
    return blob_response(request, blob_name, served_type)
