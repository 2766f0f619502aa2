"""Generation: full generator cycles (claim, heartbeat, sign an upload, PUT it empty, complete) per second."""

import os
import statistics
import threading
import time

import requests

from benchmarks.scenarios import Scenario

GENERATORS = int(os.environ.get("BENCH_GENERATORS", "4"))
SECONDS = float(os.environ.get("BENCH_GENERATION_SECONDS", "8"))
JOBS = 3000


def cycle(session: requests.Session, url: str, auth: dict[str, str]) -> bool:
    """Run one generator cycle over HTTP; return False when nothing was due."""
    base = f"{url}/internal/v1/generation"
    jobs = session.post(f"{base}/claim", json={"worker": "bench", "lease_seconds": 60}, headers=auth).json()["jobs"]
    if not jobs:
        return False
    job, token = jobs[0], jobs[0]["lease_token"]
    beat = session.post(f"{base}/{job['id']}/heartbeat", json={"lease_token": token, "progress": 0.5}, headers=auth)
    beat.raise_for_status()
    files = [{"name": "720p.mp4", "content_type": "video/mp4"}]
    (upload,) = session.post(
        f"{base}/{job['id']}/uploads", json={"lease_token": token, "files": files}, headers=auth
    ).json()["uploads"]
    session.put(upload["url"], data=b"", headers=upload["headers"]).raise_for_status()
    metadata = {"title": "Bench", "duration_seconds": 1, "assets": {"video": {"720p": upload["blob_name"]}}}
    done = session.post(f"{base}/{job['id']}/complete", json={"lease_token": token, "metadata": metadata}, headers=auth)
    done.raise_for_status()
    return True


def generation_scenarios(url: str) -> list[Scenario]:
    from vividly.accounts.services import service_token_create

    _, key = service_token_create(name="bench-generation")
    auth = {"Authorization": f"Bearer {key}"}

    def measure() -> dict:
        from generation_app.models import GenerationJob
        from generation_app.services import generation_demand_join

        for index in range(JOBS):
            fields = {"topic_id": f"bench-generation-{index}", "interest": "music", "style": "visual"}
            generation_demand_join(cache_key=f"{index:064x}", **fields)
        timings: list[float] = []
        errors: list[Exception] = []
        deadline = time.monotonic() + SECONDS

        def generator() -> None:
            session = requests.Session()
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    if not cycle(session, url, auth):
                        return
                except requests.RequestException as exc:
                    errors.append(exc)
                    return
                timings.append((time.perf_counter() - started) * 1000)

        threads = [threading.Thread(target=generator) for _ in range(GENERATORS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        done = GenerationJob.objects.filter(status="done").count()
        rate = len(timings) / elapsed
        p50 = statistics.median(timings) if timings else 0.0
        return {
            "summary": f"{len(timings)} cycles by {GENERATORS} generators in {elapsed:.1f} s: {rate:.0f}/s, "
            f"p50 {p50:.0f} ms/cycle, {len(errors)} errors",
            "cycles_per_second": rate,
            "consistent": not errors and done == len(timings),
        }

    return [
        Scenario(
            "generation claim+heartbeat+upload+complete",
            measure=measure,
            target=">= 5 cycles/s, no errors",
            check=lambda row: row["consistent"] and row["cycles_per_second"] >= 5,
            # The upload links must point at the benchmark's server.
            server_env={"PUBLIC_BASE_URL": url},
        )
    ]
