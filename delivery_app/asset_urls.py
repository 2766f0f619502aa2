"""Signed URLs for assets of content a user may reach, one or a batch (services: they warm
the cache's hot tier through its fetch doors and remember the URLs they sign)."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from cache_app.services import cache_entries_fetch
from cache_app.types import ColdTierUnavailable, asset_content_type
from delivery_app import url_cache
from delivery_app.assets import AssetChoice, blob_for
from delivery_app.selectors import NOT_VISIBLE, content_access
from delivery_app.signing import SignedUrl, signer
from delivery_app.url_cache import AssetRef
from vividly.accounts.models import User
from vividly.errors import DomainError, InvalidInput, NotFound


@dataclass(frozen=True)
class WantedAsset:
    """One asset a caller asks for; `choice` is the refusal when its type or quality was invalid."""

    cache_key: str
    choice: AssetChoice | InvalidInput


@dataclass(frozen=True)
class AssetUrl:
    cache_key: str
    type: str
    quality: str | None
    url: str
    expires_at: datetime
    expires_in: int


@dataclass(frozen=True)
class AssetRefused:
    cache_key: str
    error: DomainError


def signed_asset_urls(wanted: list[tuple[str, AssetChoice]]) -> list[SignedUrl | DomainError]:
    """Return, in order, a signed URL (or the error) for each reachable (cache key, asset).

    Remembered URLs answer first (one Redis round trip for all); only the rest read the
    content's metadata (one more round trip) and are signed.
    """
    active = signer()
    refs = [AssetRef(cache_key, choice.type, choice.quality) for cache_key, choice in wanted]
    known = url_cache.remembered(active.name, refs)
    missing = sorted({ref.cache_key for ref in refs if ref not in known})
    found, unavailable = cache_entries_fetch(cache_keys=missing) if missing else ({}, set())
    fresh: dict[AssetRef, SignedUrl] = {}
    results: list[SignedUrl | DomainError] = []
    for ref, (cache_key, choice) in zip(refs, wanted, strict=True):
        if ref in known or ref in fresh:
            results.append(known.get(ref) or fresh[ref])
            continue
        try:
            if cache_key in unavailable:
                raise ColdTierUnavailable()
            if cache_key not in found:
                raise NotFound(NOT_VISIBLE)
            blob = blob_for(found[cache_key]["metadata"], choice)
        except DomainError as error:
            results.append(error)
            continue
        fresh[ref] = active.sign(blob, content_type=asset_content_type(blob), ttl=settings.SIGNED_URL_TTL)
        results.append(fresh[ref])
    url_cache.remember(active.name, fresh)
    return results


def asset_url(cache_key: str, choice: AssetChoice, signed: SignedUrl, now: datetime | None) -> AssetUrl:
    return AssetUrl(cache_key, choice.type, choice.quality, signed.url, signed.expires_at, signed.expires_in(now))


def content_asset_url_sign(*, user: User, cache_key: str, choice: AssetChoice, now: datetime | None = None) -> AssetUrl:
    """Return a signed URL for one asset of content `user` may reach; `now` dates `expires_in`."""
    error = content_access(user=user, cache_keys=[cache_key]).refusal(cache_key)
    if error is not None:
        raise error
    [result] = signed_asset_urls([(cache_key, choice)])
    if isinstance(result, DomainError):
        raise result
    return asset_url(cache_key, choice, result, now)


def content_asset_urls_sign(
    *, user: User, items: list[WantedAsset], now: datetime | None = None
) -> list[AssetUrl | AssetRefused]:
    """Return, in order, a signed URL or the refusal for each item; the access check for
    all items is one query, the URLs at most two Redis round trips."""
    access = content_access(user=user, cache_keys=[item.cache_key for item in items])
    results: list[AssetUrl | AssetRefused | None] = [None] * len(items)
    wanted: list[tuple[int, str, AssetChoice]] = []
    for index, item in enumerate(items):
        error = item.choice if isinstance(item.choice, InvalidInput) else access.refusal(item.cache_key)
        if error is not None:
            results[index] = AssetRefused(item.cache_key, error)
            continue
        wanted.append((index, item.cache_key, item.choice))  # type: ignore[arg-type]
    signed = signed_asset_urls([(cache_key, choice) for _, cache_key, choice in wanted])
    for (index, cache_key, choice), result in zip(wanted, signed, strict=True):
        is_error = isinstance(result, DomainError)
        results[index] = AssetRefused(cache_key, result) if is_error else asset_url(cache_key, choice, result, now)
    return results  # type: ignore[return-value]
