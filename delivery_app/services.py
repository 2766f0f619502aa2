"""Writes of delivery: content requests (opened, cancelled, ready, failed), view sessions and progress."""

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from cache_app.selectors import cache_entry_title
from cache_app.services import cache_entry_fetch
from cache_app.types import cache_key_for, is_cache_key
from delivery_app.devices import device_from_user_agent, user_agent_text
from delivery_app.generation import generation_demand_join, generation_demand_leave
from delivery_app.models import ContentRequest, RequestStatus, ViewSession
from delivery_app.selectors import NOT_VISIBLE, content_access, pending_request_count
from delivery_app.view_rows import view_progress_write, view_state_read
from vividly.accounts.models import User
from vividly.errors import Conflict, DomainError, InvalidInput, NotFound, RateLimited

logger = logging.getLogger("delivery_app")


class TooManyPendingRequests(RateLimited):
    code = "too_many_pending_requests"
    default_message = "You have too many requests waiting for their content; wait for some, or cancel some."


class TooManyOpenViews(RateLimited):
    code = "too_many_open_views"
    default_message = "Too many unfinished views of this content; finish or complete one first."


class RequestNotPending(Conflict):
    code = "request_not_pending"
    default_message = "Only a pending request can be cancelled."


# Pending requests clear as content is generated, which takes minutes.
PENDING_RETRY_AFTER_SECONDS = 60
# A cancelled or failed request asked for again is opened again (same row, same id).
REOPENABLE = (RequestStatus.CANCELLED, RequestStatus.FAILED)


def content_request_create(*, user: User, topic_id: str, interest: str, style: str) -> tuple[ContentRequest, bool]:
    """Record that `user` asked for the triple; return the request and whether it is new.

    `ready` when the cache holds the content; otherwise `pending`, counted as demand on the
    content's generation job in the same transaction. Asking again returns the same
    request (opened again if it had been cancelled or had failed).
    """
    cache_key = cache_key_for(topic_id=topic_id, interest=interest, style=style)
    lookup = cache_entry_fetch(cache_key=cache_key)
    triple = {"topic_id": topic_id, "interest": interest, "style": style}
    try:
        with transaction.atomic():
            request, created, opened = request_open(user=user, cache_key=cache_key, hit=lookup.hit, triple=triple)
    except IntegrityError:  # the same student asked twice at once
        return ContentRequest.objects.get(user=user, cache_key=cache_key), False
    if opened and request.status == RequestStatus.PENDING:
        # The content may have been stored between our lookup and our insert, in which case
        # the store's notice found no pending request. Its index row says so: it commits
        # before the notice is sent, so one indexed read (not a second read-through) closes it.
        title = cache_entry_title(cache_key=cache_key)
        if title is not None:
            with transaction.atomic():
                generation_demand_leave(cache_key=cache_key)  # the job we may have opened is not needed
                content_requests_mark_ready(cache_key=cache_key, title=title)
            request.refresh_from_db()
    return request, created


def request_open(*, user: User, cache_key: str, hit: bool, triple: dict[str, str]) -> tuple[ContentRequest, bool, bool]:
    """Create or reopen the request inside the caller's transaction; return it, whether it
    was created, and whether it was opened (created or reopened) by this call."""
    if not hit:
        # One student's requests are opened one at a time, so the cap holds under concurrency.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    existing = ContentRequest.objects.select_for_update().filter(user=user, cache_key=cache_key).first()
    if existing is not None and existing.status not in REOPENABLE:
        return existing, False, False
    now = timezone.now()
    if not hit:
        limit = settings.MAX_PENDING_REQUESTS_PER_STUDENT
        if pending_request_count(user=user) >= limit:
            raise TooManyPendingRequests(retry_after=PENDING_RETRY_AFTER_SECONDS, details={"limit": limit})
    state = {
        "status": RequestStatus.READY if hit else RequestStatus.PENDING,
        "ready_at": now if hit else None,
        "error_code": "",
    }
    if existing is None:
        request = ContentRequest.objects.create(user=user, cache_key=cache_key, created_at=now, **triple, **state)
    else:
        ContentRequest.objects.filter(pk=existing.pk).update(**state)
        existing.refresh_from_db()
        request = existing
    if not hit:
        generation_demand_join(cache_key=cache_key, **triple)
    return request, existing is None, True


def content_request_cancel(*, user: User, request_id: uuid.UUID) -> ContentRequest:
    """Cancel `user`'s own pending request (its demand leaves the generation job); a
    request already cancelled is returned as it is, any other status is a conflict."""
    with transaction.atomic():
        request = ContentRequest.objects.select_for_update().filter(pk=request_id, user=user).first()
        if request is None:
            raise NotFound("No such request.")
        if request.status == RequestStatus.CANCELLED:
            return request
        if request.status != RequestStatus.PENDING:
            raise RequestNotPending(details={"status": request.status})
        request.status = RequestStatus.CANCELLED
        request.save(update_fields=["status"])
        generation_demand_leave(cache_key=request.cache_key)
    return request


def content_requests_mark_failed(*, cache_key: str, error_code: str) -> int:
    """Mark every pending request for `cache_key` failed with the generator's error code."""
    return ContentRequest.objects.filter(cache_key=cache_key, status=RequestStatus.PENDING).update(
        status=RequestStatus.FAILED, error_code=error_code[: ContentRequest._meta.get_field("error_code").max_length]
    )


def content_link(cache_key: str) -> str:
    """Return the student app's page for `cache_key` (APP_BASE_URL): a person opens it, not an API client."""
    return settings.CONTENT_LINK_TEMPLATE.format(base=settings.APP_BASE_URL, cache_key=cache_key)


def content_requests_mark_ready(*, cache_key: str, title: str) -> int:
    """Mark every pending request for `cache_key` ready and email each student once."""
    from notifications_app.services import notification_send

    now = timezone.now()
    with transaction.atomic():
        pending = list(
            ContentRequest.objects.select_for_update()
            .filter(cache_key=cache_key, status=RequestStatus.PENDING)
            .select_related("user")
        )
        ContentRequest.objects.filter(pk__in=[request.pk for request in pending]).update(
            status=RequestStatus.READY, ready_at=now
        )
        for request in pending:
            student = request.user
            if not student.email:
                logger.info("content ready for %s, who has no email address", student.username)
                continue
            try:
                # One email per request however often the content is stored again.
                notification_send(
                    to=student.email,
                    template="content_ready",
                    context={
                        # Their display name, or empty for a neutral "Hi,": a username is a login, not a name.
                        "student_name": student.display_name,
                        "content_title": title or "Your video",
                        "content_url": content_link(cache_key),
                    },
                    idempotency_key=f"content-ready:{request.pk}",
                )
            except DomainError as exc:
                # A refused email (an address over its hourly limit, say) must not keep the
                # request pending: the student sees it ready in their list either way.
                logger.warning("content_ready email for request %s not sent: %s", request.pk, exc.message)
    return len(pending)


def content_document(*, user: User, cache_key: str) -> dict[str, Any]:
    """Return the cached document of a key `user` may reach and whose content is there;
    NotFound otherwise (a key still waiting for its content costs no cold-tier read)."""
    refusal = content_access(user=user, cache_keys=[cache_key]).refusal(cache_key)
    if refusal is not None:
        raise refusal
    lookup = cache_entry_fetch(cache_key=cache_key, record=False)
    if lookup.document is None:
        raise NotFound(NOT_VISIBLE)
    return lookup.document


def view_start(
    *, user: User, cache_key: str, quality: str, user_agent: str, now: datetime | None = None
) -> ViewSession:
    """Start a view session of content `user` may see, with the device the User-Agent tells.

    At most MAX_OPEN_VIEWS_PER_USER_AND_KEY unfinished views of one content per user start
    within OPEN_VIEW_WINDOW_SECONDS: each is a row, and a script could start them forever.
    """
    now = now or timezone.now()
    document = content_document(user=user, cache_key=cache_key)
    open_views_check(user=user, cache_key=cache_key, now=now)
    # Only the parsed families are kept (privacy: a raw User-Agent identifies a child's device).
    device = device_from_user_agent(user_agent_text(user_agent))
    return ViewSession.objects.create(
        user=user,
        cache_key=cache_key,
        quality=quality,
        duration_seconds=float(document["metadata"]["duration_seconds"]),
        device_type=device.device_type,
        browser=device.browser,
        os=device.os,
        last_event_at=now,
    )


def open_views_check(*, user: User, cache_key: str, now: datetime) -> None:
    """Raise TooManyOpenViews (Retry-After: until the oldest counted view leaves the window)."""
    limit = settings.MAX_OPEN_VIEWS_PER_USER_AND_KEY
    window = timedelta(seconds=settings.OPEN_VIEW_WINDOW_SECONDS)
    started = list(
        ViewSession.objects.filter(user=user, cache_key=cache_key, completed=False, started_at__gt=now - window)
        .order_by("started_at")
        .values_list("started_at", flat=True)[:limit]
    )
    if len(started) >= limit:
        wait = math.ceil((started[0] + window - now).total_seconds())
        raise TooManyOpenViews(retry_after=max(1, wait), details={"limit": limit})


def position_checked(position: float, duration: float) -> float:
    """Return the position if it lies within the video (seeking anywhere in it is allowed)."""
    if not 0 <= position <= duration:
        raise InvalidInput(details={"position_seconds": [f"Must be between 0 and the duration ({duration:g} s)."]})
    return position


@dataclass(frozen=True)
class ViewState:
    view_id: uuid.UUID
    position_seconds: float
    watched_seconds: float
    completed: bool
    completed_at: datetime | None


# Concurrent events for one view: each update is conditional on the state it read.
MAX_ATTEMPTS = 5


def view_row(*, user: User, cache_key: str, view_id: uuid.UUID) -> dict[str, Any]:
    if not is_cache_key(cache_key):
        # Not worth a query, and PostgreSQL would refuse some (a NUL in the path, say).
        raise NotFound("No such view session.")
    # Hand-written SQL (view_rows.py): the ORM cost more than the rest of a progress event.
    row = view_state_read(view_id=view_id, user_id=user.pk, cache_key=cache_key)
    if row is None:
        raise NotFound("No such view session.")
    return row


def view_progress(
    *, user: User, cache_key: str, view_id: uuid.UUID, position_seconds: float, now: datetime | None = None
) -> ViewState:
    """Record the position; watched time grows only by forward playback, and never faster
    than the wall clock since the previous event (a client cannot claim an hour in a minute)."""
    for _ in range(MAX_ATTEMPTS):
        event_at = now or timezone.now()
        row = view_row(user=user, cache_key=cache_key, view_id=view_id)
        position = position_checked(position_seconds, row["duration_seconds"])
        elapsed = max(0.0, (event_at - row["last_event_at"]).total_seconds())
        watched = row["watched_seconds"] + min(max(0.0, position - row["position_seconds"]), elapsed)
        updated = view_progress_write(
            view_id=view_id,
            read_at=row["last_event_at"],
            watched=watched,
            position=position,
            furthest=max(row["furthest_position_seconds"], position),
            event_at=event_at,
        )
        if updated:
            return ViewState(view_id, position, watched, row["completed"], row["completed_at"])
    raise Conflict("This view is being updated by other requests; send the event again.")


def view_complete(*, user: User, cache_key: str, view_id: uuid.UUID, now: datetime | None = None) -> ViewState:
    """Mark the view complete (idempotent)."""
    row = view_row(user=user, cache_key=cache_key, view_id=view_id)
    if not row["completed"]:
        completed_at = now or timezone.now()
        marked = ViewSession.objects.filter(pk=view_id, completed=False).update(
            completed=True,
            completed_at=completed_at,
            furthest_position_seconds=Greatest(F("furthest_position_seconds"), F("position_seconds")),
        )
        if marked:
            row["completed_at"] = completed_at
        else:  # completed meanwhile by another request
            row = view_row(user=user, cache_key=cache_key, view_id=view_id)
    return ViewState(view_id, row["position_seconds"], row["watched_seconds"], True, row["completed_at"])
