"""Validate the metadata stored with a cache entry: title, duration and safe asset names."""

import json
import math
from typing import Any

from vividly.errors import InvalidInput
from vividly.text import is_storable

VIDEO_QUALITIES = ("720p", "1080p", "4K")
SINGLE_ASSETS = ("audio", "script")
BLOB_NAME_MAX = 1024
TITLE_MAX = 500
METADATA_MAX_BYTES = 64 * 1024
# The hot tier pickles documents, and pickle recurses: a few hundred levels would fail
# there, after the cold tier had kept the entry, poisoning every later check of it.
METADATA_MAX_DEPTH = 32


def blob_name_errors(value: Any) -> list[str]:
    """Return what makes `value` unsafe as a path inside the content bucket."""
    if not isinstance(value, str) or not value:
        return ["Must be a non-empty string."]
    errors = []
    if len(value) > BLOB_NAME_MAX:
        errors.append(f"Must be at most {BLOB_NAME_MAX} characters.")
    if value.startswith("/"):
        errors.append("Must be relative to the bucket (no leading '/').")
    if "\\" in value:
        errors.append("Must use '/' as the separator.")
    if any(segment in ("", ".", "..") for segment in value.split("/")):
        errors.append("Must not contain empty, '.' or '..' segments.")
    if any(ord(char) < 32 or ord(char) == 127 for char in value) or not is_storable(value):
        errors.append("Must not contain control characters.")
    return errors


def nesting_depth(value: Any) -> int:
    """Return how many objects and arrays deep `value` goes (without recursing itself)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def metadata_validate(metadata: Any) -> dict[str, Any]:
    """Return `metadata` if it holds a title, a positive duration and safe assets; else raise."""
    if not isinstance(metadata, dict):
        raise InvalidInput(details={"metadata": ["Must be a JSON object."]})
    errors: dict[str, list[str]] = {}

    title = metadata.get("title")
    if not isinstance(title, str) or not title.strip():
        errors["metadata.title"] = ["A non-empty string is required."]
    elif len(title) > TITLE_MAX or not is_storable(title):
        errors["metadata.title"] = [f"Must be valid text of at most {TITLE_MAX} characters."]

    duration = metadata.get("duration_seconds")
    if (
        isinstance(duration, bool)
        or not isinstance(duration, (int, float))
        or not math.isfinite(duration)
        or duration <= 0
    ):
        errors["metadata.duration_seconds"] = ["A number greater than 0 is required."]

    assets = metadata.get("assets")
    if not isinstance(assets, dict):
        errors["metadata.assets"] = ["An object with at least one video quality is required."]
    else:
        video = assets.get("video")
        if not isinstance(video, dict) or not video:
            errors["metadata.assets.video"] = [f"At least one of {', '.join(VIDEO_QUALITIES)} is required."]
        else:
            for quality, name in video.items():
                if quality not in VIDEO_QUALITIES:
                    errors[f"metadata.assets.video.{quality}"] = [
                        f"Unknown quality; use one of {', '.join(VIDEO_QUALITIES)}."
                    ]
                elif problems := blob_name_errors(name):
                    errors[f"metadata.assets.video.{quality}"] = problems
        for kind in SINGLE_ASSETS:
            if kind in assets and (problems := blob_name_errors(assets[kind])):
                errors[f"metadata.assets.{kind}"] = problems
        for kind in assets:
            if kind not in ("video", *SINGLE_ASSETS):
                errors[f"metadata.assets.{kind}"] = ["Unknown asset type; use video, audio or script."]

    if not errors and nesting_depth(metadata) > METADATA_MAX_DEPTH:
        errors["metadata"] = [f"Must be nested at most {METADATA_MAX_DEPTH} levels deep."]
    if not errors:
        try:
            size = len(json.dumps(metadata, ensure_ascii=False).encode())
        except (TypeError, ValueError, UnicodeEncodeError):
            errors["metadata"] = ["Must be plain JSON with valid Unicode text."]
        else:
            if size > METADATA_MAX_BYTES:
                errors["metadata"] = [f"Must be at most {METADATA_MAX_BYTES} bytes as JSON."]
    if errors:
        raise InvalidInput(details=errors)
    return metadata
