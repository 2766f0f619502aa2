"""The whole Vividly story over HTTP, step by step: run by the end-to-end test and `make demo`.

A student asks for a video that does not exist yet; the miss opens a generation job, which
the generator (the stub, over HTTP) claims, uploads and completes, storing it; the
request becomes ready and the student is emailed; SendGrid reports the email delivered;
the student watches (signed URL, bytes, a byte range, view, progress, completion); the
teacher reads the analytics; staff find all of it in the admin.
"""

import base64
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from devstack.generator_stub import GeneratorStub

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
VIDEO = b"VIVIDLY-STORY-VIDEO" * 3000
TRIPLE = {"topic_id": "physics-momentum", "interest": "skateboarding", "style": "visual"}
TITLE = "Momentum at the Skatepark"


class StoryFailed(AssertionError):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StoryFailed(message)


@dataclass
class Cast:
    base_url: str
    student_token: str
    student_email: str
    teacher_token: str
    service_key: str
    staff_username: str
    staff_password: str
    webhook_secret: str
    content_dir: Path
    sent_emails: Callable[[], list[dict]]


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise StoryFailed(f"timed out waiting for {what}")


def open_job_for(base: str, service: dict[str, str], cache_key: str) -> dict | None:
    """Return the queued generation job for `cache_key`, if the miss opened one."""
    listed = requests.get(
        f"{base}/internal/v1/generation/jobs", params={"status": "queued"}, headers=service, timeout=10
    ).json()["results"]
    return next((job for job in listed if job["cache_key"] == cache_key), None)


def run_story(cast: Cast, say: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    base = cast.base_url
    student = {"Authorization": f"Token {cast.student_token}", "User-Agent": IPHONE}
    teacher = {"Authorization": f"Token {cast.teacher_token}"}
    service = {"Authorization": f"Bearer {cast.service_key}"}
    facts: dict[str, Any] = {}

    say("1. The student asks for a video on momentum, told through skateboarding.")
    asked = requests.post(f"{base}/api/v1/content/requests", json=TRIPLE, headers=student, timeout=10)
    expect(asked.status_code == 201, f"request: {asked.status_code} {asked.text}")
    expect(asked.json()["status"] == "pending", "a new video starts pending")
    cache_key = asked.json()["cache_key"]
    say(f"   pending, cache key {cache_key[:16]}…")

    job = open_job_for(base, service, cache_key)
    if job is not None:
        say("2. The miss opened a generation job; the generator claims it, uploads, heartbeats, completes.")
        generator = GeneratorStub(
            base_url=base, service_key=cast.service_key, worker="story-gpu", video=VIDEO, title_for=lambda job: TITLE
        )
        (claimed,) = generator.claim()
        expect(claimed["id"] == job["id"] and claimed["demand"] == 1, f"claimed: {claimed}")
        expect(generator.make(claimed) == cache_key, "the generator completes the job for this key")
        closed = requests.get(f"{base}/internal/v1/generation/jobs/{job['id']}", headers=service, timeout=10).json()
        expect(closed["status"] == "done" and closed["attempts"] == 1, f"job after complete: {closed}")
        say(f"   job {job['id'][:8]}… done in one attempt: uploaded through signed PUTs, stored through the cache.")
    else:
        # Without delivery's side of the generation loop, a miss opens no job; the pipeline
        # then stores the video itself, as it did before the generation queue.
        say("2. The content pipeline uploads the assets and stores the video in the cache.")
        folder = cast.content_dir / "story"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "720p.mp4").write_bytes(VIDEO)
        metadata = {"title": TITLE, "duration_seconds": 90, "assets": {"video": {"720p": "story/720p.mp4"}}}
        stored = requests.post(
            f"{base}/internal/v1/cache/store", json={**TRIPLE, "metadata": metadata}, headers=service, timeout=10
        )
        expect(stored.status_code == 201, f"store: {stored.status_code} {stored.text}")
    check = requests.post(f"{base}/internal/v1/cache/check", json=TRIPLE, headers=service, timeout=10).json()
    expect(check["cache_hit"] and check["tier"] == "hot", f"check after store: {check}")
    say("   stored; a cache check now hits the hot tier.")

    say("3. The worker marks the request ready and emails the student.")

    def ready() -> bool:
        listed = requests.get(f"{base}/api/v1/content/requests", headers=student, timeout=10).json()["results"]
        return listed[0]["status"] == "ready"

    wait_for("the request to become ready", ready)
    email = wait_for(
        "the content_ready email",
        lambda: next(
            (p for p in cast.sent_emails() if p["personalizations"][0]["to"][0]["email"] == cast.student_email), None
        ),
    )
    expect(TITLE in email["subject"], f"subject: {email['subject']}")
    body = " ".join(part["value"] for part in email["content"])
    expect(f"/watch/{cache_key}" in body, "the email links to the video")
    notification_id = email["custom_args"]["notification_id"]
    say(f"   ready; SendGrid received “{email['subject']}”.")

    say("4. SendGrid reports the email delivered (its event webhook).")
    event = {
        "email": cast.student_email,
        "timestamp": int(time.time()),
        "event": "delivered",
        "sg_event_id": uuid.uuid4().hex,
        "sg_message_id": "story.filter0001",
        **email["custom_args"],
    }
    basic = "Basic " + base64.b64encode(cast.webhook_secret.encode()).decode()
    hook = requests.post(
        f"{base}/anymail/sendgrid/tracking/", json=[event], headers={"Authorization": basic}, timeout=10
    )
    expect(hook.status_code == 200, f"webhook: {hook.status_code}")
    status = requests.get(
        f"{base}/internal/v1/notifications/{notification_id}/status", headers=service, timeout=10
    ).json()
    expect(status["status"] == "delivered" and status["delivered_at"], f"status: {status}")
    expect([e["type"] for e in status["events"]] == ["delivered"], f"events: {status['events']}")
    say(f"   notification {notification_id[:8]}… is delivered.")

    say("5. The student gets a signed URL and watches: the whole file, then a byte range.")
    signed = requests.get(
        f"{base}/api/v1/content/{cache_key}/url", params={"quality": "720p"}, headers=student, timeout=10
    ).json()
    expect(signed["expires_in"] == 900, f"a fresh URL lasts 15 minutes: {signed}")
    whole = requests.get(signed["url"], timeout=10)
    expect(whole.status_code == 200 and whole.content == VIDEO, "the bytes are the video's")
    part = requests.get(signed["url"], headers={"Range": "bytes=100-199"}, timeout=10)
    expect(part.status_code == 206 and part.content == VIDEO[100:200], "the range is served")
    # Change the signature's first character to another one; base64url may start with "-", which \w missed.
    flip = re.sub(r"signature=([^&])", lambda m: "signature=" + ("B" if m[1] == "A" else "A"), signed["url"])
    tampered = requests.get(flip, timeout=10)
    expect(tampered.status_code == 403, "a tampered link is refused")
    say(f"   {len(whole.content)} bytes, then bytes 100-199 (206); a tampered link gets 403.")

    say("6. The player reports the view, progress and completion.")
    view = requests.post(
        f"{base}/api/v1/content/{cache_key}/view", json={"quality": "720p"}, headers=student, timeout=10
    ).json()
    time.sleep(1.1)
    progress = requests.post(
        f"{base}/api/v1/content/{cache_key}/progress",
        json={"view_id": view["view_id"], "position_seconds": 45},
        headers=student,
        timeout=10,
    ).json()
    expect(progress["watched_seconds"] <= 2, f"watched time is bounded by the clock: {progress}")
    done = requests.post(
        f"{base}/api/v1/content/{cache_key}/complete", json={"view_id": view["view_id"]}, headers=student, timeout=10
    ).json()
    expect(done["completed"], "the view is complete")
    say(f"   watched {progress['watched_seconds']} s of the claimed 45 s (1 s passed); completed.")

    say("7. The teacher reads the analytics.")
    numbers = requests.get(f"{base}/api/v1/content/{cache_key}/analytics", headers=teacher, timeout=10).json()
    expect(numbers["views"] == 1 and numbers["completion_rate"] == 1.0, f"analytics: {numbers}")
    expect(numbers["devices"] == {"mobile": 1}, f"devices: {numbers['devices']}")
    say(f"   {numbers['views']} view, completion {numbers['completion_rate']:.0%}, devices {numbers['devices']}.")

    say("8. Staff find all of it in the admin.")
    admin = requests.Session()
    login_page = admin.get(f"{base}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    admin.post(
        f"{base}/admin/login/?next=/admin/",
        timeout=10,
        headers={"Referer": f"{base}/admin/login/"},
        data={"csrfmiddlewaretoken": token, "username": cast.staff_username, "password": cast.staff_password},
    )
    pages = {
        "cache entries": (f"{base}/admin/cache_app/cacheentry/", TITLE),
        "generation queue": (f"{base}/admin/generation_app/generationjob/", "Oldest queued job"),
        "requests": (f"{base}/admin/delivery_app/contentrequest/", TITLE),
        "notifications": (f"{base}/admin/notifications_app/notification/", cast.student_email),
        "analytics": (f"{base}/admin/delivery_app/viewsession/analytics/{cache_key}/", "<svg"),
    }
    for name, (url, text) in pages.items():
        page = admin.get(url, timeout=10)
        expect(page.status_code == 200 and text in page.text, f"admin {name}: {page.status_code}")
    say("   cache entries, the generation queue, requests, notifications and the drop-off chart are all there.")

    facts.update(cache_key=cache_key, notification_id=notification_id, analytics=numbers, progress=progress)
    return facts
