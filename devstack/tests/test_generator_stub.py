"""The generator stand-in drives the real HTTP API: claim, upload, heartbeat, complete; it stops when told."""

from io import StringIO

import pytest
from django.core.management import call_command

from cache_app.services import cache_entry_fetch
from devstack.generator_stub import GenerationStopped, GeneratorStub
from generation_app.models import GenerationJob
from generation_app.services import generation_demand_leave
from generation_app.tests.factories import open_job
from vividly.accounts.tests.factories import service_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stub(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url  # where the local upload links point
    return GeneratorStub(base_url=live_server.url, service_key=service_token()[1])


def test_the_stub_generates_every_due_job_through_the_api(stub):
    jobs = [open_job(), open_job(demand=3)]
    done = stub.run_once()
    assert done == [jobs[1].cache_key, jobs[0].cache_key]  # most demanded first
    for job in jobs:
        job.refresh_from_db()
        assert job.status == "done"
        lookup = cache_entry_fetch(cache_key=job.cache_key, record=False)
        assert lookup.hit and lookup.metadata["assets"]["script"].startswith(f"generated/{job.cache_key}/1/")
    assert stub.run_once() == []


def test_the_stub_stops_a_job_nobody_waits_for(stub):
    job = open_job()
    (claimed,) = stub.claim()
    generation_demand_leave(cache_key=job.cache_key)
    with pytest.raises(GenerationStopped, match="nobody waits"):
        stub.make(claimed)
    assert GenerationJob.objects.get(pk=job.pk).status == "cancelled"


def test_the_command_runs_once_with_a_token_of_its_own(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    open_job()
    out = StringIO()
    call_command("run_generator_stub", "--once", "--base-url", live_server.url, stdout=out)
    assert "Generated 1 video." in out.getvalue()
