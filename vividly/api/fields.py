"""Serializer fields that refuse text Python could accept but not store or echo back."""

from typing import Any

from rest_framework import serializers

from vividly.text import is_storable


class TextField(serializers.CharField):
    """A CharField that keeps text exactly as sent (no trimming) and must be valid Unicode."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not is_storable(value):
            raise serializers.ValidationError("Must be valid Unicode text (no lone surrogates).")
        return value
