"""The content cache key, computed byte for byte as the seed system computes it, and its rules."""

import hashlib

from vividly.errors import InvalidInput
from vividly.text import is_storable

KEY_FIELDS = ("topic_id", "interest", "style")
FIELD_MAX_LENGTH = 200
SEPARATOR = "|"
CACHE_KEY_PATTERN = "^[0-9a-f]{64}$"
# key_field_errors as far as JSON Schema can say it (valid Unicode is the parser's rule).
KEY_FIELD_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": FIELD_MAX_LENGTH,
    "pattern": rf"^[^{SEPARATOR}\u0000]+$",
}


def key_field_errors(value: object) -> list[str]:
    """Return what is wrong with a value for one of the three key fields (empty when it is fine)."""
    if value is None:
        return ["This field is required."]
    if not isinstance(value, str):
        return ["Must be a string."]
    errors = []
    if value == "":
        errors.append("Must not be empty.")
    if len(value) > FIELD_MAX_LENGTH:
        errors.append(f"Must be at most {FIELD_MAX_LENGTH} characters.")
    if SEPARATOR in value:
        # "a|b", "c" and "a", "b|c" would otherwise share one key.
        errors.append(f"Must not contain '{SEPARATOR}', the key separator.")
    if not is_storable(value):
        errors.append("Must be valid Unicode text without NUL characters.")
    return errors


def cache_key_for(*, topic_id: str | None, interest: str | None, style: str | None) -> str:
    """Return sha256("{topic_id}|{interest}|{style}") as lowercase hex; refuse ambiguous input."""
    values = {"topic_id": topic_id, "interest": interest, "style": style}
    details = {field: errors for field, value in values.items() if (errors := key_field_errors(value))}
    if details:
        raise InvalidInput(details=details)
    return hashlib.sha256(f"{topic_id}|{interest}|{style}".encode()).hexdigest()


HEX_DIGITS = frozenset("0123456789abcdef")


def is_cache_key(value: str) -> bool:
    """Return True for a well-formed key: 64 lowercase hex characters."""
    # A set's subset test: a tenth of the time of a per-character generator (a batch checks 50).
    return len(value) == 64 and HEX_DIGITS.issuperset(value)


def cache_key_errors(value: object) -> list[str]:
    """Return what is wrong with `value` as a cache key (empty when it is one)."""
    if isinstance(value, str) and is_cache_key(value):
        return []
    return ["Must be 64 lowercase hexadecimal characters."]
