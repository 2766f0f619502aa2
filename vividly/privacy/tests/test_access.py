"""Who reaches the privacy endpoints: service tokens (scope `privacy`) and staff; nobody else."""

import pytest
from rest_framework.test import APIClient

from devstack.api_clients import client_with
from vividly.accounts.models import Scope
from vividly.accounts.tests.factories import StaffFactory, StudentFactory, TeacherFactory, service_token
from vividly.privacy.api.views import PrivacyAPIView

pytestmark = pytest.mark.django_db


@pytest.fixture
def callers(as_user):
    _, key = service_token()
    return {
        "anonymous": APIClient(),
        "student": as_user(StudentFactory()),
        "teacher": as_user(TeacherFactory()),
        "staff": as_user(StaffFactory()),
        "service": client_with(f"Bearer {key}"),
    }


def endpoints(subject: str) -> list[tuple[str, str]]:
    # Export and the log before the erasure: after it the subject is gone (404).
    return [
        ("get", f"/internal/v1/privacy/users/{subject}/export"),
        ("get", f"/internal/v1/privacy/access-log?username={subject}"),
        ("delete", f"/internal/v1/privacy/users/{subject}"),
    ]


def test_the_views_declare_the_privacy_scope():
    assert PrivacyAPIView.required_scope == "privacy"


@pytest.mark.parametrize("role", ["anonymous", "student", "teacher"])
def test_people_who_are_not_staff_are_refused(callers, role):
    subject = StudentFactory()
    for method, path in endpoints(subject.username):
        response = getattr(callers[role], method)(path)
        expected = 401 if role == "anonymous" else 403
        assert response.status_code == expected, (role, method, path)
        assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed", "permission_denied"}
    assert type(subject).objects.filter(pk=subject.pk).exists()


@pytest.mark.parametrize("role", ["staff", "service"])
def test_staff_and_services_reach_every_endpoint(callers, role):
    subject = StudentFactory()
    answers = [getattr(callers[role], method)(path).status_code for method, path in endpoints(subject.username)]
    assert answers == [200, 200, 200]


def test_a_service_token_without_the_privacy_scope_is_refused_on_every_endpoint():
    subject = StudentFactory()
    _, key = service_token(scopes=[scope for scope in Scope.values if scope != Scope.PRIVACY])
    lacking = client_with(f"Bearer {key}")
    for method, path in endpoints(subject.username):
        response = getattr(lacking, method)(path)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "insufficient_scope"
    assert type(subject).objects.filter(pk=subject.pk).exists()


def test_an_invalid_service_token_is_401():
    response = client_with("Bearer vsk_not-a-real-token").get("/internal/v1/privacy/access-log")
    assert response.status_code == 401
