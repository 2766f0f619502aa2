"""A JSON parser whose every failure is a 400: deep nesting, and text nothing could store."""

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from vividly.text import is_storable

UNSTORABLE = "Must be valid Unicode text without NUL characters."


def unstorable_text_at(data: Any) -> str | None:
    """Return where `data` holds a string with a lone surrogate or a NUL ("" for the top), or None.

    JSON lets both through as escapes ("\\ud800", "\\u0000"), but a lone surrogate cannot be
    encoded as UTF-8 (so not stored, logged or even echoed in an error) and PostgreSQL
    refuses NUL in text and jsonb: either would surface much later as a 500.
    """
    try:
        # One pass in C for the usual, clean body; the walk below only runs on suspicion.
        dumped = json.dumps(data, ensure_ascii=False)
        dumped.encode()
        if "\\u0000" not in dumped:
            return None
    except UnicodeEncodeError:
        pass
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                if not is_storable(key):
                    return path
                stack.append((path, item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{index}" if where else str(index), item) for index, item in enumerate(value))
        elif isinstance(value, str) and not is_storable(value):
            return where
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, also refusing input nested beyond what Python can decode, and
    strings holding a lone surrogate or a NUL (a 400 naming where, for every endpoint)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            where = unstorable_text_at(data)
        except RecursionError as exc:
            # json.loads raises RecursionError, not ValueError, for very deep nesting.
            raise ParseError("JSON parse error - nested too deeply.") from exc
        if where is not None:
            raise ValidationError({where or "non_field_errors": [UNSTORABLE]})
        return data
