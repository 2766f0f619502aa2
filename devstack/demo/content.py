"""Demo videos: small sample asset files in the content storage, cached in both tiers.

The first one also has an HLS package (devstack.demo.hls), so `make run` shows playback.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from devstack.demo.hls import write_hls_package

DEMO_VIDEOS = [
    {
        "topic_id": "physics-newtons-laws",
        "interest": "basketball",
        "style": "visual",
        "title": "Newton's Laws on the Basketball Court",
        "duration_seconds": 180,
        "hls": True,
    },
    {
        "topic_id": "physics-newtons-laws",
        "interest": "music",
        "style": "auditory",
        "title": "Newton's Laws, Played on a Drum Kit",
        "duration_seconds": 150,
    },
    {
        "topic_id": "biology-photosynthesis",
        "interest": "cooking",
        "style": "visual",
        "title": "Photosynthesis Is a Kitchen",
        "duration_seconds": 210,
    },
]


def sample_assets(video: dict) -> dict:
    """Write small sample files for `video`; return its contract `assets` mapping."""
    content = storages["content"]
    folder = f"demo/{video['topic_id']}/{video['interest']}-{video['style']}"
    assets: dict = {"video": {}}
    for quality, size in (("720p", 64 * 1024), ("1080p", 128 * 1024)):
        name = f"{folder}/video-{quality}.mp4"
        # Placeholder bytes: enough to exercise signed URLs, ranges and downloads.
        body = (f"VIVIDLY DEMO {video['title']} {quality} ".encode() * (size // 40 + 1))[:size]
        content.save(name, ContentFile(body))
        assets["video"][quality] = name
    script = f"{folder}/script.txt"
    content.save(script, ContentFile(f"{video['title']}\n\nA short script for the demo.\n".encode()))
    assets["script"] = script
    if video.get("hls"):
        assets["hls"] = write_hls_package(f"{folder}/hls")
    return assets


def seed_videos() -> list[str]:
    """Write the demo assets and store each video in the cache; return their cache keys."""
    from cache_app.services import cache_entry_store

    keys = []
    for video in DEMO_VIDEOS:
        stored = cache_entry_store(
            topic_id=video["topic_id"],
            interest=video["interest"],
            style=video["style"],
            metadata={
                "title": video["title"],
                "duration_seconds": video["duration_seconds"],
                "assets": sample_assets(video),
            },
        )
        keys.append(stored.cache_key)
    return keys
