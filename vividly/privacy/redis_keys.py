"""Erasing Redis keys that name a user: found by SCAN with a glob pattern, never by KEYS."""

import re

from vividly.errors import DependencyUnavailable
from vividly.redis_guard import RedisUnavailable, client, guarded

_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


class ErasureUnavailable(DependencyUnavailable):
    code = "erasure_unavailable"
    default_message = "Redis holds keys about this user and is unreachable; nothing was erased. Try again shortly."


def glob_escape(text: str) -> str:
    """Return `text` matching itself only in a Redis glob pattern."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


def redis_keys_delete(alias: str, pattern: str) -> int:
    """Delete every key of the Redis behind `alias` matching `pattern`; return how many.

    An unreachable Redis raises ErasureUnavailable (503): an erasure that silently left
    keys behind would be reported as complete when it is not.
    """
    redis = client(alias)

    def scan_and_delete() -> int:
        deleted = 0
        batch: list[bytes] = []
        for key in redis.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += redis.delete(*batch)
                batch = []
        if batch:
            deleted += redis.delete(*batch)
        return deleted

    try:
        return guarded(alias, scan_and_delete)
    except RedisUnavailable as exc:
        raise ErasureUnavailable() from exc
