"""A school morning against `make cluster`: students log in, ask for today's lessons, get their URLs or
playback, fetch the video, post progress every 10 s and complete; the content pipeline (a service
token) checks the cache and stores what was missing, which sends `content_ready` emails; the
school's systems send other emails beside. Run by `make loadtest` (loadtest/run.py), headless.

Reads the cluster's credentials (students, password, service token) from LOADTEST_CREDENTIALS
(default var/cluster/credentials.json, written by `make cluster`).
"""

import itertools
import json
import os
import random
import uuid
from pathlib import Path

from locust import HttpUser, between, task

CREDENTIALS = Path(os.environ.get("LOADTEST_CREDENTIALS", "var/cluster/credentials.json"))
# One progress event every 10 s while watching (the contract's player does this).
PROGRESS_EVERY_SECONDS = 10
PROGRESS_EVENTS_PER_VIEW = int(os.environ.get("LOADTEST_PROGRESS_EVENTS", "3"))
# Demo videos, always cached; and "today's lessons", missing until the pipeline makes them.
CACHED = [
    {"topic_id": "physics-newtons-laws", "interest": "basketball", "style": "visual"},
    {"topic_id": "physics-newtons-laws", "interest": "music", "style": "auditory"},
    {"topic_id": "biology-photosynthesis", "interest": "cooking", "style": "visual"},
]
RUN = uuid.uuid4().hex[:8]
TODAY = [{"topic_id": f"morning-{RUN}-{number}", "interest": "soccer", "style": "visual"} for number in range(5)]

credentials = json.loads(CREDENTIALS.read_text())
students = itertools.cycle(credentials["students"] or ["alice", "bob"])


def metadata(triple: dict) -> dict:
    folder = f"loadtest/{triple['topic_id']}"
    return {
        "title": f"Lesson {triple['topic_id']}",
        "duration_seconds": 120,
        "assets": {"video": {"720p": f"{folder}/video-720p.mp4"}, "script": f"{folder}/script.txt"},
    }


class Student(HttpUser):
    """A student's morning: log in once, then watch lessons one after another."""

    weight = 20
    wait_time = between(1, 5)

    def on_start(self) -> None:
        username = next(students)
        with self.client.post(
            "/api/v1/auth/token",
            json={"username": username, "password": credentials["password"]},
            name="POST /api/v1/auth/token",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"login {response.status_code}")
                self.token = ""
                return
            self.token = response.json()["token"]
        self.client.headers["Authorization"] = f"Token {self.token}"
        self.client.headers["User-Agent"] = random.choice(
            [
                "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1",
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
            ]
        )

    @task(3)
    def watch_a_cached_lesson(self) -> None:
        if not self.token:
            return
        triple = random.choice(CACHED)
        created = self.client.post("/api/v1/content/requests", json=triple, name="POST /api/v1/content/requests")
        if created.status_code != 201:
            return
        key = created.json()["cache_key"]
        if random.random() < 0.5:
            url = self.client.get(f"/api/v1/content/{key}/url?quality=720p", name="GET /api/v1/content/[key]/url")
            if url.status_code == 200:
                signed = url.json()["url"]
                self.client.get(signed, headers={"Range": "bytes=0-65535"}, name="GET /files/[signed] (range)")
        else:
            self.client.get(f"/api/v1/content/{key}/playback", name="GET /api/v1/content/[key]/playback")
        view = self.client.post(
            f"/api/v1/content/{key}/view", json={"quality": "720p"}, name="POST /api/v1/content/[key]/view"
        )
        if view.status_code != 201:
            return
        view_id = view.json()["view_id"]
        position = 0
        for _ in range(PROGRESS_EVENTS_PER_VIEW):
            self._sleep(PROGRESS_EVERY_SECONDS)
            position += PROGRESS_EVERY_SECONDS
            self.client.post(
                f"/api/v1/content/{key}/progress",
                json={"view_id": view_id, "position_seconds": position},
                name="POST /api/v1/content/[key]/progress",
            )
        self.client.post(
            f"/api/v1/content/{key}/complete", json={"view_id": view_id}, name="POST /api/v1/content/[key]/complete"
        )

    @task(1)
    def ask_for_todays_lesson(self) -> None:
        """A lesson nobody has yet: pending until the pipeline stores it, then a content_ready email."""
        if self.token:
            self.client.post(
                "/api/v1/content/requests", json=random.choice(TODAY), name="POST /api/v1/content/requests"
            )
            self.client.get("/api/v1/content/requests", name="GET /api/v1/content/requests")

    def _sleep(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)


class Pipeline(HttpUser):
    """The content pipeline and the school's systems: cache checks and stores, emails."""

    fixed_count = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {credentials['tokens']['SERVICE']}"
        self.made: set[str] = set()

    @task(4)
    def check(self) -> None:
        self.client.post(
            "/internal/v1/cache/check", json=random.choice(CACHED + TODAY), name="POST /internal/v1/cache/check"
        )

    @task(1)
    def make_todays_lesson(self) -> None:
        """Store one of today's lessons (once each): its waiting students become ready and get an email."""
        missing = [triple for triple in TODAY if triple["topic_id"] not in self.made]
        if missing and self.environment.runner and self.environment.runner.stats.total.num_requests > 200:
            triple = missing[0]
            self.made.add(triple["topic_id"])
            self.client.post(
                "/internal/v1/cache/store",
                json={**triple, "metadata": metadata(triple)},
                name="POST /internal/v1/cache/store",
            )

    @task(2)
    def send_email(self) -> None:
        address = f"loadtest-{uuid.uuid4().hex[:12]}@example.edu"
        self.client.post(
            "/internal/v1/notifications/send",
            json={
                "to": address,
                "template": "welcome_student",
                "context": {"student_name": "Sam", "login_url": f"{self.host}/login"},
            },
            name="POST /internal/v1/notifications/send",
        )

    @task(1)
    def stats(self) -> None:
        self.client.get("/internal/v1/cache/stats", name="GET /internal/v1/cache/stats")
