"""React to the cache: a store of a key by any path closes its open job."""

from typing import Any

from django.dispatch import receiver

from cache_app.signals import content_stored
from generation_app.services import generation_job_close_stored


@receiver(content_stored, dispatch_uid="generation_app.content_stored")
def content_was_stored(*, cache_key: str, **kwargs: Any) -> None:
    generation_job_close_stored(cache_key=cache_key)
