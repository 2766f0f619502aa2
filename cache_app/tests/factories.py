"""Valid store requests for tests."""

import itertools
from typing import Any

_counter = itertools.count(1)


def triple(**overrides: str) -> dict[str, str]:
    n = next(_counter)
    return {"topic_id": f"topic-{n}", "interest": "basketball", "style": "visual", **overrides}


def metadata(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Newton's Laws on the Court",
        "duration_seconds": 180,
        "assets": {
            "video": {"720p": "videos/newton/720p.mp4", "1080p": "videos/newton/1080p.mp4"},
            "audio": "videos/newton/audio.mp3",
            "script": "videos/newton/script.txt",
        },
        **overrides,
    }


def store_body(**overrides: Any) -> dict[str, Any]:
    body = {**triple(), "metadata": metadata()}
    body.update(overrides)
    return body
