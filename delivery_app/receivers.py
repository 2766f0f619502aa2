"""React to the cache: content that was pending becomes ready (in the worker when it can)."""

import logging
from typing import Any

import django_rq
from django.dispatch import receiver

from cache_app.signals import content_stored
from delivery_app import jobs
from vividly.redis_guard import OUTAGE_ERRORS

logger = logging.getLogger("delivery_app")


@receiver(content_stored, dispatch_uid="delivery_app.content_stored")
def content_became_available(*, cache_key: str, metadata: dict[str, Any], **kwargs: Any) -> None:
    title = str(metadata.get("title", ""))
    try:
        # Off the store's request path: there may be a classroom of students to email.
        django_rq.get_queue("default").enqueue(jobs.mark_requests_ready, cache_key, title)
    except OUTAGE_ERRORS as exc:
        logger.warning("queue unavailable, marking requests for %s ready inline: %s", cache_key, exc)
        jobs.mark_requests_ready(cache_key, title)
