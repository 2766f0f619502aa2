"""What other apps may know of the cache: its key, asset vocabulary, metadata rules, lookup result and errors.

delivery_app and generation_app import cache_app only through this module, `selectors`, `services` and
`signals` (checked by `lint-imports`, see .importlinter).
"""

from dataclasses import dataclass
from typing import Any

from cache_app.asset_types import ASSET_CONTENT_TYPES, asset_content_type
from cache_app.keys import KEY_FIELD_SCHEMA, cache_key_for, is_cache_key, key_field_errors
from cache_app.metadata import VIDEO_QUALITIES, blob_name_errors, metadata_validate
from cache_app.tiers import ColdTierUnavailable


@dataclass(frozen=True)
class Lookup:
    """What a lookup found: the key, whether it hit, in which tier, and the stored document."""

    cache_key: str
    hit: bool
    tier: str | None
    document: dict[str, Any] | None

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self.document["metadata"] if self.document else None


__all__ = [
    "ASSET_CONTENT_TYPES",
    "KEY_FIELD_SCHEMA",
    "VIDEO_QUALITIES",
    "ColdTierUnavailable",
    "Lookup",
    "asset_content_type",
    "blob_name_errors",
    "cache_key_for",
    "is_cache_key",
    "key_field_errors",
    "metadata_validate",
]
