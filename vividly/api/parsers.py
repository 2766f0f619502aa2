"""A JSON parser whose every failure, deep nesting included, is a 400."""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, also refusing input nested beyond what Python can decode."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # json.loads raises RecursionError, not ValueError, for very deep nesting.
            raise ParseError("JSON parse error - nested too deeply.") from exc
