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


def signed_for(blob: str, content_type: str) -> str:
    return path_of(LocalSigner().sign(blob, content_type=content_type, ttl=900).url)


@pytest.mark.parametrize(
    ("blob", "claimed_type"),
    [
        ("pages/owned.html", "text/html"),
        ("pages/owned.svg", "image/svg+xml"),
        ("pages/owned.html", "video/mp4"),  # a signed link claiming a safe type changes nothing
        ("pages/owned.xhtml", "application/xhtml+xml"),
        ("pages/no-extension", "text/plain"),
    ],
)
def test_a_stored_page_is_never_served_as_one(client, blob, claimed_type):
    """Stored XSS against staff: a script-bearing file on the admin's origin is refused, whatever the link says."""
    storages["content"].save(blob, ContentFile(b"<svg onload=alert(document.cookie)><script>alert(1)</script>"))
    response = client.get(signed_for(blob, claimed_type))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "type_not_allowed"


@pytest.mark.parametrize(
    ("blob", "served_type", "disposition"),
    [
        ("clips/a.mp4", "video/mp4", None),
        ("clips/a.webm", "video/webm", None),
        ("audio/a.mp3", "audio/mpeg", None),
        ("hls/index.m3u8", "application/vnd.apple.mpegurl", None),
        ("hls/seg1.ts", "video/mp2t", None),
        ("scripts/a.txt", "text/plain; charset=utf-8", "attachment"),
        ("scripts/a.vtt", "text/vtt; charset=utf-8", "attachment"),
        ("scripts/a.json", "application/json", "attachment"),
    ],
)
def test_allowed_types_are_served_sandboxed_and_scripts_as_attachments(client, blob, served_type, disposition):
    storages["content"].save(blob, ContentFile(b"<html><script>alert(1)</script></html>"))
    for headers in ({}, {"HTTP_RANGE": "bytes=0-3"}):
        response = client.get(signed_for(blob, served_type.split(";")[0]), **headers)
        assert response.status_code in (200, 206)
        assert response["Content-Type"] == served_type
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox"
        if disposition:
            assert response["Content-Disposition"] == disposition
        else:
            assert not response.get("Content-Disposition", "inline").startswith("attachment")


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "9" * 5000,
        "bytes=" + "1" * 19 + "-" + "2" * 19,
    ],
)
def test_a_range_with_thousands_of_digits_is_416_not_500(client, video, header):
    response = client.get(signed_path(video), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO_BYTES)}"
    assert response.json()["error"]["code"] == "range_not_satisfiable"
