"""The rules of identity, at the services: users and passwords, staff, tokens, expiry and revocation."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from knox.models import AuthToken

from vividly.accounts import services
from vividly.accounts.models import Role, Scope, ServiceToken, User
from vividly.accounts.services import (
    STAFF_GROUP,
    service_token_authenticate,
    service_token_create,
    service_token_revoke,
    user_create,
    user_token_authenticate,
    user_token_create,
)
from vividly.accounts.tests.factories import StudentFactory
from vividly.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db

STRONG = "correct horse battery staple"


class Clock:
    """timezone.now() for the services, moved by hand."""

    def __init__(self, monkeypatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(services.timezone, "now", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("short-pw1", "too short"),
        ("password1234", "too common"),
        ("48213957204613", "entirely numeric"),
        ("zoe.quinn@example.edu", "too similar"),
    ],
)
def test_user_create_validates_the_password(password, complaint):
    with pytest.raises(InvalidInput) as caught:
        user_create(username="zoe", role=Role.STUDENT, email="zoe.quinn@example.edu", password=password)
    assert any(complaint in message for message in caught.value.details["password"])
    assert not User.objects.exists()


def test_user_create_refuses_unknown_roles_and_duplicates():
    with pytest.raises(InvalidInput):
        user_create(username="zoe", role="root")
    user_create(username="zoe", role=Role.STUDENT)
    with pytest.raises(Conflict):
        user_create(username="zoe", role=Role.TEACHER)


def test_the_admin_role_is_staff_with_model_permissions_not_a_superuser():
    admin, _ = user_create(username="ada", role=Role.ADMIN, password=STRONG)
    assert admin.is_staff and not admin.is_superuser
    assert list(admin.groups.values_list("name", flat=True)) == [STAFF_GROUP]
    admin = User.objects.get(pk=admin.pk)  # permissions are cached per instance
    assert admin.has_perm("cache_app.view_cacheentry") and admin.has_perm("accounts.change_servicetoken")
    assert not admin.has_perm("auth.change_group") and not admin.has_perm("auth.add_permission")
    expected = Permission.objects.filter(content_type__app_label__in=services.STAFF_APP_LABELS).count()
    assert admin.groups.get().permissions.count() == expected > 0


def test_teachers_and_students_are_not_staff():
    for role in (Role.TEACHER, Role.STUDENT):
        user, _ = user_create(username=f"u-{role}", role=role)
        assert not user.is_staff and not user.is_superuser and not user.groups.exists()


def test_user_tokens_are_stored_as_digests_only():
    user = StudentFactory()
    token, key = user_token_create(user=user)
    assert len(key) == 64 and key not in token.digest
    assert not any(key in str(value) for value in AuthToken.objects.values_list())


def test_an_expired_user_token_stops_at_its_expiry_even_when_remembered(monkeypatch, settings):
    clock = Clock(monkeypatch)
    user = StudentFactory()
    token, key = user_token_create(user=user)
    assert user_token_authenticate(key=key).user == user  # now remembered in this process
    clock.now = token.expiry - timedelta(seconds=1)
    assert user_token_authenticate(key=key) is not None
    clock.advance(seconds=1)
    assert user_token_authenticate(key=key) is None


def test_user_token_keys_knox_never_makes_are_refused_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        for key in ("", "abc", "g" * 64, "A" * 64, "a\x00" * 32, "a" * 10_000):
            assert user_token_authenticate(key=key) is None


def test_service_tokens_without_scopes_have_every_scope():
    token, key = service_token_create(name="pipeline")
    assert sorted(token.scopes) == sorted(Scope.values)
    assert service_token_authenticate(raw_key=key).scopes == frozenset(Scope.values)


def test_service_token_rules():
    with pytest.raises(InvalidInput):
        service_token_create(name="a", scopes=["cache:read", "root"])
    with pytest.raises(InvalidInput):
        service_token_create(name="b", scopes=[])
    with pytest.raises(InvalidInput):
        service_token_create(name="c", expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvalidInput):
        service_token_create(name="d", send_quota=-1)
    assert not ServiceToken.objects.exists()


def test_the_service_principal_carries_name_scopes_quota_and_expiry():
    expires = timezone.now() + timedelta(days=3)
    token, key = service_token_create(name="mailer", scopes=["notify:send"], expires_at=expires, send_quota=10)
    principal = service_token_authenticate(raw_key=key)
    assert (principal.token_id, principal.name, principal.username) == (token.pk, "mailer", "service:mailer")
    assert principal.scopes == {"notify:send"} and principal.send_quota == 10 and principal.expires_at == expires


def test_an_expired_service_token_stops_at_its_expiry_even_when_remembered(monkeypatch):
    clock = Clock(monkeypatch)
    _, key = service_token_create(name="short", expires_at=clock.now + timedelta(hours=1))
    assert service_token_authenticate(raw_key=key) is not None
    clock.advance(minutes=59, seconds=59)
    assert service_token_authenticate(raw_key=key) is not None
    clock.advance(seconds=1)
    assert service_token_authenticate(raw_key=key) is None


def test_a_revocation_is_announced_to_every_process(monkeypatch):
    announced = []
    monkeypatch.setattr(services, "revocation_announce", lambda: announced.append(True))
    token, _ = service_token_create(name="gone")
    service_token_revoke(token=token)
    services.user_tokens_revoke(user=StudentFactory())
    assert len(announced) == 2
