"""Paging for list endpoints: ?limit=&offset=, answered with count/next/previous/results."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request


class Pagination(LimitOffsetPagination):
    """DRF's limit/offset paging, refusing (400) a limit or offset that is not a whole number.

    DRF silently falls back to the defaults, so a client's typo would page through
    something other than what it asked for without noticing.
    """

    default_limit = 50
    max_limit = 500

    def get_limit(self, request: Request) -> int | None:
        self.require_whole_number(request, self.limit_query_param, minimum=1)
        return super().get_limit(request)

    def get_offset(self, request: Request) -> int:
        self.require_whole_number(request, self.offset_query_param, minimum=0)
        return super().get_offset(request)

    @staticmethod
    def require_whole_number(request: Request, name: str, *, minimum: int) -> None:
        raw = request.query_params.get(name)
        if raw is None:
            return
        if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
            raise ValidationError({name: [f"Must be a whole number, at least {minimum}."]})
