"""The asset types the cache accepts at store and /files/ serves: one list, by file extension.

Contract ("Security headers and limits"): video `video/mp4`, `video/webm`; audio
`audio/mpeg`, `audio/mp4`, `audio/ogg`; script `text/plain`, `text/vtt`,
`application/json`; HLS `application/vnd.apple.mpegurl`, `video/mp2t`, `video/mp4` segments.
Anything else (`.html`, `.svg`, …) could run script on this service's origin.
"""

import posixpath

ASSET_CONTENT_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".txt": "text/plain",
    ".vtt": "text/vtt",
    ".json": "application/json",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/mp4",
}


def asset_content_type(blob_name: str) -> str | None:
    """Return the content type a blob is stored and served as, or None when its type is not allowed."""
    return ASSET_CONTENT_TYPES.get(posixpath.splitext(blob_name)[1].lower())
