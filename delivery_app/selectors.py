"""Reads of delivery: who may see which content, requests lists, signed URLs for assets."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from cache_app.keys import is_cache_key
from cache_app.selectors import cache_entries_get
from cache_app.tiers import ColdTierUnavailable
from delivery_app import url_cache
from delivery_app.assets import AssetChoice, asset_choice, blob_for
from delivery_app.models import ContentRequest
from delivery_app.signing import SignedUrl, content_type_for, signer
from delivery_app.url_cache import AssetRef
from vividly.accounts.models import Role, User
from vividly.accounts.selectors import teacher_student_ids
from vividly.errors import DomainError, InvalidInput, NotFound
from vividly.process_state import Memo

NOT_VISIBLE = "No such content, or it is not visible to you."


# A granted access is remembered per process for a few seconds: a player asks for URLs
# again and again, and the query costs more than the rest of the request. Refusals are
# never remembered (a new request is visible at once); an unenrolment reaches the other
# processes within VISIBILITY_MEMO_SECONDS.
VISIBILITY_MEMO_SECONDS = 10.0
visible_memo = Memo(VISIBILITY_MEMO_SECONDS)


def visible_cache_keys(*, user: User, cache_keys: Iterable[str]) -> set[str]:
    """Return which keys `user` may reach: a student's own requests, a teacher's students'
    requests, everything for staff; at most one query whatever the number of keys."""
    keys = {key for key in cache_keys if isinstance(key, str) and is_cache_key(key)}
    if user.is_staff or not keys:
        return keys
    known = {key for key in keys if visible_memo.get(f"{user.pk}:{key}")}
    unknown = keys - known
    if not unknown:
        return known
    if user.role == Role.STUDENT:
        requests = ContentRequest.objects.filter(user=user, cache_key__in=unknown)
    elif user.role == Role.TEACHER:
        requests = ContentRequest.objects.filter(cache_key__in=unknown, user__in=teacher_student_ids(teacher=user))
    else:
        return set()
    if len(unknown) == 1:
        granted = unknown if requests.exists() else set()
    else:
        granted = set(requests.order_by().values_list("cache_key", flat=True).distinct())
    for key in granted:
        visible_memo.put(f"{user.pk}:{key}", True)
    return known | granted


def content_requests_for(*, user: User) -> QuerySet:
    """Return the requests `user` may list: their own (student), their students' (teacher), all (staff)."""
    requests = ContentRequest.objects.select_related("user").order_by("-created_at")
    if user.is_staff:
        return requests
    if user.role == Role.TEACHER:
        return requests.filter(user__in=teacher_student_ids(teacher=user))
    return requests.filter(user=user)


def content_document(*, user: User, cache_key: str) -> dict[str, Any]:
    """Return the cached document for a key `user` may see; NotFound otherwise."""
    if cache_key not in visible_cache_keys(user=user, cache_keys=[cache_key]):
        raise NotFound(NOT_VISIBLE)
    found, unavailable = cache_entries_get(cache_keys=[cache_key])
    if cache_key in unavailable:
        raise ColdTierUnavailable()
    if cache_key not in found:
        raise NotFound(NOT_VISIBLE)
    return found[cache_key]


def url_body(cache_key: str, choice: AssetChoice, signed: SignedUrl) -> dict[str, Any]:
    return {
        "cache_key": cache_key,
        "type": choice.type,
        "quality": choice.quality,
        "url": signed.url,
        "expires_at": signed.expires_at,
        "expires_in": signed.expires_in(),
    }


def signed_asset_urls(wanted: list[tuple[str, AssetChoice]]) -> list[SignedUrl | DomainError]:
    """Return, in order, a signed URL (or the error) for each visible (cache key, asset).

    Remembered URLs answer first (one Redis round trip for all); only the rest read the
    content's metadata (one more round trip) and are signed.
    """
    active = signer()
    refs = [AssetRef(cache_key, choice.type, choice.quality) for cache_key, choice in wanted]
    known = url_cache.remembered(active.name, refs)
    missing = sorted({ref.cache_key for ref in refs if ref not in known})
    found, unavailable = cache_entries_get(cache_keys=missing) if missing else ({}, set())
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
        fresh[ref] = active.sign(blob, content_type=content_type_for(blob, choice.type), ttl=settings.SIGNED_URL_TTL)
        results.append(fresh[ref])
    url_cache.remember(active.name, fresh)
    return results


def content_asset_url(*, user: User, cache_key: str, asset_type: str | None, quality: str | None) -> dict[str, Any]:
    """Return a signed URL for one asset of content `user` may see."""
    choice = asset_choice(asset_type=asset_type, quality=quality)
    if cache_key not in visible_cache_keys(user=user, cache_keys=[cache_key]):
        raise NotFound(NOT_VISIBLE)
    [result] = signed_asset_urls([(cache_key, choice)])
    if isinstance(result, DomainError):
        raise result
    return url_body(cache_key, choice, result)


def item_error(cache_key: Any, error: DomainError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        body["details"] = error.details
    return {"cache_key": cache_key, "error": body}


def content_asset_urls(*, user: User, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return, in order, a signed URL or an error for each item; the access check for all
    items is one query, the URLs at most two Redis round trips."""
    visible = visible_cache_keys(user=user, cache_keys=[item.get("cache_key") for item in items])
    results: list[dict[str, Any] | None] = [None] * len(items)
    wanted: list[tuple[int, str, AssetChoice]] = []
    for index, item in enumerate(items):
        cache_key = item.get("cache_key")
        try:
            choice = asset_choice(asset_type=item.get("type"), quality=item.get("quality"))
            if cache_key not in visible:
                raise NotFound(NOT_VISIBLE)
        except DomainError as error:
            results[index] = item_error(cache_key, error)
            continue
        wanted.append((index, cache_key, choice))
    signed = signed_asset_urls([(cache_key, choice) for _, cache_key, choice in wanted])
    for (index, cache_key, choice), result in zip(wanted, signed, strict=True):
        is_error = isinstance(result, DomainError)
        results[index] = item_error(cache_key, result) if is_error else url_body(cache_key, choice, result)
    return results  # type: ignore[return-value]


def validate_batch_items(items: Any, *, limit: int) -> list[dict[str, Any]]:
    """Return the batch items if they are a list of at most `limit` objects; else raise."""
    if not isinstance(items, list) or not items:
        raise InvalidInput(details={"items": ["A non-empty list is required."]})
    if len(items) > limit:
        raise InvalidInput(details={"items": [f"At most {limit} items per request."]})
    problems = [problem for index, item in enumerate(items) if (problem := batch_item_shape_error(index, item))]
    if problems:
        raise InvalidInput(details={"items": problems[:10]})
    return items


def batch_item_shape_error(index: int, item: Any) -> str | None:
    """Return why an item is not shaped like {"cache_key": str, "type"?: str, "quality"?: str}.

    A malformed item fails the batch (the caller has a bug); a well-formed item naming
    content or an asset that is not there fails alone, in its result.
    """
    if not isinstance(item, dict):
        return f"Item {index} must be an object."
    if not isinstance(item.get("cache_key"), str) or not item["cache_key"]:
        return f"Item {index} needs a cache_key string."
    if any(field in item and not isinstance(item[field], str) for field in ("type", "quality")):
        return f"Item {index}: type and quality, when given, must be strings."
    return None
