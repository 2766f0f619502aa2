"""seed_demo's HLS package: stored with the first demo video, and a curl line that plays it."""

from io import StringIO

import pytest
from django.core.files.storage import storages
from django.core.management import call_command

from cache_app.services import cache_entries_fetch
from cache_app.types import cache_key_for
from devstack.demo.content import DEMO_VIDEOS
from devstack.demo.hls import VARIANTS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]


def test_the_first_demo_video_has_a_playable_hls_package(monkeypatch):
    # Without ffmpeg, as on CI (with it, the same files are real H.264: checked by hand, see README).
    monkeypatch.setattr("devstack.demo.hls.shutil.which", lambda name: None)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = DEMO_VIDEOS[0]
    key = cache_key_for(topic_id=first["topic_id"], interest=first["interest"], style=first["style"])
    master = cache_entries_fetch(cache_keys=[key])[0][key]["metadata"]["assets"]["hls"]
    folder = master.rsplit("/", 1)[0]
    content = storages["content"]
    playlist = content.open(master).read().decode()
    for name, *_ in VARIANTS:
        assert f"{name}/index.m3u8" in playlist
        variant = content.open(f"{folder}/{name}/index.m3u8").read().decode()
        assert "segment0.ts" in variant and "#EXT-X-ENDLIST" in variant
        assert content.open(f"{folder}/{name}/segment0.ts").read()[:1] == b"\x47"  # an MPEG-TS sync byte
    text = out.getvalue()
    assert f"/api/v1/content/{key}/playback" in text and "360p/segment0.ts" in text
