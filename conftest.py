"""Shared fixtures: clean real Redis per test, API clients for every kind of caller."""

from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from cache_app.stats import buffer as stats_buffer
from devstack.api_clients import client_with
from devstack.sendgrid import SendGridStandIn
from devstack.workers import WorkerProcesses
from vividly.accounts.tests.factories import (
    ClassroomFactory,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
    service_token,
    user_token,
)
from vividly.process_state import process_state_reset
from vividly.redis_guard import client


@pytest.fixture(autouse=True)
def clean_redis():
    """Flush the test-only Redis databases before each test, and close breakers."""
    process_state_reset()  # breakers, memos (primary keys are reused between tests)
    stats_buffer.discard()  # waits for a flush in flight, so nothing lands after the flushdb
    for alias in ("hot", "state"):
        client(alias).flushdb()
    yield
    process_state_reset()


@pytest.fixture(autouse=True)
def fresh_storages(settings, tmp_path):
    """Give each test empty cold-tier and content folders (tests may switch to GCS)."""
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            alias: {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path / alias), "allow_overwrite": True},
            }
            for alias in ("cache_cold", "content")
        },
    }


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def as_user():
    """Return a function giving an APIClient authenticated as a user (a fresh knox token per call)."""

    def make(user) -> APIClient:
        return client_with(f"Token {user_token(user)}")

    return make


@pytest.fixture
def service_client(db) -> APIClient:
    _, key = service_token()
    return client_with(f"Bearer {key}")


@pytest.fixture
def school(db):
    """Two teachers, each with one classroom of one student, and a staff user."""
    teacher_a, teacher_b = TeacherFactory(), TeacherFactory()
    student_a, student_b = StudentFactory(), StudentFactory()
    ClassroomFactory(teacher=teacher_a, students=[student_a])
    ClassroomFactory(teacher=teacher_b, students=[student_b])
    return {
        "teacher_a": teacher_a,
        "teacher_b": teacher_b,
        "student_a": student_a,
        "student_b": student_b,
        "staff": StaffFactory(),
    }


@pytest.fixture(scope="session")
def gcs_emulator():
    """One GCS emulator for the session; tests wipe it through `gcs_cold_tier`."""
    from devstack.gcs import GcsEmulator

    emulator = GcsEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def gcs_cold_tier(gcs_emulator, settings):
    """Point the cold tier at the GCS emulator (through django-storages), wiped for this test."""
    from devstack.gcs import gcs_storage

    if gcs_emulator.server is None:  # a test stopped it
        gcs_emulator.start()
    gcs_emulator.wipe()
    settings.STORAGES = {**settings.STORAGES, "cache_cold": gcs_storage("test-cache")}
    settings.GCS_TIMEOUT_SECONDS = 1.0
    return gcs_emulator


@pytest.fixture
def gcs_content(settings, monkeypatch):
    """Sign content URLs as GCS V4 with a throwaway service-account key (no network needed); return its public key."""
    from devstack.gcs_signing import throwaway_service_account

    # A GCS emulator started by an earlier test leaves STORAGE_EMULATOR_HOST behind, and
    # google-cloud-storage would then sign for the emulator's host instead of Google's.
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)

    credentials, public_key, _ = throwaway_service_account()
    settings.STORAGES = {
        **settings.STORAGES,
        "content": {
            "BACKEND": "vividly.storage.BoundedGoogleCloudStorage",
            "OPTIONS": {
                "bucket_name": "vividly-content",
                "credentials": credentials,
                "project_id": "p",
                "expiration": 900,
            },
        },
    }
    return public_key


@pytest.fixture
def local_cold_tier(settings, tmp_path):
    """Point the cold tier at a fresh local folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "cache_cold": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "cold"), "allow_overwrite": True},
        },
    }
    return tmp_path / "cold"


@pytest.fixture(params=["local", "gcs"])
def cold_tier_kind(request):
    """Run a test on both cold tiers: the local folder and GCS through the emulator."""
    request.getfixturevalue("local_cold_tier" if request.param == "local" else "gcs_cold_tier")
    return request.param


@pytest.fixture
def sendgrid(settings) -> Iterator[SendGridStandIn]:
    """Send through anymail's real SendGrid backend to a local stand-in of its v3 API."""
    with SendGridStandIn() as stand_in:
        settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
        settings.ANYMAIL = {
            **settings.ANYMAIL,
            "SENDGRID_API_KEY": stand_in.api_key,
            "SENDGRID_API_URL": stand_in.api_url,
            # Short, so a scripted hang is a timeout within the test's patience.
            "REQUESTS_TIMEOUT": (1.0, 0.5),
        }
        yield stand_in


@pytest.fixture
def fast_retries(settings) -> list[float]:
    settings.EMAIL_RETRY_DELAYS = [0.1, 0.1, 0.1]
    return settings.EMAIL_RETRY_DELAYS


@pytest.fixture
def rqworker(tmp_path) -> Iterator[WorkerProcesses]:
    """Start real `rqworker` subprocesses (`rqworker.start(sendgrid, **env)`); all are killed after the test."""
    workers = WorkerProcesses(tmp_path)
    yield workers
    workers.stop_all()
