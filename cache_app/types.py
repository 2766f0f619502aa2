"""What other apps may know of the cache: its key, asset vocabulary, lookup result and errors.

delivery_app imports cache_app only through this module, `selectors`, `services` and
`signals` (checked by `lint-imports`, see .importlinter).
"""

from cache_app.asset_types import ASSET_CONTENT_TYPES, asset_content_type
from cache_app.keys import cache_key_for, is_cache_key
from cache_app.metadata import VIDEO_QUALITIES, blob_name_errors
from cache_app.selectors import Lookup
from cache_app.tiers import ColdTierUnavailable

__all__ = [
    "ASSET_CONTENT_TYPES",
    "VIDEO_QUALITIES",
    "ColdTierUnavailable",
    "Lookup",
    "asset_content_type",
    "blob_name_errors",
    "cache_key_for",
    "is_cache_key",
]
