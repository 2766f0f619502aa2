"""The two tiers: Redis (hot, evictable, TTL) and a bucket (cold, permanent, the record)."""

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from redis.lock import Lock

from vividly.errors import DependencyUnavailable
from vividly.local_copy import LocalCopy, local_copy, settle, values_through
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("cache_app")

COLD_PREFIX = "entries/"
# Written in place of a document when the cold tier holds nothing for a key, so that
# requests waiting on another's cold read learn "miss" without reading again.
MISS_MARKER_SECONDS = 5
# Written when the cold read of a fill failed, so that its waiters answer 503 at once.
COLD_FAILED_SECONDS = 1
FILL_LOCK_SECONDS = 5


class ColdTierUnavailable(DependencyUnavailable):
    code = "cold_tier_unavailable"
    default_message = "The cold cache tier cannot be read; try again shortly (this is not a miss)."


class HotTierUnavailable(DependencyUnavailable):
    code = "hot_tier_unavailable"
    default_message = (
        "The hot cache tier is unreachable, so the entry could not be removed from it; nothing was "
        "invalidated. Try again shortly."
    )


class HotTier:
    """Entries in Redis through the `hot` cache alias, expiring after CACHE_HOT_TTL.

    The only door to that alias: documents, the markers a fill leaves for its waiters, and
    the fill lock. Reads raise RedisUnavailable when Redis is out; writes that are only an
    optimisation (warming, markers) log and carry on instead. Documents are served from this
    process's local copy while it is provably current; writes that replace or remove one
    return only once no process can serve the old one (`settle`).
    """

    alias = "hot"

    @property
    def cache(self) -> BaseCache:
        return caches[self.alias]

    def get(self, cache_key: str) -> dict[str, Any] | None:
        """Return the document, or None on a miss; raise RedisUnavailable when Redis is out."""
        return self.get_through(local_copy(self.alias), cache_key)

    def get_through(self, copy: LocalCopy | None, cache_key: str) -> dict[str, Any] | None:
        """`get` with this `copy` (this process's, or in tests another standing for a second process)."""
        if copy is None:
            return guarded(self.alias, self.cache.get, cache_key)
        return values_through(copy, self.alias, [cache_key]).get(cache_key)

    def get_many_through(self, copy: LocalCopy | None, cache_keys: list[str]) -> dict[str, dict[str, Any]]:
        """`get_many` with this `copy`: what it may serve from memory, the rest in one round trip."""
        return values_through(copy, self.alias, cache_keys)

    def settle(self) -> None:
        """Return once no process can serve a copy of a document replaced or removed before this call."""
        if settings.CACHE_HOT_LOCAL_COPY:
            settle(settings.CACHE_HOT_LOCAL_LEASE_SECONDS)

    def get_many(self, cache_keys: list[str]) -> dict[str, dict[str, Any]]:
        """Return the documents held for `cache_keys`, from the local copy or in one round trip
        for the rest; raise RedisUnavailable when Redis is out."""
        return self.get_many_through(local_copy(self.alias), cache_keys)

    def set(self, cache_key: str, document: dict[str, Any]) -> bool:
        """Store `document` and drop its miss marker; return False (and log) when Redis is out.

        Returns once no process serves a copy of the document it replaced.
        """
        try:
            guarded(self.alias, self.cache.set, cache_key, document, settings.CACHE_HOT_TTL)
            guarded(self.alias, self.cache.delete, miss_key(cache_key))
        except RedisUnavailable as exc:
            logger.warning("hot tier write skipped for %s: %s", cache_key, exc)
            return False
        finally:
            self.settle()
        return True

    def warm(self, cache_key: str, document: dict[str, Any]) -> None:
        """Add a document read from the cold tier, unless a newer store landed meanwhile."""
        try:
            guarded(self.alias, self.cache.add, cache_key, document, settings.CACHE_HOT_TTL)
        except RedisUnavailable as exc:
            logger.warning("hot tier not warmed for %s: %s", cache_key, exc)

    def delete(self, cache_keys: list[str], *, settled: bool = True) -> None:
        """Remove entries and their miss markers; raise RedisUnavailable when Redis is out.

        Returns once no process serves a copy of them, unless `settled` is False: then the
        caller calls `settle()` once after all its deletes.
        """
        if cache_keys:
            guarded(self.alias, self.cache.delete_many, [*cache_keys, *(miss_key(key) for key in cache_keys)])
            if settled:
                self.settle()

    def mark(self, marker_key: str, seconds: int) -> None:
        """Leave a short-lived marker (a miss, a failed cold read) for requests waiting on a fill."""
        try:
            guarded(self.alias, self.cache.set, marker_key, 1, seconds)
        except RedisUnavailable:
            pass  # waiters will read the cold tier themselves

    def fill_outcome(self, cache_key: str) -> "Fill | None":
        """Return what a finished fill of `cache_key` left here, or None; raise RedisUnavailable."""
        found = self.get_many([cache_key, miss_key(cache_key), cold_failed_key(cache_key)])
        if cache_key in found:
            return Fill(document=found[cache_key])
        if cold_failed_key(cache_key) in found:
            raise ColdTierUnavailable()
        if miss_key(cache_key) in found:
            return Fill(document=None)
        return None

    def fill_lock(self, cache_key: str) -> Lock:
        """Return the lock one request holds while it reads the cold tier for everyone."""
        return client(self.alias).lock(
            f"vividly:fill:{cache_key}", timeout=FILL_LOCK_SECONDS, blocking=False, thread_local=False
        )

    def acquire(self, lock: Lock, *, wait_seconds: float | None = None) -> bool:
        """Take `lock` (waiting up to `wait_seconds`, or not at all); raise RedisUnavailable."""
        if wait_seconds is None:
            return guarded(self.alias, lock.acquire)
        return guarded(self.alias, lock.acquire, blocking=True, blocking_timeout=wait_seconds)

    def is_locked(self, lock: Lock) -> bool:
        return guarded(self.alias, lock.locked)

    def release(self, lock: Lock) -> None:
        try:
            guarded(self.alias, lock.release)
        except Exception as exc:  # noqa: BLE001 - an expired or unreachable lock is released anyway
            logger.debug("fill lock release: %s", exc)


@dataclass(frozen=True)
class Fill:
    """The outcome another request's fill left in the hot tier: a document, or a miss (None)."""

    document: dict[str, Any] | None


def miss_key(cache_key: str) -> str:
    return f"miss:{cache_key}"


def cold_failed_key(cache_key: str) -> str:
    return f"coldfail:{cache_key}"


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
