"""React to the cache and the generation queue: content that was pending becomes ready (in
the worker when it can), or failed when its generation failed for good."""

import logging
from typing import Any

import django_rq
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cache_app.signals import content_invalidated, content_stored
from delivery_app import jobs, services, url_cache
from delivery_app.generation import generation_failed_signal
from delivery_app.models import ContentRequest
from vividly.accounts.models import Classroom, Enrollment
from vividly.process_state import revocation_announce
from vividly.redis_guard import OUTAGE_ERRORS

logger = logging.getLogger("delivery_app")


@receiver(content_stored, dispatch_uid="delivery_app.content_stored")
def content_became_available(*, cache_key: str, metadata: dict[str, Any], **kwargs: Any) -> None:
    url_cache.forget([cache_key])  # its assets may have moved
    title = str(metadata.get("title", ""))
    try:
        # Off the store's request path: there may be a classroom of students to email.
        django_rq.get_queue("default").enqueue(jobs.mark_requests_ready, cache_key, title)
    except OUTAGE_ERRORS as exc:
        logger.warning("queue unavailable, marking requests for %s ready inline: %s", cache_key, exc)
        jobs.mark_requests_ready(cache_key, title)


@receiver(generation_failed_signal(), dispatch_uid="delivery_app.generation_failed")
def generation_gave_up(*, cache_key: str, error_code: str, **kwargs: Any) -> None:
    services.content_requests_mark_failed(cache_key=cache_key, error_code=error_code)


@receiver(content_invalidated, dispatch_uid="delivery_app.content_invalidated")
def content_went_away(*, cache_keys: list[str], **kwargs: Any) -> None:
    url_cache.forget(cache_keys)


@receiver(post_delete, sender=ContentRequest, dispatch_uid="delivery_app.request_deleted")
@receiver(post_delete, sender=Enrollment, dispatch_uid="delivery_app.enrollment_deleted")
@receiver(post_save, sender=Classroom, dispatch_uid="delivery_app.classroom_saved")
@receiver(post_delete, sender=Classroom, dispatch_uid="delivery_app.classroom_deleted")
def access_withdrawn(**kwargs: Any) -> None:
    """Forget remembered access here at once and in every other process within a second.

    Only grants are remembered, so only what can take access away matters: a deleted
    request or enrolment, a classroom handed to another teacher, or a deleted classroom
    (remembered as visible to its teacher even when it had no enrolments).
    """
    revocation_announce()
