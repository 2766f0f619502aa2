"""Identity's part of an erasure: admin sessions, admin history naming the user, throttle and login-limit keys."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.utils import timezone
from limits import RateLimitItemPerSecond

from vividly.accounts.login_limits import login_failure_record, state_rate_limiter
from vividly.accounts.models import Classroom, User
from vividly.accounts.tests.factories import ClassroomFactory, StaffFactory, StudentFactory
from vividly.privacy.services import expired_data_purge, user_erase
from vividly.redis_guard import client

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def log_change(*, by: User, obj, repr_: str) -> LogEntry:
    return LogEntry.objects.create(
        user=by,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=repr_,
        action_flag=CHANGE,
        change_message="[]",
    )


def test_a_staff_members_sessions_go_and_other_sessions_stay(client):
    leaving, staying = StaffFactory(), StaffFactory()
    client.force_login(leaving)
    other = type(client)()
    other.force_login(staying)

    erased = user_erase(username=leaving.username, actor=None)

    assert erased["sessions"] == 1
    assert [session.get_decoded()["_auth_user_id"] for session in Session.objects.all()] == [str(staying.pk)]


def test_admin_history_naming_the_user_goes_and_history_naming_a_longer_name_stays():
    staff = StaffFactory()
    ann, annika = StudentFactory(username="ann"), StudentFactory(username="annika")
    classroom = ClassroomFactory(name="Room 1")
    log_change(by=staff, obj=ann, repr_="ann")
    log_change(by=staff, obj=classroom, repr_="ann in Room 1")
    kept = log_change(by=staff, obj=annika, repr_="annika")
    # A classroom whose id equals ann's id is not about ann.
    same_id = Classroom.objects.create(pk=ann.pk + 1000, name="Other", teacher=classroom.teacher)
    kept_too = log_change(by=staff, obj=same_id, repr_="Other")

    assert user_erase(username="ann", actor=None)["admin_log"] == 2

    assert set(LogEntry.objects.values_list("pk", flat=True)) == {kept.pk, kept_too.pk}


def limit_keys() -> set[bytes]:
    return set(client("state").scan_iter(match="vividly:limits:*"))


def test_their_api_throttle_window_and_their_usernames_failed_logins_go():
    StudentFactory(username="kim")
    StudentFactory(username="kimberly")
    per_minute = RateLimitItemPerSecond(600, 60)
    for ident in ("user:kim", "user:kimberly"):
        state_rate_limiter().hit(per_minute, "api", ident)
    login_failure_record(username="KIM", address="192.0.2.1")  # the same username, whatever its case
    login_failure_record(username="kimberly", address="192.0.2.2")
    before = limit_keys()

    assert user_erase(username="kim", actor=None)["throttles"] == 2

    kept = limit_keys()
    gone = before - kept
    assert len(gone) == 2 and any(b"/api/user:kim/" in key for key in gone)
    assert any(b"/api/user:kimberly/" in key for key in kept)
    # Kimberly's failed login and both addresses' counts stay: only kim's username count went.
    assert sum(b"/username/" in key for key in kept) == 1 and sum(b"/address/" in key for key in kept) == 2


def login_record(model, *, username: str, days_ago: int):
    extra = {"failures_since_start": 1} if model is AccessAttempt else {}
    record = model.objects.create(username=username, ip_address="192.0.2.7", user_agent="Mozilla/5.0 (X11)", **extra)
    model.objects.filter(pk=record.pk).update(attempt_time=NOW - timedelta(days=days_ago))
    return record


def test_login_records_go_with_the_user_and_after_thirty_days():
    StudentFactory(username="kim")
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        login_record(model, username="kim", days_ago=1)
        login_record(model, username=f"old-{model.__name__}", days_ago=31)
        login_record(model, username=f"new-{model.__name__}", days_ago=29)

    login_record(AccessFailureLog, username="KIM", days_ago=1)  # typed in another case

    assert user_erase(username="kim", actor=None)["login_records"] == 4
    assert expired_data_purge(now=NOW, dry_run=True).counts["login_records"] == 3
    assert expired_data_purge(now=NOW).counts["login_records"] == 3

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        assert list(model.objects.values_list("username", flat=True)) == [f"new-{model.__name__}"]
