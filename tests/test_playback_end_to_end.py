"""An HLS package played against the real server (gunicorn): playlist → variant → segment.

The client does what a player does: it parses each playlist (the `m3u8` library) and
resolves every URI against the URL of the playlist that names it (urllib.parse.urljoin),
query string dropped, so only the token in the path can authorise what it fetches.
"""

import json
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

import m3u8
import pytest
from django.conf import settings as django_settings

from delivery_app.tests.factories import requested
from delivery_app.tests.playback_factories import stored_hls_content
from devstack.demo.hls import handwritten_files
from devstack.stack import Stack
from devstack.workers import database_url
from vividly.accounts.tests.factories import StudentFactory, user_token

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - the stack's loopback URL
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the stack's loopback URL
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def stack(tmp_path, settings):
    stack = Stack(
        data_dir=tmp_path / "stack",
        env={
            "DATABASE_URL": database_url(),
            "REDIS_URL": django_settings.REDIS_URL,
            "RQ_REDIS_URL": django_settings.RQ_REDIS_URL,
        },
    )
    # This process writes content and cache entries where the server reads them.
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            alias: {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(stack.data_dir / folder), "allow_overwrite": True},
            }
            for alias, folder in (("content", "content"), ("cache_cold", "cache"))
        },
    }
    try:
        stack.start_web()
        yield stack
    finally:
        stack.stop()


def test_a_player_walks_the_package_under_one_grant(stack):
    student = StudentFactory()
    content = stored_hls_content()
    requested(student, content)
    files = handwritten_files()

    status, _, body = fetch(
        f"{stack.url}/api/v1/content/{content['cache_key']}/playback", Authorization=f"Token {user_token(student)}"
    )
    assert status == 200, body
    grant = json.loads(body)
    assert grant["format"] == "hls" and grant["url"].startswith(f"{stack.url}/files/p/")

    status, headers, body = fetch(grant["url"])
    assert status == 200 and headers["Content-Type"] == "application/vnd.apple.mpegurl"
    master = m3u8.loads(body.decode(), uri=grant["url"])
    assert master.is_variant and len(master.playlists) == 2
    fetched = 0
    for variant in master.playlists:
        variant_url = urljoin(grant["url"], variant.uri)
        status, headers, body = fetch(variant_url)
        assert status == 200, variant_url
        playlist = m3u8.loads(body.decode(), uri=variant_url)
        assert playlist.is_endlist and playlist.segments
        for segment in playlist.segments:
            segment_url = urljoin(variant_url, segment.uri)
            status, headers, body = fetch(segment_url)
            assert status == 200 and headers["Content-Type"] == "video/mp2t", segment_url
            assert headers["X-Content-Type-Options"] == "nosniff" and headers["Content-Security-Policy"] == "sandbox"
            assert body == files[urlsplit(segment_url).path.split(f"/{content['folder']}/", 1)[1]]
            fetched += 1
    assert fetched == 4

    # A player seeking inside a segment asks for a byte range.
    segment_url = urljoin(urljoin(grant["url"], master.playlists[1].uri), "segment1.ts")
    status, headers, body = fetch(segment_url, Range="bytes=188-375")
    assert status == 206 and headers["Content-Range"].startswith("bytes 188-375/") and len(body) == 188

    # Outside the folder, the same token reaches nothing.
    token = urlsplit(grant["url"]).path.split("/")[3]
    status, _, body = fetch(f"{stack.url}/files/p/{token}/{content['folder']}-other/master.m3u8")
    assert status == 403 and json.loads(body)["error"]["code"] == "outside_folder"
    # Sent as is (urllib does not normalise the path): gunicorn and Django decode, the view refuses.
    status, _, body = fetch(f"{stack.url}/files/p/{token}/{content['folder']}/%2e%2e/720p.mp4")
    assert status == 403 and json.loads(body)["error"]["code"] == "outside_folder"
