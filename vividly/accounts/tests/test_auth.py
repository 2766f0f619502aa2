"""Token login, service tokens on /internal/, user tokens on /api/, and roles."""

from datetime import datetime

import pytest
from django.utils import timezone
from knox.models import AuthToken

from devstack.api_clients import client_with
from vividly.accounts.models import ServiceToken
from vividly.accounts.services import hash_service_key, service_token_revoke
from vividly.accounts.tests.factories import StaffFactory, StudentFactory, TeacherFactory, service_token
from vividly.process_state import revocation_announce

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]


def test_login_returns_a_new_expiring_token_that_works(client):
    user = StudentFactory()
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": "pw-for-tests"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    stored = AuthToken.objects.get(user=user)
    assert datetime.fromisoformat(body["expires_at"]) == stored.expiry
    assert client_with(f"Token {body['token']}").get("/api/v1/probe").json() == {"caller": user.username}


def test_login_with_a_wrong_password_is_400(client):
    user = StudentFactory()
    response = client.post(
        "/api/v1/auth/token", {"username": user.username, "password": "nope"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_internal_without_credentials_is_401_with_bearer_challenge(api_client):
    response = api_client.get("/internal/v1/probe")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer vsk_wrong", "Bearer", "Bearer a b", "Bearer not-our-format", "Token deadbeef", "Basic Zm9vOmJhcg=="],
)
def test_internal_with_bad_credentials_is_401(header):
    response = client_with(header).get("/internal/v1/probe")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"authentication_failed", "not_authenticated"}


def test_service_token_reaches_internal_and_records_use():
    token, key = service_token("pipeline")
    response = client_with(f"Bearer {key}").get("/internal/v1/probe")
    assert response.status_code == 200
    assert response.json() == {"caller": "service:pipeline"}
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.key_hash == hash_service_key(key) and key not in token.key_hash


def test_revoked_service_token_is_401():
    token, key = service_token()
    assert client_with(f"Bearer {key}").get("/internal/v1/probe").status_code == 200
    service_token_revoke(token=token)
    assert client_with(f"Bearer {key}").get("/internal/v1/probe").status_code == 401


def test_only_the_hash_is_stored():
    _, key = service_token()
    assert not ServiceToken.objects.filter(key_hash=key).exists()
    assert not any(key in str(value) for value in ServiceToken.objects.values_list())


def test_student_and_teacher_tokens_are_403_on_internal_staff_is_200(as_user):
    assert as_user(StudentFactory()).get("/internal/v1/probe").status_code == 403
    assert as_user(TeacherFactory()).get("/internal/v1/probe").status_code == 403
    assert as_user(StaffFactory()).get("/internal/v1/probe").status_code == 200


def test_public_api_takes_user_tokens_not_service_tokens(as_user):
    _, key = service_token()
    response = client_with(f"Bearer {key}").get("/api/v1/probe")
    assert response.status_code == 401
    student = StudentFactory()
    assert as_user(student).get("/api/v1/probe").json() == {"caller": student.username}


def test_inactive_user_token_is_401(as_user):
    user = StudentFactory(is_active=False)
    assert as_user(user).get("/api/v1/probe").status_code == 401


def test_last_used_is_written_at_most_once_a_minute():
    token, key = service_token()
    client_with(f"Bearer {key}").get("/internal/v1/probe")
    token.refresh_from_db()
    first = token.last_used_at
    revocation_announce()
    client_with(f"Bearer {key}").get("/internal/v1/probe")
    token.refresh_from_db()
    assert token.last_used_at == first
    assert first <= timezone.now()


def test_deleted_token_stops_working_at_once(as_user):
    student = StudentFactory()
    api = as_user(student)
    assert api.get("/api/v1/probe").status_code == 200
    AuthToken.objects.filter(user=student).delete()
    assert api.get("/api/v1/probe").status_code == 401


def test_deactivation_revokes_every_token_for_good(as_user):
    student = StudentFactory()
    first, second = as_user(student), as_user(student)
    assert first.get("/api/v1/probe").status_code == second.get("/api/v1/probe").status_code == 200
    student.is_active = False
    student.save()
    assert first.get("/api/v1/probe").status_code == second.get("/api/v1/probe").status_code == 401
    student.is_active = True
    student.save()
    # Coming back does not bring the old sessions back: log in again.
    assert first.get("/api/v1/probe").status_code == 401
    assert not AuthToken.objects.filter(user=student).exists()
    assert as_user(student).get("/api/v1/probe").status_code == 200


def test_a_password_change_revokes_every_token(as_user):
    student = StudentFactory()
    api = as_user(student)
    assert api.get("/api/v1/probe").status_code == 200
    student.set_password("a brand new passphrase")
    student.save()
    assert api.get("/api/v1/probe").status_code == 401
    student.email = "renamed@example.edu"
    student.save()  # any other change leaves new tokens alone
    fresh = as_user(student)
    student.first_name = "Ada"
    student.save()
    assert fresh.get("/api/v1/probe").status_code == 200


def test_a_service_token_lacking_the_views_scope_is_403_insufficient_scope():
    _, key = service_token(scopes=["notify:send"])
    response = client_with(f"Bearer {key}").get("/internal/v1/probe")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert response.json()["error"]["details"] == {"required_scopes": ["cache:read"]}
    _, key = service_token(scopes=["cache:read"])
    assert client_with(f"Bearer {key}").get("/internal/v1/probe").status_code == 200


def test_a_view_declaring_no_scope_takes_only_tokens_with_every_scope(settings):
    from vividly.accounts.models import Scope
    from vividly.tests.urls import InternalProbe

    try:
        del InternalProbe.required_scope
        _, narrow = service_token(scopes=[scope for scope in Scope.values if scope != "privacy"])
        _, full = service_token()
        assert client_with(f"Bearer {narrow}").get("/internal/v1/probe").json()["error"]["code"] == "insufficient_scope"
        assert client_with(f"Bearer {full}").get("/internal/v1/probe").status_code == 200
    finally:
        InternalProbe.required_scope = "cache:read"


def test_staff_user_tokens_pass_every_scope(as_user):
    assert as_user(StaffFactory()).get("/internal/v1/probe").status_code == 200


def test_an_expired_service_token_is_401():
    from datetime import timedelta

    token, key = service_token(expires_at=timezone.now() + timedelta(hours=1))
    assert client_with(f"Bearer {key}").get("/internal/v1/probe").status_code == 200
    ServiceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revocation_announce()
    response = client_with(f"Bearer {key}").get("/internal/v1/probe")
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"


def test_the_public_api_is_throttled_per_user_with_retry_after(as_user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "user": "3/min"}}  # fmt: skip
    student, other = StudentFactory(), StudentFactory()
    # Two tokens of one user share the budget.
    first, second = as_user(student), as_user(student)
    assert [first.get("/api/v1/probe").status_code for _ in range(2)] == [200, 200]
    assert second.get("/api/v1/probe").status_code == 200
    throttled = second.get("/api/v1/probe")
    assert throttled.status_code == 429 and throttled.json()["error"]["code"] == "throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 61
    assert as_user(other).get("/api/v1/probe").status_code == 200


def test_the_public_api_throttle_fails_open_when_redis_is_down(as_user, settings):
    from devstack.launcher import free_port
    from vividly.settings.base import redis_cache

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "user": "1/min"}}  # fmt: skip
    api = as_user(StudentFactory())
    assert api.get("/api/v1/probe").status_code == 200  # validates the token while Redis is up
    settings.CACHES = {
        **settings.CACHES,
        "state": redis_cache(f"redis://127.0.0.1:{free_port()}/0", prefix="x", timeout=None),
    }
    # The memo of validated tokens is dropped when the revocation counter is unreadable;
    # the database still answers, and the throttle lets the calls through.
    assert [api.get("/api/v1/probe").status_code for _ in range(3)] == [200, 200, 200]
