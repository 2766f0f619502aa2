"""Signed, expiring links to content: GCS V4 through django-storages, or the service itself.

One interface (`UrlSigner.sign`), two implementations chosen by the `content` storage:
a GoogleCloudStorage bucket gets GCS V4 signatures (local RSA with a key file, or IAM
signBlob on Cloud Run/GKE); a local folder gets HMAC-signed links to /files/ that this
service checks and serves.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import parse_qs, quote, urlsplit

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signing import Signer
from django.utils.crypto import constant_time_compare

logger = logging.getLogger("delivery_app")


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_at: datetime

    def expires_in(self, now: datetime | None = None) -> int:
        """Return the seconds left before the link expires, rounded up (never negative).

        Both signers stamp whole seconds, so a fresh signature reports exactly the TTL.
        """
        remaining = (self.expires_at - (now or datetime.now(UTC))).total_seconds()
        return max(0, math.ceil(remaining))


class UrlSigner(Protocol):
    name: str

    def sign(self, blob_name: str, *, content_type: str, ttl: int) -> SignedUrl: ...


class GcsSigner:
    """GCS V4 signatures through django-storages (`storage.url`): no network with a key file."""

    name = "gcs"

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def sign(self, blob_name: str, *, content_type: str, ttl: int) -> SignedUrl:
        url = self.storage.url(
            blob_name,
            parameters={"expiration": timedelta(seconds=ttl), "response_type": content_type},
        )
        # Read the expiry off the URL itself: it is what GCS will enforce.
        query = parse_qs(urlsplit(url).query)
        signed_at = datetime.strptime(query["X-Goog-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return SignedUrl(url=url, expires_at=signed_at + timedelta(seconds=int(query["X-Goog-Expires"][0])))


class LocalSigner:
    """Links to this service's /files/ view, carrying path, expiry and type under an HMAC."""

    name = "local"
    salt = "vividly.delivery.local-file-url"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def signature(self, blob_name: str, expires: int, content_type: str) -> str:
        return Signer(salt=self.salt).signature(f"{blob_name}\n{expires}\n{content_type}")

    def sign(self, blob_name: str, *, content_type: str, ttl: int) -> SignedUrl:
        expires = int(self.clock()) + ttl
        signature = self.signature(blob_name, expires, content_type)
        url = (
            f"{settings.PUBLIC_BASE_URL}/files/{quote(blob_name)}"
            f"?expires={expires}&type={quote(content_type, safe='')}&signature={signature}"
        )
        return SignedUrl(url=url, expires_at=datetime.fromtimestamp(expires, UTC))

    def verify(self, blob_name: str, *, expires: str, content_type: str, signature: str) -> bool:
        """Return True for an untampered link that has not expired (no grace period)."""
        try:
            expires_at = int(expires)
        except (TypeError, ValueError):
            return False
        expected = self.signature(blob_name, expires_at, content_type)
        return constant_time_compare(expected, signature or "") and self.clock() < expires_at


def signer() -> UrlSigner:
    """Return the signer for the configured content storage."""
    storage = storages["content"]
    from storages.backends.gcloud import GoogleCloudStorage

    if isinstance(storage, GoogleCloudStorage):
        return GcsSigner(storage)
    return LocalSigner()
