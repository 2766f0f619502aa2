"""Content in the cache with real asset files, requests and view sessions for tests."""

import itertools
from typing import Any

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from factory.django import DjangoModelFactory

from cache_app.services import cache_entry_store
from cache_app.types import cache_key_for
from delivery_app.models import ContentRequest, RequestStatus, ViewSession

_counter = itertools.count(1)
VIDEO_BYTES = bytes(range(256)) * 40  # 10 240 bytes, every offset distinguishable


def stored_content(
    *, qualities: tuple[str, ...] = ("720p", "1080p"), audio: bool = True, script: bool = False, **fields: str
) -> dict:
    """Write asset files and store the entry in the cache; return the triple and its key."""
    n = next(_counter)
    triple = {"topic_id": f"topic-{n}", "interest": "music", "style": "visual", **fields}
    content = storages["content"]
    assets: dict[str, Any] = {"video": {}}
    for quality in qualities:
        name = f"videos/{n}/{quality}.mp4"
        content.save(name, ContentFile(VIDEO_BYTES))
        assets["video"][quality] = name
    if audio:
        content.save(f"videos/{n}/audio.mp3", ContentFile(b"ID3 audio bytes"))
        assets["audio"] = f"videos/{n}/audio.mp3"
    if script:
        content.save(f"videos/{n}/script.txt", ContentFile(b"The script, line by line."))
        assets["script"] = f"videos/{n}/script.txt"
    stored = cache_entry_store(**triple, metadata={"title": f"Video {n}", "duration_seconds": 120, "assets": assets})
    return {**triple, "cache_key": stored.cache_key}


def unstored_content(**fields: str) -> dict:
    """Return a triple (and its key) the cache does not hold: asking for it is a miss."""
    n = next(_counter)
    triple = {"topic_id": f"unstored-{n}", "interest": "music", "style": "visual", **fields}
    return {**triple, "cache_key": cache_key_for(**triple)}


def requested(user, content: dict, status: str = RequestStatus.READY) -> ContentRequest:
    return ContentRequest.objects.create(
        user=user,
        cache_key=content["cache_key"],
        topic_id=content["topic_id"],
        interest=content["interest"],
        style=content["style"],
        status=status,
    )


class ViewSessionFactory(DjangoModelFactory):
    class Meta:
        model = ViewSession

    quality = "720p"
    duration_seconds = 100.0
    device_type = "desktop"
    browser = "Chrome"
    os = "Windows"
    last_event_at = factory.LazyFunction(timezone.now)
