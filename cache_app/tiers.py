"""The two tiers: Redis (hot, evictable, TTL) and a bucket (cold, permanent, the record)."""

import json
import logging
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from redis.lock import Lock

from vividly.errors import DependencyUnavailable
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("cache_app")

COLD_PREFIX = "entries/"
# Written in place of a document when the cold tier holds nothing for a key, so that
# requests waiting on another's cold read learn "miss" without reading again.
MISS_MARKER_SECONDS = 5
FILL_LOCK_SECONDS = 5


class ColdTierUnavailable(DependencyUnavailable):
    code = "cold_tier_unavailable"
    default_message = "The cold cache tier cannot be read; try again shortly (this is not a miss)."


class HotTier:
    """Entries in Redis through the `hot` cache alias, expiring after CACHE_HOT_TTL."""

    alias = "hot"

    def get(self, cache_key: str) -> dict[str, Any] | None:
        """Return the document, or None on a miss; raise RedisUnavailable when Redis is out."""
        return guarded(self.alias, caches[self.alias].get, cache_key)

    def set(self, cache_key: str, document: dict[str, Any]) -> bool:
        """Store `document`; return False (and log) when Redis is out: the hot tier is optional."""
        try:
            guarded(self.alias, caches[self.alias].set, cache_key, document, settings.CACHE_HOT_TTL)
        except RedisUnavailable as exc:
            logger.warning("hot tier write skipped for %s: %s", cache_key, exc)
            return False
        return True

    def delete(self, cache_keys: list[str]) -> None:
        """Remove entries and their miss markers; raise RedisUnavailable when Redis is out."""
        if cache_keys:
            cache = caches[self.alias]
            guarded(self.alias, cache.delete_many, [*cache_keys, *(miss_key(key) for key in cache_keys)])

    def is_known_miss(self, cache_key: str) -> bool:
        return bool(guarded(self.alias, caches[self.alias].get, miss_key(cache_key)))

    def mark_miss(self, cache_key: str) -> None:
        try:
            guarded(self.alias, caches[self.alias].set, miss_key(cache_key), 1, MISS_MARKER_SECONDS)
        except RedisUnavailable:
            pass  # waiters will read the cold tier themselves

    def fill_lock(self, cache_key: str) -> Lock:
        """Return the lock one request holds while it reads the cold tier for everyone."""
        return client(self.alias).lock(
            f"vividly:fill:{cache_key}", timeout=FILL_LOCK_SECONDS, blocking=False, thread_local=False
        )

    def flush(self) -> None:
        guarded(self.alias, caches[self.alias].clear)


def miss_key(cache_key: str) -> str:
    return f"miss:{cache_key}"


class ColdTier:
    """One JSON document per key in the `cache_cold` storage (GCS bucket or local folder)."""

    alias = "cache_cold"

    @property
    def storage(self) -> Storage:
        return storages[self.alias]

    @staticmethod
    def name(cache_key: str) -> str:
        return f"{COLD_PREFIX}{cache_key}.json"

    def get(self, cache_key: str) -> dict[str, Any] | None:
        """Return the document, or None when the cold tier has none; raise when unreadable."""
        try:
            with self.storage.open(self.name(cache_key), "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            return None
        except Exception as exc:
            logger.error("cold tier read failed for %s: %s", cache_key, exc)
            raise ColdTierUnavailable() from exc
        try:
            return json.loads(raw)
        except ValueError as exc:
            # A torn or corrupt document is not a miss: a miss would trigger a regeneration.
            logger.error("cold tier document for %s is not valid JSON", cache_key)
            raise ColdTierUnavailable() from exc

    def put(self, cache_key: str, document: dict[str, Any]) -> None:
        body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
        try:
            self.storage.save(self.name(cache_key), ContentFile(body))
        except Exception as exc:
            logger.error("cold tier write failed for %s: %s", cache_key, exc)
            raise ColdTierUnavailable("The cold cache tier cannot be written; nothing was stored.") from exc

    def exists(self, cache_key: str) -> bool:
        try:
            return self.storage.exists(self.name(cache_key))
        except Exception as exc:
            raise ColdTierUnavailable() from exc

    def delete(self, cache_key: str) -> None:
        try:
            self.storage.delete(self.name(cache_key))
        except FileNotFoundError:
            pass
        except Exception as exc:
            raise ColdTierUnavailable("The cold cache tier cannot be written; nothing was invalidated.") from exc

    def keys(self) -> list[str]:
        """Return every key the cold tier holds (for --all invalidation)."""
        try:
            _, files = self.storage.listdir(COLD_PREFIX)
        except FileNotFoundError:
            return []
        except Exception as exc:
            raise ColdTierUnavailable() from exc
        return [name.removesuffix(".json") for name in files if name.endswith(".json")]


hot_tier = HotTier()
cold_tier = ColdTier()
