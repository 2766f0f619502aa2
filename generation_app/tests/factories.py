"""Jobs in each state, made through the services the product uses."""

import itertools
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from cache_app.types import cache_key_for
from generation_app.models import GenerationJob
from generation_app.services import generation_demand_join, generation_jobs_claim

_counter = itertools.count(1)


def job_triple() -> dict[str, str]:
    n = next(_counter)
    return {"topic_id": f"gen-topic-{n}", "interest": "skateboarding", "style": "visual"}


def open_job(*, demand: int = 1, **triple: str) -> GenerationJob:
    """Open a job as `demand` missing content requests would."""
    fields = {**job_triple(), **triple}
    cache_key = cache_key_for(**fields)
    for _ in range(demand):
        generation_demand_join(cache_key=cache_key, **fields)
    return GenerationJob.objects.get(cache_key=cache_key, status__in=["queued", "leased"])


def claimed_job(*, lease_seconds: int = 60, now: datetime | None = None, **kwargs: Any) -> GenerationJob:
    """Open a job and lease it (the only due job) to worker `gpu-1`."""
    job = open_job(**kwargs)
    (claimed,) = generation_jobs_claim(worker="gpu-1", lease_seconds=lease_seconds, max_jobs=1, now=now)
    assert claimed.pk == job.pk
    return claimed


def uploaded(job: GenerationJob, names: tuple[str, ...] = ("720p.mp4",)) -> None:
    """Put small artifacts where the job's upload links would have put them."""
    for name in names:
        storages["content"].save(f"generated/{job.cache_key}/{job.attempts}/{name}", ContentFile(b"\x00" * 16))


def job_metadata(job: GenerationJob, names: tuple[str, ...] = ("720p.mp4",)) -> dict[str, Any]:
    """Store metadata naming blobs under the job's upload folder."""
    folder = f"generated/{job.cache_key}/{job.attempts}"
    return {
        "title": "Kickflips and Torque",
        "duration_seconds": 95,
        "assets": {"video": {"720p": f"{folder}/{names[0]}"}},
    }
