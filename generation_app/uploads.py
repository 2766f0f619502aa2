"""Where a generator PUTs each artifact: a GCS V4 signed PUT, or a signed link to this service.

A generator needs no cloud credentials: the URL carries the authorisation. Blob names are
chosen here, under the job's key and attempt, so a late upload of a stale lease lands
beside, never over, what the current lease will name in its metadata. The local link
also re-checks the lease when the bytes arrive.
"""

import hashlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from storages.backends.gcloud import GoogleCloudStorage

from generation_app.errors import LeaseLost
from generation_app.models import GenerationJob
from generation_app.services import held_job, lease_is_live
from vividly.errors import DomainError, Forbidden, InvalidInput

UPLOAD_SALT = "vividly.generation.upload"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Artifact:
    name: str
    content_type: str


@dataclass(frozen=True)
class UploadTarget:
    name: str
    blob_name: str
    url: str
    headers: dict[str, str]
    expires_at: datetime
    method: str = "PUT"


class UploadTooLarge(DomainError):
    code = "upload_too_large"
    status_code = 413


class InvalidUploadLink(Forbidden):
    code = "invalid_signature"
    default_message = "This upload link is invalid or has expired."


def lease_digest(lease_token: str) -> str:
    # The link names the lease without carrying the token itself (URLs end up in logs).
    return hashlib.sha256(lease_token.encode()).hexdigest()[:32]


def generation_uploads_sign(
    *, job_id: Any, lease_token: str, artifacts: list[Artifact], now: datetime | None = None
) -> list[UploadTarget]:
    """Return a signed PUT for each artifact under the job's key, if `lease_token` is its live lease."""
    now = now or timezone.now()
    with transaction.atomic():
        job = held_job(job_id=job_id, lease_token=lease_token, now=now)
    ttl = settings.GENERATION_UPLOAD_URL_TTL
    storage = storages["content"]
    targets = []
    for artifact in artifacts:
        blob_name = f"generated/{job.cache_key}/{job.attempts}/{artifact.name}"
        if isinstance(storage, GoogleCloudStorage):
            url = storage.url(
                blob_name,
                parameters={
                    "method": "PUT",
                    "content_type": artifact.content_type,
                    "expiration": timedelta(seconds=ttl),
                },
            )
        else:
            url = local_upload_url(blob_name, artifact.content_type, job=job, expires=int(now.timestamp()) + ttl)
        targets.append(
            UploadTarget(
                name=artifact.name,
                blob_name=blob_name,
                url=url,
                headers={"Content-Type": artifact.content_type},
                expires_at=(now + timedelta(seconds=ttl)).replace(microsecond=0),
            )
        )
    return targets


def local_upload_url(blob_name: str, content_type: str, *, job: GenerationJob, expires: int) -> str:
    token = signing.Signer(salt=UPLOAD_SALT).sign_object(
        {
            "blob": blob_name,
            "type": content_type,
            "exp": expires,
            "job": str(job.pk),
            "lease": lease_digest(job.lease_token),
        }
    )
    return f"{settings.PUBLIC_BASE_URL}/files/upload/{quote(blob_name)}?token={quote(token, safe='')}"


def generation_upload_receive(
    *,
    blob_name: str,
    token: str,
    content_type: str,
    length: int,
    body: IO[bytes],
    clock: Callable[[], float] = time.time,
) -> int:
    """Check the link, then stream the body to the content storage; return the bytes kept."""
    try:
        claims = signing.Signer(salt=UPLOAD_SALT).unsign_object(token)
    except signing.BadSignature as exc:
        raise InvalidUploadLink() from exc
    if claims.get("blob") != blob_name or clock() >= claims.get("exp", 0):
        raise InvalidUploadLink()
    if content_type != claims["type"]:
        raise InvalidInput(details={"Content-Type": [f"This link accepts {claims['type']} only."]})
    job = GenerationJob.objects.filter(pk=claims["job"]).first()
    now = datetime.fromtimestamp(clock(), UTC)
    if job is None or not lease_is_live(job, job.lease_token, now) or lease_digest(job.lease_token) != claims["lease"]:
        raise LeaseLost()
    limit = settings.UPLOAD_MAX_BYTES
    too_large = UploadTooLarge(f"An artifact may be at most {limit} bytes.")
    if length > limit:
        raise too_large
    with tempfile.TemporaryFile() as spool:
        size = 0
        while chunk := body.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large  # the spool goes with the with-block: nothing is kept
            spool.write(chunk)
        spool.seek(0)
        storages["content"].save(blob_name, File(spool, name=blob_name))
    return size
