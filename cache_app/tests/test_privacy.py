"""The cache's part of privacy: entries a staff member stored are in their export; erasure blanks the name."""

import pytest

from cache_app import services
from cache_app.models import CacheEntry
from cache_app.tests.factories import metadata, triple
from vividly.accounts.tests.factories import StaffFactory
from vividly.privacy.services import user_erase, user_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(local_cold_tier) -> dict[str, str]:
    lena = StaffFactory(username="ops-lena")
    hers = services.cache_entry_store(**triple(topic_id="t-1"), metadata=metadata(), stored_by=lena.username)
    other = services.cache_entry_store(**triple(topic_id="t-2"), metadata=metadata(), stored_by="service:pipeline")
    return {"hers": hers.cache_key, "other": other.cache_key}


def test_the_export_lists_the_entries_they_stored(stored):
    export = user_export(username="ops-lena", actor=None)
    assert [row["cache_key"] for row in export["cache_entries"]] == [stored["hers"]]
    assert export["cache_entries"][0]["stored_by"] == "ops-lena"


def test_erasure_blanks_their_name_and_keeps_the_shared_content(stored):
    assert user_erase(username="ops-lena", actor=None)["cache_entries"] == 1
    assert dict(CacheEntry.objects.values_list("cache_key", "stored_by")) == {
        stored["hers"]: "",
        stored["other"]: "service:pipeline",
    }
    assert services.cache_entry_fetch(cache_key=stored["hers"]).metadata["title"]  # still served
