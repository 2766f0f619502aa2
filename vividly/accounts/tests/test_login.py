"""POST /api/v1/auth/token under attack: failure limits per username and per address, fail closed.

Each test is an attack from the security review (issue 10): a token sent along to skip the
throttle, a rotating X-Forwarded-For or REMOTE_ADDR, other accounts' credentials, a Redis
outage. The failure limits hold whatever the client sends.
"""

import logging
from datetime import datetime

import pytest
from knox.models import AuthToken

from devstack.api_clients import client_with
from devstack.launcher import free_port
from vividly.accounts.tests.factories import StudentFactory, user_token
from vividly.settings.base import redis_cache

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]

LOGIN = "/api/v1/auth/token"
PASSWORD = "pw-for-tests"  # the factories' password


def login(client, username: str, password: str, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, format="json", **headers)


def test_wrong_credentials_are_400_and_logged_with_username_and_address(api_client, caplog):
    with caplog.at_level(logging.WARNING, logger="vividly.accounts.login"):
        response = login(api_client, "ghost", "nope", REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert any("'ghost'" in record.getMessage() and "192.0.2.9" in record.getMessage() for record in caplog.records)


def test_the_sixth_failure_for_a_username_is_429_whatever_address_and_header_it_comes_from(api_client):
    user = StudentFactory()
    for n in range(5):
        # A fresh socket address and a fresh forged X-Forwarded-For every time.
        response = login(api_client, user.username, "wrong", REMOTE_ADDR=f"198.51.100.{n}",
                         HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")  # fmt: skip
        assert response.status_code == 400
    locked = login(api_client, user.username, PASSWORD, REMOTE_ADDR="198.51.100.200",
                   HTTP_X_FORWARDED_FOR="203.0.113.200")  # fmt: skip
    # Even the right password: the attacker must not learn it was right.
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_login_attempts"
    assert 1 <= int(locked["Retry-After"]) <= 15 * 60
    assert not AuthToken.objects.filter(user=user).exists()


def test_a_valid_token_sent_along_does_not_lift_the_limit(api_client):
    """The attack on the old view: any valid token skipped the anonymous login throttle."""
    victim, attacker = StudentFactory(), StudentFactory()
    client = client_with(f"Token {user_token(attacker)}")
    answers = [login(client, victim.username, f"guess-{n}").status_code for n in range(6)]
    assert answers == [400] * 5 + [429]


def test_other_accounts_right_credentials_do_not_reset_a_username(api_client):
    victim, attacker = StudentFactory(), StudentFactory()
    for n in range(5):
        assert login(api_client, victim.username, f"guess-{n}").status_code == 400
        assert login(api_client, attacker.username, PASSWORD).status_code == 200
    assert login(api_client, victim.username, PASSWORD).status_code == 429


def test_usernames_differing_in_case_share_one_limit(api_client):
    StudentFactory(username="casey")
    for name in ("casey", "CASEY", "Casey", "cAsEy", "caseY"):
        assert login(api_client, name, "wrong").status_code == 400
    assert login(api_client, "casey", PASSWORD).status_code == 429


def test_the_address_limit_counts_the_address_the_trusted_proxy_saw(api_client, settings):
    settings.LOGIN_ATTEMPTS_PER_ADDRESS = 3
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # the load balancer
    for n in range(3):
        # The left part of the header is the client's to invent; the right-most is the proxy's.
        forged = f"203.0.113.{n}, 198.51.100.7"
        assert login(api_client, f"user-{n}", "x", HTTP_X_FORWARDED_FOR=forged, **proxy).status_code == 400
    assert login(api_client, "user-9", "x", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7", **proxy).status_code == 429
    # Another client behind the same balancer is not affected.
    other = login(api_client, "user-9", "x", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)
    assert other.status_code == 400


def test_without_trusted_proxies_x_forwarded_for_is_ignored(api_client, settings):
    settings.LOGIN_ATTEMPTS_PER_ADDRESS = 2
    for n in range(2):
        assert login(api_client, f"user-{n}", "x", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 400
    assert login(api_client, "user-5", "x", HTTP_X_FORWARDED_FOR="203.0.113.77").status_code == 429


def test_with_the_state_redis_down_login_fails_closed_with_503(api_client, settings):
    user = StudentFactory()
    settings.CACHES = {
        **settings.CACHES,
        "state": redis_cache(f"redis://127.0.0.1:{free_port()}/0", prefix="x", timeout=None),
    }
    response = login(api_client, user.username, PASSWORD)
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert not AuthToken.objects.filter(user=user).exists()


def test_login_answers_a_token_and_its_expiry_from_user_token_ttl_hours(api_client, settings):
    user = StudentFactory()
    before = datetime.now().astimezone()
    body = login(api_client, user.username, PASSWORD).json()
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert 167.9 * 3600 < (expires_at - before).total_seconds() <= 168 * 3600 + 5
    assert client_with(f"Token {body['token']}").get("/api/v1/probe").status_code == 200


def test_logout_ends_the_calling_token_only(api_client):
    user = StudentFactory()
    first = client_with(f"Token {login(api_client, user.username, PASSWORD).json()['token']}")
    second = client_with(f"Token {login(api_client, user.username, PASSWORD).json()['token']}")
    response = first.delete(LOGIN)
    assert response.status_code == 204 and response.content == b""
    assert first.get("/api/v1/probe").status_code == 401
    assert second.get("/api/v1/probe").status_code == 200
    assert first.delete(LOGIN).status_code == 401
    assert api_client.delete(LOGIN).status_code == 401
