"""Content negotiation: DRF's, except that an unknown `?format=` is not a 404."""

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """Choose the renderer by `?format=` when one has that format, otherwise by Accept.

    DRF answers 404 to a `?format=` no renderer has, so any endpoint given an unknown query
    parameter that happens to be named `format` (schema fuzzing sent `?format=null`) answered
    a status it does not document; every other unknown query parameter is ignored.
    """

    def filter_renderers(self, renderers: list[Any], format: str) -> list[Any]:
        return [renderer for renderer in renderers if renderer.format == format] or renderers
