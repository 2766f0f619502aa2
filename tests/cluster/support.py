"""HTTP helpers for the cluster tests: JSON calls on fresh connections, so they spread over workers."""

import uuid
from typing import Any

import requests

from devstack.cluster import DEMO_PASSWORD, Cluster

DEMO_VIDEO = {"topic_id": "physics-newtons-laws", "interest": "basketball", "style": "visual"}


def call(
    base: str, method: str, path: str, *, token: str = "", body: Any = None, timeout: float = 10
) -> requests.Response:
    """One request on a new connection (a new connection lands on any worker of an instance)."""
    headers = {"Connection": "close"}
    if token:
        headers["Authorization"] = token if " " in token else f"Token {token}"
    return requests.request(method, f"{base}{path}", json=body, headers=headers, timeout=timeout)


def service(cluster: Cluster) -> str:
    return f"Bearer {cluster.credentials['SERVICE']}"


def log_in(cluster: Cluster, username: str, password: str = DEMO_PASSWORD) -> str:
    response = call(cluster.entry_url, "POST", "/api/v1/auth/token", body={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def unique_entry() -> dict[str, Any]:
    """A cache triple nobody stored yet, with valid metadata."""
    topic = f"cluster-{uuid.uuid4().hex[:12]}"
    return {
        "topic_id": topic,
        "interest": "chess",
        "style": "visual",
        "metadata": {
            "title": f"Cluster {topic}",
            "duration_seconds": 60,
            "assets": {"video": {"720p": f"cluster/{topic}/video-720p.mp4"}},
        },
    }


def cache_stats(base: str, cluster: Cluster) -> dict[str, Any]:
    response = call(base, "GET", "/internal/v1/cache/stats", token=service(cluster))
    assert response.status_code == 200, response.text
    return response.json()
