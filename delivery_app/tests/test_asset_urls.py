"""Signed URLs for assets: remembered with their true remaining time; nothing read for waiting keys."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery_app import asset_urls, url_cache
from delivery_app.assets import AssetChoice
from delivery_app.models import RequestStatus
from delivery_app.signing import signer
from delivery_app.tests.factories import requested, stored_content, unstored_content
from vividly import local_copy as copies
from vividly.errors import NotFound
from vividly.tests.local_copies import another_process

pytestmark = pytest.mark.django_db

VIDEO_1080P = AssetChoice("video", "1080p")


def test_cached_url_reports_the_true_remaining_time(school):
    content = stored_content()
    requested(school["student_a"], content)
    sign = lambda now=None: asset_urls.content_asset_url_sign(  # noqa: E731
        user=school["student_a"], cache_key=content["cache_key"], choice=VIDEO_1080P, now=now
    )
    first = sign()
    second = sign(now=timezone.now() + timedelta(seconds=1.1))
    assert second.url == first.url and second.expires_at == first.expires_at
    assert second.expires_in <= first.expires_in - 1


def test_a_batch_of_100_pending_keys_costs_no_cold_read(school, cold_reads):
    student = school["student_a"]
    waiting = [unstored_content() for _ in range(100)]
    for content in waiting:
        requested(student, content, status=RequestStatus.PENDING)
    items = [asset_urls.WantedAsset(content["cache_key"], VIDEO_1080P) for content in waiting]
    results = asset_urls.content_asset_urls_sign(user=student, items=items)
    assert cold_reads == []
    assert {(type(result.error), result.error.message) for result in results} == {
        (NotFound, "This content is not ready yet; its request is still open.")
    }


def test_a_single_url_of_a_pending_key_costs_no_cold_read(school, cold_reads):
    content = unstored_content()
    requested(school["student_a"], content, status=RequestStatus.PENDING)
    with pytest.raises(NotFound):
        asset_urls.content_asset_url_sign(user=school["student_a"], cache_key=content["cache_key"], choice=VIDEO_1080P)
    assert cold_reads == []


def test_a_ready_key_whose_content_is_gone_is_read_once(school, cold_reads):
    # The bound of the fix: only keys with a ready request reach the cold tier.
    content = unstored_content()
    requested(school["student_a"], content)
    items = [asset_urls.WantedAsset(content["cache_key"], VIDEO_1080P)] * 3
    results = asset_urls.content_asset_urls_sign(user=school["student_a"], items=items)
    assert all(isinstance(result, asset_urls.AssetRefused) for result in results)
    assert cold_reads == [content["cache_key"]]


@pytest.fixture
def url_copies(settings, monkeypatch):
    """Local copies on (vividly/local_copy.py); yields the Redis reads made for copies' misses."""
    settings.CACHE_HOT_LOCAL_COPY = True
    settings.CACHE_HOT_LOCAL_LEASE_SECONDS = 0.05
    own = copies.local_copy(url_cache.ALIAS, url_cache.PREFIX)
    assert own.wait_fresh(5)
    reads: list[list[str]] = []
    real = copies._values_and_ttls

    def counted(alias: str, keys: list[str]) -> list:
        reads.append(keys)
        return real(alias, keys)

    monkeypatch.setattr(copies, "_values_and_ttls", counted)
    others = []
    yield reads, others
    for copy in [own, *others]:
        copy.stop()


def remembered_key(content: dict) -> str:
    return url_cache.AssetRef(content["cache_key"], VIDEO_1080P.type, VIDEO_1080P.quality).key(signer().name)


def test_a_url_asked_for_again_is_answered_from_this_processs_copy(school, url_copies):
    reads, _ = url_copies
    content = stored_content()
    requested(school["student_a"], content)
    sign = lambda: asset_urls.content_asset_url_sign(  # noqa: E731
        user=school["student_a"], cache_key=content["cache_key"], choice=VIDEO_1080P
    )
    first = sign()  # signs and remembers it
    redis_key = url_cache.caches[url_cache.ALIAS].make_key(remembered_key(content))
    deadline = time.monotonic() + 5
    # Reads the remembered URL from Redis and copies it (unless the remembering write's
    # invalidation came in between: then the next read does).
    while copies.local_copy(url_cache.ALIAS, url_cache.PREFIX).get(redis_key) is None:
        assert sign().url == first.url
        assert time.monotonic() < deadline, "this process never copied the URL"
    before = len(reads)
    assert {sign().url for _ in range(5)} == {first.url}
    assert len(reads) == before  # neither the remembered URL nor the metadata was read from Redis


def test_a_forgotten_url_is_not_handed_out_by_another_process_a_lease_after_the_forget(school, url_copies):
    _, others = url_copies
    other = another_process(url_cache.ALIAS, url_cache.PREFIX)
    others.append(other)
    content = stored_content()
    requested(school["student_a"], content)
    asset_urls.content_asset_url_sign(user=school["student_a"], cache_key=content["cache_key"], choice=VIDEO_1080P)
    key = remembered_key(content)

    def copied_by_the_other() -> bool:
        # A read is copied only if no invalidation (here: the remembering write's) came meanwhile.
        assert key in copies.values_through(other, url_cache.ALIAS, [key])
        return other.get(url_cache.caches[url_cache.ALIAS].make_key(key)) is not None

    deadline = time.monotonic() + 5
    while not copied_by_the_other():
        assert time.monotonic() < deadline, "the other process never copied the URL"
        time.sleep(0.01)

    url_cache.forget([content["cache_key"]])  # as a store or an invalidation of the content does
    copies.settle(other.lease)
    assert copies.values_through(other, url_cache.ALIAS, [key]) == {}
