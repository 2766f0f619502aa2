"""Signed URLs for assets: remembered with their true remaining time; nothing read for waiting keys."""

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery_app import asset_urls
from delivery_app.assets import AssetChoice
from delivery_app.models import RequestStatus
from delivery_app.tests.factories import requested, stored_content, unstored_content
from vividly.errors import NotFound

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
