"""The whole loop: two students miss, one job, one generation, two emails (needs delivery's side).

Delivery opens and joins jobs from its request path (`delivery_app.generation`, built on
another branch). Until that branch is merged this module skips, saying so loudly; after
the merge it must run and pass.
"""

import importlib.util
import json
from urllib.parse import urlsplit

import pytest

from delivery_app.models import ContentRequest
from devstack.workers import drain
from generation_app.models import GenerationJob
from vividly.accounts.tests.factories import StudentFactory

DELIVERY_SIDE = importlib.util.find_spec("delivery_app.generation") is not None
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not DELIVERY_SIDE,
        reason="SKIPPED LOUDLY: delivery_app.generation (delivery's side of the generation loop) is not on this "
        "branch yet; merge the delivery branch and this test must run and pass.",
    ),
]

TRIPLE = {"topic_id": "optics-prisms", "interest": "skateboarding", "style": "visual"}
BASE = "/internal/v1/generation"


def request_content(as_user, *students):
    for student in students:
        response = as_user(student).post("/api/v1/content/requests", TRIPLE, format="json")
        assert response.status_code in (200, 201, 202), response.content
        assert response.json()["status"] == "pending"


def claim_one(service_client) -> dict:
    response = service_client.post(f"{BASE}/claim", {"worker": "loop-gpu", "lease_seconds": 60}, format="json")
    assert response.status_code == 200, response.content
    (job,) = response.json()["jobs"]
    return job


def test_two_students_one_job_one_generation_two_emails(as_user, service_client, client, sendgrid):
    maya, leo = StudentFactory(email="maya@example.edu"), StudentFactory(email="leo@example.edu")
    request_content(as_user, maya, leo)
    (open_job,) = GenerationJob.objects.all()
    assert (open_job.status, open_job.demand) == ("queued", 2)

    job = claim_one(service_client)
    token, path = job["lease_token"], f"{BASE}/{job['id']}"
    files = [{"name": "720p.mp4", "content_type": "video/mp4"}, {"name": "script.txt", "content_type": "text/plain"}]
    signed = service_client.post(f"{path}/uploads", {"lease_token": token, "files": files}, format="json")
    assert signed.status_code == 200, signed.content
    blobs = {}
    for upload in signed.json()["uploads"]:
        parts = urlsplit(upload["url"])
        body = b"sample " + upload["name"].encode()
        put = client.generic(
            "PUT",
            f"{parts.path}?{parts.query}",
            data=body,
            content_type=upload["headers"]["Content-Type"],
            CONTENT_LENGTH=str(len(body)),
        )
        assert put.status_code == 201, put.content
        blobs[upload["name"]] = upload["blob_name"]
    beat = service_client.post(f"{path}/heartbeat", {"lease_token": token, "progress": 0.9}, format="json")
    assert beat.json()["cancel_requested"] is False
    metadata = {
        "title": "Prisms at the Skate Park",
        "duration_seconds": 120,
        "assets": {"video": {"720p": blobs["720p.mp4"]}, "script": blobs["script.txt"]},
    }
    done = service_client.post(f"{path}/complete", {"lease_token": token, "metadata": metadata}, format="json")
    assert done.status_code == 200, done.content
    drain()

    assert set(ContentRequest.objects.values_list("status", flat=True)) == {"ready"}
    assert sorted(email.to for email in sendgrid.emails()) == [
        "leo@example.edu",
        "maya@example.edu",
    ]
    assert GenerationJob.objects.get().status == "done"
    # The generator's retry of its complete changes nothing and emails nobody again.
    again = service_client.post(f"{path}/complete", {"lease_token": token, "metadata": metadata}, format="json")
    assert again.json() == done.json()
    drain()
    assert len(sendgrid.emails()) == 2


def test_a_job_that_fails_for_good_fails_the_waiting_requests(as_user, service_client):
    kai = StudentFactory()
    request_content(as_user, kai)
    job = claim_one(service_client)
    response = service_client.post(
        f"{BASE}/{job['id']}/fail",
        {"lease_token": job["lease_token"], "retryable": False, "error_code": "unsafe_topic", "message": "no"},
        format="json",
    )
    assert response.json()["status"] == "failed"
    drain()
    (listed,) = as_user(kai).get("/api/v1/content/requests").json()["results"]
    assert listed["status"] == "failed" and "unsafe_topic" in json.dumps(listed)


def test_a_cancelled_request_lowers_demand_and_the_generator_hears_of_it(as_user, service_client):
    kai = StudentFactory()
    request_content(as_user, kai)
    job = claim_one(service_client)
    request_id = ContentRequest.objects.get(user=kai).pk
    assert as_user(kai).delete(f"/api/v1/content/requests/{request_id}").status_code in (200, 204)
    beat = service_client.post(f"{BASE}/{job['id']}/heartbeat", {"lease_token": job["lease_token"]}, format="json")
    assert beat.json()["cancel_requested"] is True
    assert GenerationJob.objects.get().status == "cancelled"
