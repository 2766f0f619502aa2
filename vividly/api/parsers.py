"""A JSON parser whose every failure is a 400: deep nesting, and text nothing could store."""

import re
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import get_encoding
from rest_framework.utils import json

from vividly.text import is_storable, storable

UNSTORABLE = "Must be valid Unicode text without NUL characters."
# The only ways a NUL or a lone surrogate gets into parsed JSON: raw ones are not valid
# JSON or not valid UTF-8. (An escaped backslash before "u0000" matches too; harmless.)
SUSPICIOUS_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def unstorable_text_at(data: Any) -> str | None:
    """Return where `data` holds a string with a lone surrogate or a NUL ("" for the top), or None.

    JSON lets both through as escapes ("\\ud800", "\\u0000"), but a lone surrogate cannot be
    encoded as UTF-8 (so not stored, logged or even echoed in an error) and PostgreSQL
    refuses NUL in text and jsonb: either would surface much later as a 500.
    """
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
            # As DRF's parse, but keeping the text: a regex over it spares the walk below
            # on every clean body.
            text = stream.read().decode(get_encoding(parser_context or {}))
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:
            # json.loads raises RecursionError, not ValueError, for very deep nesting.
            raise ParseError("JSON parse error - nested too deeply.") from exc
        if SUSPICIOUS_ESCAPE.search(text) and (where := unstorable_text_at(data)) is not None:
            # The place itself may hold the bad key: name it in storable text.
            raise ValidationError({storable(where) or "non_field_errors": [UNSTORABLE]})
        return data
