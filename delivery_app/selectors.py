"""Reads of delivery: who may reach which content, and whose requests a user may list."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from cache_app.types import is_cache_key
from delivery_app.models import ContentRequest, RequestStatus
from vividly.accounts.models import Role, User
from vividly.accounts.selectors import teacher_student_ids
from vividly.errors import NotFound
from vividly.process_state import Memo

NOT_VISIBLE = "No such content, or it is not visible to you."
NOT_READY = "This content is not ready yet; its request is still open."


# A granted access is remembered per process for a few seconds: a player asks for URLs
# again and again, and the query costs more than the rest of the request. Refusals and
# requests still waiting are never remembered (a new or newly ready request counts at
# once); a revocation reaches every process within a second (see receivers).
VISIBILITY_MEMO_SECONDS = 10.0
visible_memo = Memo(VISIBILITY_MEMO_SECONDS)


@dataclass(frozen=True)
class Access:
    """Which of the asked keys a user may reach: `ready` ones, and `waiting` ones whose
    every visible request is still open (pending, failed or cancelled), so nothing is
    stored there worth a cold-tier read."""

    ready: set[str] = field(default_factory=set)
    waiting: set[str] = field(default_factory=set)

    @property
    def visible(self) -> set[str]:
        return self.ready | self.waiting

    def refusal(self, cache_key: str) -> NotFound | None:
        """Return why `cache_key` is answered 404 before anything is read, or None."""
        if cache_key in self.ready:
            return None
        # A key still waiting for its content costs no cold-tier read (issue 10: a batch of
        # pending keys would otherwise cost one each).
        return NotFound(NOT_READY if cache_key in self.waiting else NOT_VISIBLE)


def content_access(*, user: User, cache_keys: Iterable[str]) -> Access:
    """Return which keys `user` may reach: a student's own requests, a teacher's students'
    requests, everything for staff; at most one query whatever the number of keys."""
    keys = {key for key in cache_keys if is_cache_key(key)}
    if user.is_staff or not keys:
        return Access(ready=keys)
    known = {key for key in keys if visible_memo.get(f"{user.pk}:{key}")}
    unknown = keys - known
    if not unknown:
        return Access(ready=known)
    if user.role == Role.STUDENT:
        requests = ContentRequest.objects.filter(user=user, cache_key__in=unknown)
    elif user.role == Role.TEACHER:
        requests = ContentRequest.objects.filter(cache_key__in=unknown, user__in=teacher_student_ids(teacher=user))
    else:
        return Access()
    rows = set(requests.order_by().values_list("cache_key", "status").distinct())
    ready = {key for key, status in rows if status == RequestStatus.READY}
    for key in ready:
        visible_memo.put(f"{user.pk}:{key}", True)
    return Access(ready=known | ready, waiting={key for key, _ in rows} - ready)


def content_requests_for(*, user: User) -> QuerySet:
    """Return the requests `user` may list: their own (student), their students' (teacher), all (staff)."""
    requests = ContentRequest.objects.select_related("user").order_by("-created_at")
    if user.is_staff:
        return requests
    if user.role == Role.TEACHER:
        return requests.filter(user__in=teacher_student_ids(teacher=user))
    return requests.filter(user=user)


def pending_request_count(*, user: User) -> int:
    """Return how many of `user`'s requests are still pending."""
    return ContentRequest.objects.filter(user=user, status=RequestStatus.PENDING).count()
