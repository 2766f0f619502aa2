"""Schema fuzzing: every operation of /api/schema/, valid and invalid input, never a 5xx, always as documented.

Schemathesis generates requests from the project's own OpenAPI schema (valid ones and
ones that break it), sends them in-process to the WSGI application, and checks each
answer with every check schemathesis 4.32 has (CHECKS). Two phases run: fuzzing (random
cases, EXAMPLES per operation, each valid one sometimes pointed at seeded objects: a
cached video a student asked for, a view session, a notification, a leased job) and
coverage (schemathesis's deterministic cases: each boundary, each required part left out,
an undeclared Content-Type, every undeclared method and OPTIONS, valid ones always
aimed). Each operation must succeed at least once, so the success bodies are checked too.
Both phases are derandomized: the same cases on every run.

What each check needs, and where it acts here:
- not_a_server_error, status_code_conformance, content_type_conformance,
  response_headers_conformance, response_schema_conformance, negative_data_rejection,
  ignored_auth, max_response_time (10 s): every case.
- positive_data_acceptance: every valid case aimed at seeded objects. A valid case that is
  not aimed names ids that do not exist (a 404, accepted) or breaks a rule the schema
  cannot state: the wrong password (400 by the contract), a template's own variables, or
  invalidation's three combinations of body or query arguments.
- missing_required_header, unsupported_method (405 with Allow), allow_header_conformance
  (OPTIONS): the coverage phase's cases.
- use_after_free, ensure_resource_availability, object_level_authorization: these compare
  a case with earlier ones of a stateful scenario (a DELETE then a read, a POST then a read
  below it, one identity's read replayed as configured peers). They run on every case but
  have nothing to compare: a stateful run needs links, which the schema has none of, and
  this API has one delete-then-read pair only (erasing a user, then her export), tested by
  test_an_erased_user_is_gone_from_the_export below. No POST creates what a path below it
  reads, so ensure_resource_availability has no pair at all; who may read whose objects is
  tested per app and in tests/test_access_matrix.py.

A deeper run: VIVIDLY_FUZZ_EXAMPLES=200 pytest tests/test_schema_fuzz.py (the same derandomized
seed; 200 examples per operation and phase).
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

from cache_app.types import VIDEO_QUALITIES
from delivery_app.models import RequestStatus
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content, unstored_content
from generation_app.tests.factories import claimed_job, job_metadata, uploaded
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send
from vividly.accounts.tests.factories import service_token, user_token
from vividly.wsgi import application

pytestmark = pytest.mark.django_db

# Examples per operation in the fuzzing phase; a deeper run: VIVIDLY_FUZZ_EXAMPLES=200.
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
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.missing_required_header,
    schemathesis.checks.unsupported_method,
    schemathesis.checks.allow_header_conformance,
    schemathesis.checks.use_after_free,
    schemathesis.checks.ensure_resource_availability,
    schemathesis.checks.ignored_auth,
    schemathesis.checks.object_level_authorization,
    schemathesis.checks.max_response_time,
]

UNAIMED_CHECKS = [check for check in CHECKS if check is not schemathesis.checks.positive_data_acceptance]

# Loaded at import, through the application itself (the schema view needs no database).
# (schemathesis.pytest.from_fixture would load it per test, but fails on pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# Every endpoint refuses text with a NUL or a lone surrogate (vividly.api.parsers: nothing could
# store it), a rule JSON Schema cannot state; generate only text that can be sent as UTF-8.
schema.config.generation.update(allow_x00=False, codec="utf-8")
# The same schema for the coverage phase: schemathesis's deterministic cases (each boundary, each
# required part left out, each undeclared method), which it cannot combine with `given`.
coverage_schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
coverage_schema.config.generation.update(allow_x00=False, codec="utf-8")
coverage_schema.config.phases.update(phases=["coverage"])


@pytest.fixture
def seeded(school):
    """Real objects for the fuzzer to find, credentials for each caller; after the test,
    require that the operation answered with a success at least once."""
    # As Django's test client does: a request must not close the test's connection mid-transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # Every asset the schema lists is stored (each quality, audio, script), so every valid
    # ?type=&quality= finds its file: which ones an aimed case asks for depends on the generator.
    content = stored_content(qualities=VIDEO_QUALITIES, script=True)
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
        "users": {role: f"Token {user_token(school[role])}" for role in ("student_a", "teacher_a", "staff")},
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
    if isinstance(query.get("from"), str) and isinstance(query.get("to"), str) and query["from"] > query["to"]:
        # Analytics' days in order: a rule the schema cannot state.
        query["from"], query["to"] = query["to"], query["from"]
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
    quiet = body.get("quiet_hours")
    if isinstance(quiet, dict) and "start" in quiet and quiet.get("start") == quiet.get("end"):
        # Quiet hours must start and end at different minutes: a rule the schema cannot state.
        quiet["end"] = "12:00" if quiet["start"] != "12:00" else "13:00"
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
    positive = is_positive(case)
    aimed = positive and data.draw(st.booleans())
    if aimed or case.path.startswith("/internal/"):
        caller = owner_of(case)
    else:
        caller = data.draw(st.sampled_from(sorted(seeded["users"])))
    send_and_check(case, seeded, caller=caller, aimed=aimed)


@coverage_schema.parametrize()
@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_boundary_missing_part_and_undeclared_method_is_handled_as_documented(case, seeded):
    # Every valid case is aimed: its boundaries must be accepted, not merely well formed.
    send_and_check(case, seeded, caller=owner_of(case), aimed=is_positive(case))


def is_positive(case) -> bool:
    return case.meta is None or case.meta.generation.mode.is_positive


def owner_of(case) -> str:
    """The caller the seeded objects belong to (for analytics and classrooms, teachers and staff only: her teacher)."""
    if case.path.startswith("/internal/"):
        return "service"
    for_teachers = case.path.endswith("/analytics") or case.path.startswith("/api/v1/classrooms")
    return "teacher_a" if for_teachers else "student_a"


def send_and_check(case, seeded: dict, *, caller: str, aimed: bool) -> None:
    headers = {"Authorization": seeded["service"] if caller == "service" else seeded["users"][caller]}
    if not is_positive(case) and "Authorization" not in (case.headers or {}):
        headers = {}  # the generator left the credentials out on purpose: 401 expected
    if aimed:
        aim_at_seeded_objects(case, seeded)
    # Valid data must be accepted only where it is also meaningful: aimed at objects that exist,
    # with the right password and a template's own variables (nothing a schema can say).
    checks = CHECKS if aimed else UNAIMED_CHECKS
    response = case.call_and_validate(headers=headers, checks=checks)
    seeded["statuses"][response.status_code] += 1


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    # A warning here is usually two components sharing a name, one silently replacing the other.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")


def test_an_erased_user_is_gone_from_the_export(school, service_client):
    """use_after_free's one pair in this API: after DELETE …/users/{username}, her export is a 404."""
    username = school["student_a"].username
    assert service_client.get(f"/internal/v1/privacy/users/{username}/export").status_code == 200
    assert service_client.delete(f"/internal/v1/privacy/users/{username}").status_code == 200
    response = service_client.get(f"/internal/v1/privacy/users/{username}/export")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
