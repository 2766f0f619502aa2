"""Signed URLs remembered per content and asset, for at most half their lifetime (Redis).

Keyed by what the caller asks for (cache key, type, quality), not by blob name, so a
remembered URL answers without reading the content's metadata at all. Storing or
invalidating content forgets its URLs.

Read through this process's local copy (vividly/local_copy.py, on with CACHE_HOT_LOCAL_COPY),
so a URL asked for again makes no Redis round trip. Unlike the hot tier's stores, a forget does
not wait out the copies' lease: another process may hand out a forgotten URL for at most
CACHE_HOT_LOCAL_LEASE_SECONDS after the forget returned (at once, in practice: Redis pushes the
invalidation). That URL is signed and valid for its whole lifetime anyway, like every copy of it
handed out before the forget; making stores wait longer for it would buy nothing.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches

from cache_app.types import VIDEO_QUALITIES
from delivery_app.signing import SignedUrl
from vividly.local_copy import local_copy, values_through
from vividly.redis_guard import RedisUnavailable, guarded

logger = logging.getLogger("delivery_app")

ALIAS = "default"  # evictable: a forgotten URL is signed again
PREFIX = "signed-url:"
SIGNER_NAMES = ("local", "gcs")


@dataclass(frozen=True)
class AssetRef:
    cache_key: str
    type: str
    quality: str | None

    def key(self, signer_name: str) -> str:
        return f"{PREFIX}{signer_name}:{self.cache_key}:{self.type}:{self.quality or '-'}"


def remembered(signer_name: str, refs: list[AssetRef]) -> dict[AssetRef, SignedUrl]:
    """Return the remembered URLs among `refs`, from the local copy or in one round trip; {}
    when Redis is out."""
    keys = {ref.key(signer_name): ref for ref in refs}
    try:
        found = values_through(local_copy(ALIAS, PREFIX), ALIAS, list(keys))
    except RedisUnavailable as exc:
        logger.warning("signed URL cache unavailable, signing afresh: %s", exc)
        return {}
    return {
        keys[key]: SignedUrl(entry["url"], datetime.fromtimestamp(entry["expires_at"], UTC))
        for key, entry in found.items()
    }


def remember(signer_name: str, signed: dict[AssetRef, SignedUrl]) -> None:
    """Keep freshly signed URLs for half the signed lifetime, in one round trip."""
    if not signed:
        return
    entries = {
        ref.key(signer_name): {"url": url.url, "expires_at": url.expires_at.timestamp()} for ref, url in signed.items()
    }
    try:
        guarded(ALIAS, caches[ALIAS].set_many, entries, settings.SIGNED_URL_TTL // 2)
    except RedisUnavailable as exc:
        logger.warning("signed URLs not remembered: %s", exc)


def forget(cache_keys: list[str]) -> None:
    """Drop every remembered URL of these contents (they were stored again or invalidated)."""
    assets = [("video", quality) for quality in VIDEO_QUALITIES] + [("audio", None), ("script", None)]
    keys = [
        AssetRef(cache_key, kind, quality).key(signer_name)
        for cache_key in cache_keys
        for kind, quality in assets
        for signer_name in SIGNER_NAMES
    ]
    try:
        guarded(ALIAS, caches[ALIAS].delete_many, keys)
    except RedisUnavailable as exc:
        # They expire within SIGNED_URL_TTL / 2 anyway; the links stay valid until then.
        logger.warning("remembered signed URLs not forgotten: %s", exc)
