"""Schema fuzzing: every operation of /api/schema/, valid and invalid input, never a 5xx, always as documented.

Schemathesis generates requests from the project's own OpenAPI schema (valid ones and
ones that break it), sends them in-process to the WSGI application, and checks each
answer: no server error, a documented status, content type, headers and body, invalid
input refused, credentials not ignored. Valid requests are sometimes pointed at seeded
objects (a cached video a student asked for, a view session, a notification) so that
the success bodies are checked too; each operation must succeed at least once.
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from delivery_app.models import RequestStatus
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content, unstored_content
from generation_app.tests.factories import claimed_job, job_metadata, uploaded
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send
from vividly.accounts.tests.factories import service_token, user_token
from vividly.wsgi import application

pytestmark = pytest.mark.django_db

# Examples per operation and generation phase; a deeper run: VIVIDLY_FUZZ_EXAMPLES=500.
EXAMPLES = int(os.environ.get("VIVIDLY_FUZZ_EXAMPLES", "25"))
PASSWORD = "pw-for-tests"  # the user factories' password
DURATION = 120  # seconds, as stored_content stores it

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.ignored_auth,
]

# Loaded at import, through the application itself (the schema view needs no database).
# (schemathesis.pytest.from_fixture would load it per test, but fails on pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def seeded(school):
    """Real objects for the fuzzer to find, credentials for each caller; after the test,
    require that the operation answered with a success at least once."""
    # As Django's test client does: a request must not close the test's connection mid-transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    content = stored_content()
    requested(school["student_a"], content)
    view = ViewSessionFactory(user=school["student_a"], cache_key=content["cache_key"], duration_seconds=DURATION)
    _, key = service_token()
    statuses: Counter = Counter()
    job = claimed_job(lease_seconds=3600)
    uploaded(job)
    yield {
        "job_id": str(job.pk),
        "lease_token": job.lease_token,
        "job_metadata": job_metadata(job),
        "cache_key": content["cache_key"],
        "view_id": str(view.pk),
        # A pending request to cancel (DELETE /api/v1/content/requests/{request_id}).
        "request_id": str(requested(school["student_a"], unstored_content(), status=RequestStatus.PENDING).pk),
        "duration_seconds": DURATION,
        "notification_id": str(send().pk),
        "username": school["student_a"].username,
        "classroom_id": str(school["teacher_a"].classrooms.get().pk),
        "service": f"Bearer {key}",
        "users": {
            role: f"Token {user_token(school[role])}"
            for role in ("student_a", "teacher_a", "staff")
        },
        "statuses": statuses,
    }
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    assert any(200 <= status < 300 for status in statuses), f"no request succeeded: {dict(statuses)}"


def aim_at_seeded_objects(case, seeded: dict) -> None:
    """Replace generated ids, credentials and template contexts with ones that exist."""
    path_parameters = case.path_parameters or {}
    for name in ("cache_key", "notification_id", "username", "job_id", "request_id", "classroom_id"):
        if name in path_parameters:
            path_parameters[name] = seeded[name]
    query = case.query if isinstance(case.query, dict) else {}
    for name, seeded_name in (("cache_key", "cache_key"), ("classroom", "classroom_id")):
        if name in query:
            query[name] = seeded[seeded_name]
    if case.path == "/internal/v1/cache/invalidate":
        # Its arguments combine in three ways only; the generator rarely finds one.
        case.query = {}
        case.body = {"cache_key": seeded["cache_key"], "dry_run": True}
    body = case.body
    if not isinstance(body, dict):
        return
    if "view_id" in body:
        body["view_id"] = seeded["view_id"]
    if isinstance(body.get("position_seconds"), (int, float)):
        # Any position up to the video's duration is valid; the schema cannot say how long it is.
        body["position_seconds"] = min(body["position_seconds"], seeded["duration_seconds"])
    if "cache_key" in body:
        body["cache_key"] = seeded["cache_key"]
    if "lease_token" in body:
        # The generation queue: the seeded job's live lease, an allowed artifact, its uploaded blob.
        body["lease_token"] = seeded["lease_token"]
        if "files" in body:
            body["files"] = [{"name": "720p.mp4", "content_type": "video/mp4"}]
        if "metadata" in body:
            body["metadata"] = seeded["job_metadata"]
    if case.path == "/api/v1/auth/token":
        body.update(username=seeded["username"], password=PASSWORD)
    template = TEMPLATES.get(body.get("template"))
    if template is not None:
        if "context" in body:
            body["context"] = dict(template.sample)
        for item in body.get("recipients") or []:
            if isinstance(item, dict):
                item["context"] = dict(template.sample)


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_and_never_5xx(case, data, seeded):
    positive = case.meta is None or case.meta.generation.mode.is_positive
    aimed = positive and data.draw(st.booleans())
    if case.path.startswith("/internal/"):
        caller = "service"
    elif aimed:
        # The seeded objects' owner, or for what only teachers and staff see (analytics, classrooms) her teacher.
        caller = "teacher_a" if case.path.endswith("/analytics") or "/classrooms" in case.path else "student_a"
    else:
        caller = data.draw(st.sampled_from(sorted(seeded["users"])))
    headers = {"Authorization": seeded["service"] if caller == "service" else seeded["users"][caller]}
    if not positive and "Authorization" not in (case.headers or {}):
        headers = {}  # the generator left the credentials out on purpose: 401 expected
    if aimed:
        aim_at_seeded_objects(case, seeded)
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    seeded["statuses"][response.status_code] += 1


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    # A warning here is usually two components sharing a name, one silently replacing the other.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")
