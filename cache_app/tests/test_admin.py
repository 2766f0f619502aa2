"""Staff see entries, search them, invalidate them, and watch the statistics."""

import pytest
from django.core.cache import caches

from cache_app.models import CacheEntry
from cache_app.services import cache_entry_store
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


def test_statistics_reset_button(staff_client):
    cache_entry_store(**triple(), metadata=metadata())
    response = staff_client.post("/admin/cache_app/cacheentry/statistics/", {"reset": "1"})
    assert response.status_code == 200 and b"Statistics reset" in response.content


def test_non_staff_cannot_reach_the_statistics(client):
    response = client.get("/admin/cache_app/cacheentry/statistics/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
