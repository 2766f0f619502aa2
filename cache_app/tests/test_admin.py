"""Staff see entries, search them, invalidate them, and watch the statistics."""

import pytest
from django.contrib.admin import site
from django.core.cache import caches

from cache_app import selectors, services
from cache_app.admin import CacheEntryAdmin
from cache_app.models import CacheEntry
from cache_app.services import cache_entry_store
from cache_app.signals import content_invalidated
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import cold_tier
from vividly.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_changelist_search_and_statistics(staff_client):
    cache_entry_store(**triple(topic_id="photosynthesis"), metadata=metadata(title="Leaves at Work"))
    cache_entry_store(**triple(topic_id="gravity"), metadata=metadata())
    response = staff_client.get("/admin/cache_app/cacheentry/?q=photosynthesis")
    assert response.status_code == 200
    assert b"Leaves at Work" in response.content and b"gravity" not in response.content
    stats_page = staff_client.get("/admin/cache_app/cacheentry/statistics/")
    assert stats_page.status_code == 200 and b"Hit rate" in stats_page.content


def test_invalidate_action_removes_both_tiers(staff_client):
    key = cache_entry_store(**triple(), metadata=metadata()).cache_key
    response = staff_client.post(
        "/admin/cache_app/cacheentry/", {"action": "invalidate", "_selected_action": [key]}, follow=True
    )
    assert response.status_code == 200 and b"Invalidated 1 entry" in response.content
    assert not CacheEntry.objects.exists()
    assert cold_tier.get(key) is None and caches["hot"].get(key) is None


def test_statistics_reset_asks_first_and_resets_only_on_the_confirmations_post(staff_client):
    cache_entry_store(**triple(), metadata=metadata())
    # The old one-click form posted to the statistics page itself: that resets nothing now.
    staff_client.post("/admin/cache_app/cacheentry/statistics/", {"reset": "1"})
    confirm = staff_client.get("/admin/cache_app/cacheentry/statistics/reset/")
    assert confirm.status_code == 200 and b"Yes, reset the counters" in confirm.content
    assert selectors.cache_stats()["stores"] == 1
    response = staff_client.post("/admin/cache_app/cacheentry/statistics/reset/", follow=True)
    assert response.redirect_chain[-1][0] == "/admin/cache_app/cacheentry/statistics/"
    assert b"Statistics reset" in response.content
    assert selectors.cache_stats()["stores"] == 0


def served(key: str) -> bool:
    return services.cache_entry_fetch(cache_key=key, record=False).hit


@pytest.fixture
def invalidations():
    """Record the keys `content_invalidated` announces (delivery forgets their signed URLs on it)."""
    announced: list[str] = []

    def receiver(*, cache_keys, **kwargs):
        announced.extend(cache_keys)

    content_invalidated.connect(receiver)
    yield announced
    content_invalidated.disconnect(receiver)


def test_deleting_an_entry_from_its_page_removes_the_content_not_just_the_row(
    staff_client, invalidations, django_capture_on_commit_callbacks
):
    key = cache_entry_store(**triple(topic_id="gravity"), metadata=metadata()).cache_key
    other = cache_entry_store(**triple(topic_id="optics"), metadata=metadata()).cache_key
    assert served(key)
    delete_url = f"/admin/cache_app/cacheentry/{key}/delete/"
    assert staff_client.get(delete_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(delete_url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert not served(key), "the deleted entry must not be served any more"
    assert cold_tier.get(key) is None and caches["hot"].get(key) is None
    assert not CacheEntry.objects.filter(pk=key).exists()
    assert invalidations == [key]
    assert selectors.cache_stats()["invalidations"] == 1
    assert served(other)


def test_the_bulk_delete_is_the_invalidate_action_only(staff_client, invalidations, django_capture_on_commit_callbacks):
    key = cache_entry_store(**triple(), metadata=metadata()).cache_key
    changelist = staff_client.get("/admin/cache_app/cacheentry/")
    assert b"delete_selected" not in changelist.content
    # Django's delete_selected removed the row only; it is gone, and posting it does nothing.
    staff_client.post(
        "/admin/cache_app/cacheentry/", {"action": "delete_selected", "_selected_action": [key], "post": "yes"}
    )
    assert CacheEntry.objects.filter(pk=key).exists() and served(key)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post("/admin/cache_app/cacheentry/", {"action": "invalidate", "_selected_action": [key]})
    assert not served(key) and not CacheEntry.objects.exists() and invalidations == [key]


def test_every_delete_hook_of_the_admin_goes_through_the_service(rf):
    kept = cache_entry_store(**triple(topic_id="kept"), metadata=metadata()).cache_key
    keys = [cache_entry_store(**triple(topic_id=f"t{n}"), metadata=metadata()).cache_key for n in range(2)]
    model_admin = CacheEntryAdmin(CacheEntry, site)
    request = rf.post("/")
    model_admin.delete_queryset(request, CacheEntry.objects.filter(pk=keys[0]))
    model_admin.delete_model(request, CacheEntry.objects.get(pk=keys[1]))
    assert not any(served(key) for key in keys) and served(kept)
    assert all(cold_tier.get(key) is None for key in keys)


def test_an_entry_cannot_be_edited_or_added(staff_client):
    key = cache_entry_store(**triple(), metadata=metadata(title="Before")).cache_key
    page = staff_client.get(f"/admin/cache_app/cacheentry/{key}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    staff_client.post(f"/admin/cache_app/cacheentry/{key}/change/", {"title": "After"})
    assert CacheEntry.objects.get(pk=key).title == "Before"


def test_non_staff_cannot_reach_the_statistics(client):
    response = client.get("/admin/cache_app/cacheentry/statistics/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
