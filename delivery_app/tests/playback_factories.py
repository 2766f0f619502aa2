"""Content with an HLS package (hand-written playlists, small TS segments) for playback tests."""

import itertools

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from cache_app.services import cache_entry_store
from delivery_app.tests.factories import VIDEO_BYTES
from devstack.demo.hls import write_hls_package

_counter = itertools.count(1)


def stored_hls_content(*, hls: bool = True, qualities: tuple[str, ...] = ("720p", "1080p")) -> dict:
    """Store content with progressive videos and (unless `hls=False`) an HLS package; return the triple and key."""
    n = next(_counter)
    triple = {"topic_id": f"hls-topic-{n}", "interest": "music", "style": "visual"}
    content = storages["content"]
    assets: dict = {"video": {}}
    for quality in qualities:
        content.save(f"hls-videos/{n}/{quality}.mp4", ContentFile(VIDEO_BYTES))
        assets["video"][quality] = f"hls-videos/{n}/{quality}.mp4"
    if hls:
        assets["hls"] = write_hls_package(f"hls-videos/{n}/hls", use_ffmpeg=False)
    stored = cache_entry_store(**triple, metadata={"title": f"HLS {n}", "duration_seconds": 4, "assets": assets})
    return {**triple, "cache_key": stored.cache_key, "folder": f"hls-videos/{n}/hls"}
