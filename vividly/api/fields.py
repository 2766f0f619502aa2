"""Serializer fields that refuse text Python could accept but not store or echo back."""

from typing import Any

from rest_framework import serializers


def encodable(value: str) -> bool:
    """Return True when `value` encodes as UTF-8 (JSON allows lone surrogates; UTF-8 does not)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TextField(serializers.CharField):
    """A CharField that keeps text exactly as sent (no trimming) and must be valid Unicode."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not encodable(value):
            raise serializers.ValidationError("Must be valid Unicode text (no lone surrogates).")
        return value
