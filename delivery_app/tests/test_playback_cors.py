"""CORS on the local links (/files/p/… and /files/…): a web player on an allowed origin may fetch with Range."""

import json
import os
import subprocess
import sys
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from delivery_app.playback import LocalFolderSigner
from delivery_app.signing import LocalSigner
from devstack.demo.hls import handwritten_files, write_hls_package

pytestmark = pytest.mark.django_db

FOLDER = "videos/9/hls"
APP_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(settings.APP_BASE_URL))
EXPOSED = {"content-length", "content-range", "accept-ranges"}


@pytest.fixture
def package() -> dict[str, bytes]:
    write_hls_package(FOLDER, use_ffmpeg=False)
    return handwritten_files()


def segment_path() -> str:
    master = urlsplit(LocalFolderSigner().sign(FOLDER, entry="master.m3u8", ttl=900).signed.url).path
    return urljoin(master, "720p/segment0.ts")


def exposed(response) -> set[str]:
    return {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}


def test_the_app_origin_reads_a_ranged_segment_and_its_range_headers(client, package):
    response = client.get(segment_path(), HTTP_RANGE="bytes=0-187", HTTP_ORIGIN=APP_ORIGIN)
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == package["720p/segment0.ts"][:188]
    assert response["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert exposed(response) == EXPOSED
    assert "origin" in response["Vary"].lower()
    assert "Access-Control-Allow-Credentials" not in response


def test_another_origin_gets_no_cors_header(client, package):
    response = client.get(segment_path(), HTTP_ORIGIN="https://evil.example")
    # The bytes are still served (the token is the authority); the browser withholds them from the page.
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_the_preflight_of_a_ranged_fetch(client, package):
    preflight = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "range"}
    allowed = client.options(segment_path(), HTTP_ORIGIN=APP_ORIGIN, **preflight)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert [h.strip() for h in allowed["Access-Control-Allow-Headers"].split(",")] == ["range"]
    assert set(allowed["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    refused = client.options(segment_path(), HTTP_ORIGIN="https://evil.example", **preflight)
    assert "Access-Control-Allow-Origin" not in refused


def test_an_expired_link_answers_its_403_readably_to_the_player(client, package):
    response = client.get(segment_path().replace("/files/p/", "/files/p/x"), HTTP_ORIGIN=APP_ORIGIN)
    assert response.status_code == 403
    assert response["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_a_signed_progressive_file_allows_the_app_origin_too(client):
    storages["content"].save("videos/9/720p.mp4", ContentFile(b"\x00" * 1000))
    url = LocalSigner().sign("videos/9/720p.mp4", content_type="video/mp4", ttl=900).url
    response = client.get(
        urlsplit(url).path + "?" + urlsplit(url).query, HTTP_RANGE="bytes=10-19", HTTP_ORIGIN=APP_ORIGIN
    )
    assert response.status_code == 206
    assert response["Access-Control-Allow-Origin"] == APP_ORIGIN and exposed(response) == EXPOSED


@pytest.mark.parametrize("path", ["/api/v1/classrooms", "/files/upload/x", "/internal/v1/privacy/access-log"])
def test_no_cors_outside_the_local_links(client, path):
    response = client.get(path, HTTP_ORIGIN=APP_ORIGIN)
    assert "Access-Control-Allow-Origin" not in response
    preflight = client.options(path, HTTP_ORIGIN=APP_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert "Access-Control-Allow-Origin" not in preflight


def test_playback_cors_origins_adds_origins_to_the_app_one():
    """The list is read from the environment when the settings load (a fresh process)."""
    code = "from django.conf import settings; import json; print(json.dumps(settings.CORS_ALLOWED_ORIGINS))"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vividly.settings.test",
        "APP_BASE_URL": "https://app.school.example/learn",
        "PLAYBACK_CORS_ORIGINS": "https://player.example, http://localhost:3000/",
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        "http://localhost:3000",
        "https://app.school.example",
        "https://player.example",
    ]
