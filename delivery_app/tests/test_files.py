"""The local signed file view: checks the link, serves bytes and byte ranges."""

import time
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from delivery_app.signing import LocalSigner
from delivery_app.tests.factories import VIDEO_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def video() -> str:
    storages["content"].save("clips/demo 1.mp4", ContentFile(VIDEO_BYTES))
    return "clips/demo 1.mp4"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def signed_path(blob: str, *, ttl: int = 900, clock=time.time) -> str:
    return path_of(LocalSigner(clock=clock).sign(blob, content_type="video/mp4", ttl=ttl).url)


def test_whole_file(client, video):
    response = client.get(signed_path(video))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == VIDEO_BYTES
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(VIDEO_BYTES))


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, len(VIDEO_BYTES) - 1),
        ("bytes=-5", len(VIDEO_BYTES) - 5, len(VIDEO_BYTES) - 1),
        ("bytes=10000-99999", 10000, len(VIDEO_BYTES) - 1),
    ],
)
def test_byte_ranges(client, video, header, first, last):
    response = client.get(signed_path(video), HTTP_RANGE=header)
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == VIDEO_BYTES[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(VIDEO_BYTES)}"
    assert response["Content-Length"] == str(last - first + 1)


def test_unsatisfiable_range_is_416(client, video):
    response = client.get(signed_path(video), HTTP_RANGE="bytes=20000-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO_BYTES)}"


def test_multiple_ranges_get_the_whole_file(client, video):
    response = client.get(signed_path(video), HTTP_RANGE="bytes=0-1,5-6")
    assert response.status_code == 200


def test_tampered_links_are_403(client, video):
    good = signed_path(video)
    tampered = [
        good.replace("demo%201.mp4", "demo%202.mp4"),
        good.replace("expires=", "expires=9"),
        good.replace("type=video%2Fmp4", "type=text%2Fhtml"),
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        good.split("&signature=")[0],
    ]
    for path in tampered:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "invalid_signature"


def test_expired_link_is_403(client, video):
    response = client.get(signed_path(video, ttl=900, clock=lambda: time.time() - 901))
    assert response.status_code == 403


def test_a_signed_path_escaping_the_bucket_is_refused(client):
    response = client.get(signed_path("../../etc/passwd"))
    assert response.status_code == 403


def test_missing_file_is_404(client):
    assert client.get(signed_path("nothing/here.mp4")).status_code == 404
