"""The metadata stored with a cache entry: one JSON Schema, plus the rules a schema cannot say.

`METADATA_SCHEMA` is both what `metadata_validate` checks and what the OpenAPI document
shows for `metadata` (the store serializer's field carries it); the allowed asset types
(`cache_app.asset_types`) are in it as the blob names' pattern. What JSON Schema cannot
express lives beside it as small domain functions: '.' and '..' segments in blob names,
finite numbers, text every database can store, and the nesting and size bounds.
"""

import json
import math
from typing import Any

from jsonschema import Draft4Validator, ValidationError

from cache_app.asset_types import ASSET_CONTENT_TYPES
from vividly.errors import InvalidInput
from vividly.text import is_storable

VIDEO_QUALITIES = ("720p", "1080p", "4K")
SINGLE_ASSETS = ("audio", "script")
BLOB_NAME_MAX = 1024
TITLE_MAX = 500
METADATA_MAX_BYTES = 64 * 1024
# The hot tier serializes documents recursively: a few hundred levels would fail there,
# after the cold tier had kept the entry, poisoning every later check of it.
METADATA_MAX_DEPTH = 32

SEGMENT = r"[^/\\\u0000-\u001f\u007f]"  # any character but '/', '\\' and control characters
NOT_DOT = r"[^./\\\u0000-\u001f\u007f]"
# A directory segment other than '.' and '..': one or two dots need a character after them
# (spelt without lookahead, which not every JSON Schema tool's regex engine has).
DIRECTORY = rf"(?:\.?{NOT_DOT}|\.\.{SEGMENT}){SEGMENT}*"
# An allowed type's extension, in any case (asset_content_type lowercases it).
ALLOWED_EXTENSION = "|".join(
    "".join(f"[{char.lower()}{char.upper()}]" if char.isalpha() else char for char in extension[1:])
    for extension in ASSET_CONTENT_TYPES
)
BLOB_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": BLOB_NAME_MAX,
    # No empty, '.' or '..' segment, leading '/', backslash or control character, and an
    # allowed type (an .html or .svg asset served from this origin would run script);
    # blob_name_errors also refuses text that is not valid Unicode.
    "pattern": rf"^({DIRECTORY}/)*{SEGMENT}*\.({ALLOWED_EXTENSION})$",
    "description": "A path inside the content bucket: no leading '/', no '..', '.' or empty segments, "
    "no backslash or control characters, ending in an allowed type: " + ", ".join(ASSET_CONTENT_TYPES) + ".",
}
METADATA_SCHEMA = {
    "type": "object",
    "required": ["title", "duration_seconds", "assets"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX, "pattern": r"\S"},
        "duration_seconds": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        "assets": {
            "type": "object",
            "required": ["video"],
            "additionalProperties": False,
            "properties": {
                "video": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": False,
                    "properties": {quality: BLOB_NAME_SCHEMA for quality in VIDEO_QUALITIES},
                },
                **{kind: BLOB_NAME_SCHEMA for kind in SINGLE_ASSETS},
            },
        },
    },
    "description": f"Other keys are kept and returned by check. At most {METADATA_MAX_BYTES // 1024} KiB as JSON.",
}
_validator = Draft4Validator(METADATA_SCHEMA)


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


def schema_errors(metadata: Any) -> dict[str, list[str]]:
    """Return METADATA_SCHEMA's complaints about `metadata`, keyed by dotted path ("metadata.assets.video")."""
    errors: dict[str, list[str]] = {}
    for error in _validator.iter_errors(metadata):
        where = ".".join(["metadata", *(str(part) for part in error.absolute_path)])
        for path, message in located(where, error):
            errors.setdefault(path, []).append(message)
    return errors


def located(where: str, error: ValidationError) -> list[tuple[str, str]]:
    """Name the field an error is about: a missing or unknown key is reported at that key."""
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [(f"{where}.{name}", "This field is required.") for name in missing]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        unknown = [name for name in error.instance if name not in known]
        return [(f"{where}.{name}", f"Unknown key; use one of {', '.join(known)}.") for name in unknown]
    messages = {
        "type": f"Must be of type {error.validator_value}.",
        "minLength": "Must not be empty.",
        "maxLength": f"Must be at most {error.validator_value} characters.",
        "pattern": error.schema.get("description", "Must not be blank."),
        # Draft 4 (OpenAPI 3.0's dialect) reports an exclusive minimum as "minimum".
        "minimum": f"Must be a number greater than {error.validator_value}.",
        "minProperties": f"At least one of {', '.join(error.schema.get('properties', {}))} is required.",
    }
    return [(where, messages.get(str(error.validator), "Is not allowed here."))]


def metadata_validate(metadata: Any) -> dict[str, Any]:
    """Return `metadata` if METADATA_SCHEMA and the rules beside it accept it; else raise InvalidInput."""
    errors = schema_errors(metadata)
    if not errors:
        errors = beyond_schema_errors(metadata)
    if errors:
        raise InvalidInput(details=errors)
    return metadata


def beyond_schema_errors(metadata: dict[str, Any]) -> dict[str, list[str]]:
    """Return what schema-valid metadata still gets wrong: unsafe names, odd numbers, size."""
    errors: dict[str, list[str]] = {}
    if not is_storable(metadata["title"]):
        errors["metadata.title"] = ["Must be valid text without NUL characters."]
    if not math.isfinite(metadata["duration_seconds"]):
        errors["metadata.duration_seconds"] = ["Must be a finite number."]
    assets = metadata["assets"]
    named = {f"video.{quality}": name for quality, name in assets["video"].items()}
    named.update({kind: assets[kind] for kind in SINGLE_ASSETS if kind in assets})
    for where, name in named.items():
        if problems := blob_name_errors(name):
            errors[f"metadata.assets.{where}"] = problems
    if errors:
        return errors
    if nesting_depth(metadata) > METADATA_MAX_DEPTH:
        return {"metadata": [f"Must be nested at most {METADATA_MAX_DEPTH} levels deep."]}
    try:
        size = len(json.dumps(metadata, ensure_ascii=False).encode())
    except (TypeError, ValueError, UnicodeEncodeError):
        return {"metadata": ["Must be plain JSON with valid Unicode text."]}
    if size > METADATA_MAX_BYTES:
        return {"metadata": [f"Must be at most {METADATA_MAX_BYTES} bytes as JSON."]}
    return {}
