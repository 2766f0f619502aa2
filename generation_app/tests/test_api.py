"""The generation API over HTTP: the contract's bodies, statuses and bad input."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import URLPattern, get_resolver

from generation_app.api import views
from generation_app.tests.factories import job_metadata, open_job

pytestmark = pytest.mark.django_db

BASE = "/internal/v1/generation"
JOB_FIELDS = {
    "id", "cache_key", "topic_id", "interest", "style", "status", "demand", "attempts",
    "created_at", "updated_at", "lease_expires_at", "last_error",
}  # fmt: skip


def claim(api, **body):
    response = api.post(f"{BASE}/claim", {"worker": "gpu-1", **body}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["jobs"]


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_claim_answers_the_contracts_job_body_with_attempt_and_token(service_client):
    job = open_job(demand=2)
    (claimed,) = claim(service_client, lease_seconds=30)
    assert set(claimed) == JOB_FIELDS | {"attempt", "lease_token"}
    assert claimed["id"] == str(job.pk) and claimed["demand"] == 2 and claimed["status"] == "leased"
    assert claimed["attempt"] == 1 and claimed["lease_expires_at"]
    assert claim(service_client) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lease_seconds": 4}, "lease_seconds"),
        ({"lease_seconds": 3601}, "lease_seconds"),
        ({"max_jobs": 0}, "max_jobs"),
        ({"max_jobs": 21}, "max_jobs"),
        ({"worker": ""}, "worker"),
    ],
)
def test_claim_refuses_out_of_range_arguments(service_client, body, field):
    found = error(service_client.post(f"{BASE}/claim", {"worker": "w", **body}, format="json"), 400)
    assert found["code"] == "validation_error" and field in found["details"]


def test_claim_takes_at_most_max_jobs_with_the_limits_at_their_edges(service_client):
    for _ in range(21):
        open_job()
    assert len(claim(service_client, max_jobs=20, lease_seconds=3600)) == 20
    assert len(claim(service_client, max_jobs=1, lease_seconds=5)) == 1


def test_heartbeat_uploads_complete_over_http(service_client):
    open_job()
    (job,) = claim(service_client)
    token, path = job["lease_token"], f"{BASE}/{job['id']}"
    beat = service_client.post(
        f"{path}/heartbeat", {"lease_token": token, "progress": 0.25, "stage": "tts"}, format="json"
    )
    assert beat.status_code == 200 and beat.json()["cancel_requested"] is False
    signed = service_client.post(
        f"{path}/uploads",
        {"lease_token": token, "files": [{"name": "720p.mp4", "content_type": "video/mp4"}]},
        format="json",
    )
    assert signed.status_code == 200, signed.content
    (upload,) = signed.json()["uploads"]
    assert set(upload) == {"name", "blob_name", "method", "url", "headers", "expires_at"}
    storages["content"].save(upload["blob_name"], ContentFile(b"video"))
    metadata = {"title": "T", "duration_seconds": 5, "assets": {"video": {"720p": upload["blob_name"]}}}
    done = service_client.post(f"{path}/complete", {"lease_token": token, "metadata": metadata}, format="json")
    assert done.status_code == 200 and done.json() == {"cache_key": job["cache_key"], "stored": True}
    again = service_client.post(f"{path}/complete", {"lease_token": token, "metadata": metadata}, format="json")
    assert again.status_code == 200 and again.json() == done.json()
    assert service_client.get(f"{BASE}/jobs/{job['id']}").json()["status"] == "done"


def test_complete_before_any_upload_is_missing_assets(service_client):
    open_job()
    (job,) = claim(service_client)
    from generation_app.models import GenerationJob

    metadata = job_metadata(GenerationJob.objects.get(pk=job["id"]))
    found = error(
        service_client.post(
            f"{BASE}/{job['id']}/complete", {"lease_token": job["lease_token"], "metadata": metadata}, format="json"
        ),
        400,
    )
    assert found["code"] == "missing_assets"
    assert found["details"] == {"missing_assets": [metadata["assets"]["video"]["720p"]]}


def test_complete_with_metadata_the_store_refuses_is_400_with_its_messages(service_client):
    open_job()
    (job,) = claim(service_client)
    metadata = {"title": "T", "duration_seconds": 5, "assets": {"video": {"8K": "a.mp4"}}}
    found = error(
        service_client.post(
            f"{BASE}/{job['id']}/complete", {"lease_token": job["lease_token"], "metadata": metadata}, format="json"
        ),
        400,
    )
    assert found["details"] == {"metadata.assets.video.8K": ["Unknown key; use one of 720p, 1080p, 4K."]}


@pytest.mark.parametrize(
    ("file", "field"),
    [
        ({"name": "page.html", "content_type": "text/html"}, "name"),
        ({"name": "720p.mp4", "content_type": "text/html"}, "content_type"),
        ({"name": "../escape.mp4", "content_type": "video/mp4"}, "name"),
    ],
)
def test_uploads_refuse_types_outside_the_allowlist_and_unsafe_names(service_client, file, field):
    open_job()
    (job,) = claim(service_client)
    found = error(
        service_client.post(
            f"{BASE}/{job['id']}/uploads", {"lease_token": job["lease_token"], "files": [file]}, format="json"
        ),
        400,
    )
    assert field in str(found["details"])


def test_a_token_for_another_job_is_409_and_an_unknown_job_404(service_client):
    open_job(), open_job()
    first, second = claim(service_client, max_jobs=2)
    body = {"lease_token": second["lease_token"]}
    for action in ("heartbeat", "complete", "fail"):
        extra = (
            {"metadata": {}}
            if action == "complete"
            else {"retryable": True, "error_code": "x"}
            if action == "fail"
            else {}
        )
        found = error(service_client.post(f"{BASE}/{first['id']}/{action}", {**body, **extra}, format="json"), 409)
        assert found["code"] == "lease_lost"
    unknown = f"{BASE}/00000000-0000-0000-0000-000000000000/heartbeat"
    assert error(service_client.post(unknown, body, format="json"), 404)["code"] == "not_found"
    assert error(service_client.post(f"{BASE}/not-a-uuid/heartbeat", body, format="json"), 404)["code"] == "not_found"
    assert error(service_client.get(f"{BASE}/jobs/00000000-0000-0000-0000-000000000000"), 404)["code"] == "not_found"


def test_fail_answers_status_and_retry_at(service_client):
    open_job()
    (job,) = claim(service_client)
    response = service_client.post(
        f"{BASE}/{job['id']}/fail",
        {"lease_token": job["lease_token"], "retryable": True, "error_code": "gpu_oom", "message": "oom"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "queued" and response.json()["retry_at"]


def test_heartbeat_refuses_progress_outside_zero_to_one(service_client):
    open_job()
    (job,) = claim(service_client)
    body = {"lease_token": job["lease_token"], "progress": 1.5}
    assert (
        "progress" in error(service_client.post(f"{BASE}/{job['id']}/heartbeat", body, format="json"), 400)["details"]
    )


def test_jobs_are_listed_by_status_and_paged(service_client):
    for _ in range(3):
        open_job()
    claim(service_client)
    page = service_client.get(f"{BASE}/jobs?status=queued&limit=1").json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
    assert set(page["results"][0]) == JOB_FIELDS
    assert service_client.get(f"{BASE}/jobs").json()["count"] == 3
    assert "status" in error(service_client.get(f"{BASE}/jobs?status=bogus"), 400)["details"]
    assert "status" in error(service_client.get(f"{BASE}/jobs?status="), 400)["details"]
    assert "limit" in error(service_client.get(f"{BASE}/jobs?limit=x"), 400)["details"]


def test_only_services_and_staff_reach_the_queue(api_client, as_user, school):
    assert api_client.post(f"{BASE}/claim", {"worker": "w"}, format="json").status_code == 401
    assert as_user(school["student_a"]).post(f"{BASE}/claim", {"worker": "w"}, format="json").status_code == 403
    assert as_user(school["staff"]).get(f"{BASE}/jobs").status_code == 200


def test_every_generation_view_requires_the_generation_scope():
    patterns = get_resolver().url_patterns
    found = [
        pattern.callback.view_class
        for included in patterns
        if getattr(included, "namespace", None) == "generation"
        for pattern in included.url_patterns
        if isinstance(pattern, URLPattern)
    ]
    assert len(found) == 7
    assert all(view.required_scope == "generation" and issubclass(view, views.GenerationView) for view in found)
