"""Upload URLs: the local signed PUT end to end, and GCS V4 signed PUTs verified offline."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from devstack.gcs_signing import throwaway_service_account, v4_signature_is_valid
from generation_app import uploads
from generation_app.errors import LeaseLost
from generation_app.services import generation_job_heartbeat, generation_jobs_claim
from generation_app.tests.factories import claimed_job
from generation_app.uploads import Artifact, generation_uploads_sign, local_upload_url

pytestmark = pytest.mark.django_db

MP4 = Artifact(name="720p.mp4", content_type="video/mp4")


def put(client, url: str, body: bytes, content_type: str = "video/mp4"):
    parts = urlsplit(url)
    # As an HTTP client sends it (Django's test client leaves length and type out of an empty body).
    return client.generic(
        "PUT",
        f"{parts.path}?{parts.query}",
        data=body,
        content_type=content_type,
        CONTENT_LENGTH=str(len(body)),
        CONTENT_TYPE=content_type,
    )


def sign(job, *artifacts: Artifact):
    return generation_uploads_sign(job_id=job.pk, lease_token=job.lease_token, artifacts=list(artifacts or [MP4]))


def test_local_put_streams_the_artifact_to_the_content_storage(client):
    job = claimed_job()
    (target,) = sign(job)
    assert target.blob_name == f"generated/{job.cache_key}/1/720p.mp4"
    assert target.headers == {"Content-Type": "video/mp4"} and target.method == "PUT"
    assert target.url.startswith("http://localhost:8000/files/upload/generated/")
    response = put(client, target.url, b"\x00\x01" * 1000)
    assert response.status_code == 201, response.content
    assert response.json() == {"blob_name": target.blob_name, "size": 2000}
    with storages["content"].open(target.blob_name) as stored:
        assert stored.read() == b"\x00\x01" * 1000


def test_an_empty_artifact_is_accepted(client):
    (target,) = sign(claimed_job())
    assert put(client, target.url, b"").status_code == 201
    assert storages["content"].size(target.blob_name) == 0


def test_an_upload_over_the_limit_is_413_and_nothing_is_kept(client, settings):
    settings.UPLOAD_MAX_BYTES = 100
    (target,) = sign(claimed_job())
    response = put(client, target.url, b"x" * 101)
    assert response.status_code == 413 and response.json()["error"]["code"] == "upload_too_large"
    assert not storages["content"].exists(target.blob_name)
    assert put(client, target.url, b"x" * 100).status_code == 201


def test_a_body_longer_than_its_declared_length_is_cut_off_at_the_limit(settings):
    """A client lying in Content-Length still cannot store more than the limit."""
    import io

    settings.UPLOAD_MAX_BYTES = 100
    job = claimed_job()
    (target,) = sign(job)
    token = dict(parse_qsl(urlsplit(target.url).query))["token"]
    with pytest.raises(uploads.UploadTooLarge):
        uploads.generation_upload_receive(
            blob_name=target.blob_name, token=token, content_type="video/mp4", length=10, body=io.BytesIO(b"x" * 500)
        )
    assert not storages["content"].exists(target.blob_name)


def test_a_content_type_other_than_the_signed_one_is_400(client):
    (target,) = sign(claimed_job())
    response = put(client, target.url, b"<script>", content_type="text/html")
    assert response.status_code == 400
    assert not storages["content"].exists(target.blob_name)


def test_a_tampered_or_expired_link_is_403(client):
    job = claimed_job()
    (target,) = sign(job)
    other_path = target.url.replace("/720p.mp4", "/1080p.mp4")
    assert put(client, other_path, b"x").status_code == 403
    assert put(client, target.url[:-3] + "AAA", b"x").status_code == 403
    expired = local_upload_url(target.blob_name, "video/mp4", job=job, expires=int(timezone.now().timestamp()) - 1)
    response = put(client, expired, b"x")
    assert response.status_code == 403 and response.json()["error"]["code"] == "invalid_signature"


def test_a_link_of_a_lost_lease_is_409_and_stores_nothing(client):
    now = timezone.now() + timedelta(seconds=1)
    job = claimed_job(lease_seconds=5, now=now)
    (target,) = sign(job)
    generation_jobs_claim(worker="gpu-2", lease_seconds=600, max_jobs=1, now=now + timedelta(seconds=6))
    response = put(client, target.url, b"late")
    assert response.status_code == 409 and response.json()["error"]["code"] == "lease_lost"
    assert not storages["content"].exists(target.blob_name)


def test_a_put_needs_a_length(client):
    (target,) = sign(claimed_job())
    parts = urlsplit(target.url)
    response = client.generic(
        "PUT", f"{parts.path}?{parts.query}", data=b"", content_type="video/mp4", CONTENT_LENGTH=""
    )
    assert response.status_code == 411


def test_only_put_is_accepted(client):
    (target,) = sign(claimed_job())
    assert client.get(urlsplit(target.url).path).status_code == 405


def test_signing_needs_the_live_lease():
    job = claimed_job()
    generation_job_heartbeat(job_id=job.pk, lease_token=job.lease_token)
    with pytest.raises(LeaseLost):
        generation_uploads_sign(job_id=job.pk, lease_token="not-the-token", artifacts=[MP4])


# --- GCS -------------------------------------------------------------------------------


def test_with_a_bucket_each_artifact_gets_a_gcs_v4_signed_put_bound_to_its_type(gcs_content, settings, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("signing tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    settings.GENERATION_UPLOAD_URL_TTL = 1200
    job = claimed_job()
    video, script = sign(job, MP4, Artifact(name="script.txt", content_type="text/plain"))
    parts = urlsplit(video.url)
    assert parts.netloc == "storage.googleapis.com"
    assert parts.path == f"/vividly-content/generated/{job.cache_key}/1/720p.mp4"
    query = dict(parse_qsl(parts.query))
    assert query["X-Goog-SignedHeaders"] == "content-type;host"
    assert query["X-Goog-Expires"] == "1200"
    assert abs(video.expires_at - datetime.now(UTC) - timedelta(seconds=1200)) < timedelta(seconds=5)
    assert v4_signature_is_valid(video.url, gcs_content, "PUT", video.headers)
    assert v4_signature_is_valid(script.url, gcs_content, "PUT", {"Content-Type": "text/plain"})
    # The signature binds method, type and path: a GET, another type or another blob is refused.
    assert not v4_signature_is_valid(video.url, gcs_content, "GET", video.headers)
    assert not v4_signature_is_valid(video.url, gcs_content, "PUT", {"Content-Type": "text/html"})
    assert not v4_signature_is_valid(video.url.replace("720p.mp4", "evil.mp4"), gcs_content, "PUT", video.headers)
    assert not v4_signature_is_valid(video.url, throwaway_service_account()[1], "PUT", video.headers)
