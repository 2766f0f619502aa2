"""Delivery scenarios: a signed URL (local and GCS signers), a batch of 50, a progress event,
playback of an HLS package (local folder token and Cloud CDN signer), a class's progress."""

import json
import tempfile

from benchmarks.scenarios import Scenario, floor_ratio_at_least, ratio_at_least

CONTENTS = 60
VIEWS = 200
# Enough students that none meets the per-user throttle or the pending cap during a run.
MISS_STUDENTS = 400
CLASS_SIZE = 30
# Readers of the class's progress (its teacher and staff), each within the per-user throttle.
PROGRESS_READERS = 60


def delivery_scenarios(url: str) -> list[Scenario]:

    from cache_app.services import cache_entry_store
    from delivery_app.models import ContentRequest, RequestStatus, ViewSession
    from devstack.gcs_signing import throwaway_service_account
    from vividly.accounts.tests.factories import StudentFactory, user_token

    student = StudentFactory(username="bench-viewer")
    auth = {"Authorization": f"Token {user_token(student)}"}
    keys = []
    for index in range(CONTENTS):
        fields = {"topic_id": f"bench-delivery-{index}", "interest": "music", "style": "visual"}
        assets = {
            "video": {"720p": f"bench/{index}/720p.mp4", "1080p": f"bench/{index}/1080p.mp4"},
            "hls": f"bench/{index}/hls/master.m3u8",
        }
        stored = cache_entry_store(
            **fields, metadata={"title": f"Bench {index}", "duration_seconds": 120, "assets": assets}
        )
        ContentRequest.objects.create(user=student, cache_key=stored.cache_key, status=RequestStatus.READY, **fields)
        keys.append(stored.cache_key)
    views = ViewSession.objects.bulk_create(bench_view(student, keys[index % CONTENTS]) for index in range(VIEWS))

    _, _, key_info = throwaway_service_account()
    key_path = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115 - read by gunicorn
    key_path.write(json.dumps(key_info))
    key_path.close()
    gcs_env = {"GCS_CONTENT_BUCKET": "bench-content", "GOOGLE_APPLICATION_CREDENTIALS": key_path.name}

    # Signing needs no object: an arbitrary (documented) 16-byte key is enough for the CDN signer.
    cdn_env = {
        "CDN_BASE_URL": "https://media.bench.example",
        "CDN_KEY_NAME": "bench",
        "CDN_KEY": "nZtRohdNF9m3cKM24IcK4w==",
    }
    single = f"/api/v1/content/{keys[0]}/url?quality=720p"
    playback = f"/api/v1/content/{keys[0]}/playback"
    batch = json.dumps({"items": [{"cache_key": key, "quality": "1080p"} for key in keys[:50]]})
    # Progress events are spread over many view sessions, as from a classroom of viewers.
    view_ids = ",".join(f'"{view.pk}"' for view in views)
    view_keys = ",".join(f'"{view.cache_key}"' for view in views)
    progress_lua = f"""
local view_ids = {{{view_ids}}}
local view_keys = {{{view_keys}}}
local counter = 0
request = function()
  counter = counter + 1
  local index = (counter % #view_ids) + 1
  local body = '{{"view_id": "' .. view_ids[index] .. '", "position_seconds": ' .. (counter % 100) .. '}}'
  return wrk.format("POST", PREFIX .. view_keys[index] .. "/progress", nil, body)
end
"""
    floor_progress_lua = 'PREFIX = "/bench/floor/"\n' + progress_lua
    progress_lua = 'PREFIX = "/api/v1/content/"\n' + progress_lua
    progress_sample = json.dumps({"view_id": str(views[0].pk), "position_seconds": 30})
    floor_url = f"/bench/floor/{keys[0]}/url"
    # A miss opens a pending request and its generation job: every request a new triple,
    # spread over a school's students (each within the per-user throttle and the pending cap).
    tokens = ",".join(f'"{user_token(StudentFactory(username=f"bench-asker-{n}"))}"' for n in range(MISS_STUDENTS))
    miss_lua = f"""
local tokens = {{{tokens}}}
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local run = tostring(os.time())
request = function()
  counter = counter + 1
  local topic = "bench-miss-" .. run .. "-" .. tid .. "-" .. counter
  local body = '{{"topic_id": "' .. topic .. '", "interest": "music", "style": "visual"}}'
  wrk.headers["Authorization"] = "Token " .. tokens[(counter % #tokens) + 1]
  return wrk.format("POST", "/api/v1/content/requests", nil, body)
end
"""
    class_path, class_lua, class_reader = class_progress(keys[0])
    return [
        Scenario(
            "content request, miss (opens a generation job)",
            "/api/v1/content/requests",
            "POST",
            body="{}",
            lua=miss_lua,
            target=">=0.15x",
            check=ratio_at_least(0.15),
        ),
        Scenario("floor: signed URL, local", floor_url, headers=auth),
        Scenario(
            "signed URL, local signer",
            single,
            headers=auth,
            floor="floor: signed URL, local",
            target=">=0.9x floor",
            check=floor_ratio_at_least(0.9),
        ),
        Scenario(
            "signed URLs, batch of 50",
            "/api/v1/content/urls/batch",
            "POST",
            headers=auth,
            body=batch,
            target="p95<=100ms",
            check=lambda row: row["p95_ms"] <= 100,
        ),
        Scenario(
            "floor: progress",
            "/bench/floor/x/progress",
            "POST",
            headers=auth,
            body="{}",
            lua=floor_progress_lua,
            profile={"path": f"/bench/floor/{views[0].cache_key}/progress", "body": progress_sample},
        ),
        Scenario(
            "progress event",
            "/api/v1/content/x/progress",
            "POST",
            headers=auth,
            body="{}",
            lua=progress_lua,
            profile={"path": f"/api/v1/content/{views[0].cache_key}/progress", "body": progress_sample},
            floor="floor: progress",
            target=">=0.8x floor",
            check=floor_ratio_at_least(0.8),
        ),
        Scenario(
            "playback, HLS local signer",
            playback,
            headers=auth,
            target=">=0.45x",
            check=ratio_at_least(0.45),
        ),
        Scenario(
            "playback, HLS CDN signer",
            playback,
            headers=auth,
            server_env=cdn_env,
            target=">=0.45x",
            check=ratio_at_least(0.45),
        ),
        Scenario(
            f"class progress, {CLASS_SIZE} students",
            class_path,
            lua=class_lua,
            profile={"headers": {"Authorization": f"Token {class_reader}"}},
            target="p95<=50ms",
            check=lambda row: row["p95_ms"] <= 50,
        ),
        Scenario("floor: signed URL, GCS", floor_url, headers=auth, server_env=gcs_env),
        Scenario(
            "signed URL, GCS signer",
            single,
            headers=auth,
            server_env=gcs_env,
            floor="floor: signed URL, GCS",
            target=">=0.9x floor",
            check=floor_ratio_at_least(0.9),
        ),
    ]


def class_progress(cache_key: str) -> tuple[str, str, str]:
    """Seed a class of CLASS_SIZE who asked for `cache_key`, most with views; return its progress
    path, the Lua that spreads the reads over its teacher and staff, and the teacher's token."""

    from delivery_app.models import ContentRequest, RequestStatus, ViewSession
    from vividly.accounts.tests.factories import (
        ClassroomFactory,
        StaffFactory,
        StudentFactory,
        TeacherFactory,
        user_token,
    )

    teacher = TeacherFactory(username="bench-teacher")
    students = [StudentFactory(username=f"bench-pupil-{n}") for n in range(CLASS_SIZE)]
    classroom = ClassroomFactory(teacher=teacher, name="Bench class", students=students)
    fields = {"topic_id": "bench-delivery-0", "interest": "music", "style": "visual"}
    ContentRequest.objects.bulk_create(
        ContentRequest(user=student, cache_key=cache_key, status=RequestStatus.READY, **fields) for student in students
    )
    ViewSession.objects.bulk_create(
        bench_view(student, cache_key, watched_seconds=n * 4, furthest_position_seconds=n * 4, completed=n % 3 == 0)
        for n, student in enumerate(students)
        if n % 5
    )
    readers = [teacher, *(StaffFactory(username=f"bench-reader-{n}") for n in range(PROGRESS_READERS - 1))]
    reader_tokens = [user_token(reader) for reader in readers]
    tokens = ",".join(f'"{token}"' for token in reader_tokens)
    lua = f"""
local tokens = {{{tokens}}}
local counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Authorization"] = "Token " .. tokens[(counter % #tokens) + 1]
  return wrk.format("GET")
end
"""
    return f"/api/v1/classrooms/{classroom.pk}/progress?cache_key={cache_key}", lua, reader_tokens[0]


def bench_view(user, cache_key: str, **progress):
    """Return an unsaved view session of `cache_key` by `user` (a desktop Chrome on Linux)."""
    from django.utils import timezone

    from delivery_app.models import ViewSession

    return ViewSession(
        user=user,
        cache_key=cache_key,
        quality="720p",
        duration_seconds=120,
        device_type="desktop",
        browser="Chrome",
        os="Linux",
        last_event_at=timezone.now(),
        **progress,
    )
