"""Writes of delivery: content requests (and their readiness), view sessions and progress."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from cache_app.keys import is_cache_key
from cache_app.selectors import cache_lookup
from cache_app.tiers import ColdTierUnavailable
from delivery_app.assets import asset_choice
from delivery_app.devices import device_from_user_agent, user_agent_text
from delivery_app.models import ContentRequest, RequestStatus, ViewSession
from delivery_app.selectors import content_document
from vividly.accounts.models import User
from vividly.errors import Conflict, DomainError, InvalidInput, NotFound

logger = logging.getLogger("delivery_app")


def content_request_create(*, user: User, topic_id: str, interest: str, style: str) -> tuple[ContentRequest, bool]:
    """Record that `user` asked for the triple; return the request and whether it is new.

    `ready` when the cache holds the content. Asking again returns the same request.
    """
    lookup = cache_lookup(topic_id=topic_id, interest=interest, style=style)
    status = RequestStatus.READY if lookup.hit else RequestStatus.PENDING
    now = timezone.now()
    try:
        with transaction.atomic():
            request, created = ContentRequest.objects.get_or_create(
                user=user,
                cache_key=lookup.cache_key,
                defaults={
                    "topic_id": topic_id,
                    "interest": interest,
                    "style": style,
                    "status": status,
                    "created_at": now,
                    "ready_at": now if lookup.hit else None,
                },
            )
    except IntegrityError:  # the same student asked twice at once
        return ContentRequest.objects.get(user=user, cache_key=lookup.cache_key), False
    if created and request.status == RequestStatus.PENDING:
        # The content may have been stored between our lookup and our insert, in which
        # case the store's notice found no pending request: look once more.
        try:
            again = cache_lookup(topic_id=topic_id, interest=interest, style=style)
        except ColdTierUnavailable:
            again = None
        if again is not None and again.hit:
            content_requests_mark_ready(cache_key=lookup.cache_key, title=again.metadata.get("title", ""))
            request.refresh_from_db()
    return request, created


def content_link(cache_key: str) -> str:
    return settings.CONTENT_LINK_TEMPLATE.format(base=settings.PUBLIC_BASE_URL, cache_key=cache_key)


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
                        "student_name": student.get_full_name() or student.username,
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


def view_start(*, user: User, cache_key: str, quality: str | None, user_agent: str) -> ViewSession:
    """Start a view session of content `user` may see, with the device the User-Agent tells."""
    choice = asset_choice(asset_type="video", quality=quality)
    document = content_document(user=user, cache_key=cache_key)
    user_agent = user_agent_text(user_agent)
    device = device_from_user_agent(user_agent)
    return ViewSession.objects.create(
        user=user,
        cache_key=cache_key,
        quality=choice.quality,
        duration_seconds=float(document["metadata"]["duration_seconds"]),
        device_type=device.device_type,
        browser=device.browser,
        os=device.os,
        user_agent=user_agent,
        last_event_at=timezone.now(),
    )


def position_value(position: Any, duration: float) -> float:
    if isinstance(position, bool) or not isinstance(position, (int, float)):
        raise InvalidInput(details={"position_seconds": ["A number is required."]})
    if not 0 <= position <= duration:
        raise InvalidInput(details={"position_seconds": [f"Must be between 0 and the duration ({duration:g} s)."]})
    return float(position)


def parse_view_id(view_id: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(view_id))
    except ValueError as exc:
        raise InvalidInput(details={"view_id": ["Must be a view id (a UUID)."]}) from exc


@dataclass(frozen=True)
class ViewState:
    view_id: uuid.UUID
    position_seconds: float
    watched_seconds: float
    completed: bool
    completed_at: datetime | None


STATE_FIELDS = (
    "duration_seconds",
    "position_seconds",
    "furthest_position_seconds",
    "watched_seconds",
    "last_event_at",
    "completed",
    "completed_at",
)
# Concurrent events for one view: each update is conditional on the state it read.
MAX_ATTEMPTS = 5


def view_row(*, user: User, cache_key: str, view_id: uuid.UUID) -> dict[str, Any]:
    if not is_cache_key(cache_key):
        # Not worth a query, and PostgreSQL would refuse some (a NUL in the path, say).
        raise NotFound("No such view session.")
    try:
        # values() and get(): no model instance and no ORDER BY on the most frequent write.
        return ViewSession.objects.values(*STATE_FIELDS).get(pk=view_id, user=user, cache_key=cache_key)
    except ViewSession.DoesNotExist as exc:
        raise NotFound("No such view session.") from exc


def view_progress(
    *, user: User, cache_key: str, view_id: Any, position_seconds: Any, now: datetime | None = None
) -> ViewState:
    """Record the position; watched time grows only by forward playback, and never faster
    than the wall clock since the previous event (a client cannot claim an hour in a minute)."""
    view_id = parse_view_id(view_id)
    for _ in range(MAX_ATTEMPTS):
        event_at = now or timezone.now()
        row = view_row(user=user, cache_key=cache_key, view_id=view_id)
        position = position_value(position_seconds, row["duration_seconds"])
        elapsed = max(0.0, (event_at - row["last_event_at"]).total_seconds())
        watched = row["watched_seconds"] + min(max(0.0, position - row["position_seconds"]), elapsed)
        updated = ViewSession.objects.filter(pk=view_id, last_event_at=row["last_event_at"]).update(
            watched_seconds=watched,
            position_seconds=position,
            furthest_position_seconds=max(row["furthest_position_seconds"], position),
            last_event_at=event_at,
        )
        if updated:
            return ViewState(view_id, position, watched, row["completed"], row["completed_at"])
    raise Conflict("This view is being updated by other requests; send the event again.")


def view_complete(*, user: User, cache_key: str, view_id: Any, now: datetime | None = None) -> ViewState:
    """Mark the view complete (idempotent)."""
    view_id = parse_view_id(view_id)
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
