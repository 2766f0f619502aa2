"""A stand-in for the content generator: claims jobs, uploads sample assets, heartbeats, completes.

Developer tooling (never installed in production): it talks HTTP to a running service
with a service token, exactly as the real generator on GPUs would, and needs no cloud
credentials of its own (the upload URLs carry the authorisation).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

logger = logging.getLogger("devstack.generator_stub")

SAMPLE_VIDEO = b"VIVIDLY-GENERATOR-STUB-VIDEO\n" * 400
TIMEOUT = 10


class GenerationStopped(Exception):
    """The service told the stub to stop this job (cancelled, or its lease was lost)."""


@dataclass
class GeneratorStub:
    base_url: str
    service_key: str
    worker: str = "generator-stub"
    lease_seconds: int = 60
    video: bytes = SAMPLE_VIDEO
    title_for: Callable[[dict], str] = lambda job: f"{job['topic_id']} through {job['interest']}"
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.session.post(
            f"{self.base_url}/internal/v1/generation/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.service_key}"},
            timeout=TIMEOUT,
        )
        if response.status_code == 409:
            raise GenerationStopped(response.json()["error"]["message"])
        response.raise_for_status()
        return response.json()

    def claim(self, max_jobs: int = 1) -> list[dict]:
        return self.call("claim", {"worker": self.worker, "lease_seconds": self.lease_seconds, "max_jobs": max_jobs})[
            "jobs"
        ]

    def heartbeat(self, job: dict, progress: float, stage: str) -> None:
        beat = self.call(
            f"{job['id']}/heartbeat", {"lease_token": job["lease_token"], "progress": progress, "stage": stage}
        )
        if beat["cancel_requested"]:
            raise GenerationStopped("nobody waits for this video any more")

    def make(self, job: dict) -> str:
        """Generate one claimed job end to end; return its cache key."""
        token = job["lease_token"]
        self.heartbeat(job, 0.1, "writing the script")
        script = f"{self.title_for(job)}\n\nA sample script from the generator stub.\n".encode()
        artifacts = {"720p.mp4": ("video/mp4", self.video), "script.txt": ("text/plain", script)}
        files = [{"name": name, "content_type": kind} for name, (kind, _) in artifacts.items()]
        uploads = self.call(f"{job['id']}/uploads", {"lease_token": token, "files": files})["uploads"]
        for upload in uploads:
            put = self.session.put(
                upload["url"], data=artifacts[upload["name"]][1], headers=upload["headers"], timeout=TIMEOUT
            )
            if put.status_code == 409:
                raise GenerationStopped("the lease was lost during the upload")
            put.raise_for_status()
        self.heartbeat(job, 0.9, "rendering")
        blobs = {upload["name"]: upload["blob_name"] for upload in uploads}
        metadata = {
            "title": self.title_for(job),
            "duration_seconds": 60,
            "assets": {"video": {"720p": blobs["720p.mp4"]}, "script": blobs["script.txt"]},
        }
        return self.call(f"{job['id']}/complete", {"lease_token": token, "metadata": metadata})["cache_key"]

    def run_once(self, max_jobs: int = 5) -> list[str]:
        """Claim what is due and make it; return the cache keys completed."""
        done = []
        for job in self.claim(max_jobs):
            try:
                done.append(self.make(job))
                logger.info("generated %s (%s)", job["cache_key"][:12], job["topic_id"])
            except GenerationStopped as stopped:
                logger.info("stopped %s: %s", job["cache_key"][:12], stopped)
        return done

    def run_forever(self, *, poll_seconds: float, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except requests.RequestException as exc:
                # The service restarting (make run) is not a reason for the stub to die.
                logger.warning("the service did not answer: %s", exc)
            stop.wait(poll_seconds)
