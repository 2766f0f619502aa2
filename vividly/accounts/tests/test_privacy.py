"""Identity's part of an erasure: admin sessions, admin history naming the user, and throttle keys."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.cache import caches

from vividly.accounts.models import Classroom, User
from vividly.accounts.tests.factories import ClassroomFactory, StaffFactory, StudentFactory
from vividly.privacy.services import user_erase

pytestmark = pytest.mark.django_db


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


def test_throttle_keys_by_id_and_by_username_go():
    student, other = StudentFactory(username="kim"), StudentFactory()
    state = caches["state"]
    state.set(f"throttle_user_{student.pk}", [1.0])
    state.set("throttle_login_kim", [1.0])
    state.set(f"throttle_user_{other.pk}", [1.0])
    state.set(f"throttle_user_1{student.pk}", [1.0])  # another id ending in hers

    assert user_erase(username="kim", actor=None)["throttles"] == 2

    assert state.get(f"throttle_user_{student.pk}") is None and state.get("throttle_login_kim") is None
    assert state.get(f"throttle_user_{other.pk}") == [1.0] and state.get(f"throttle_user_1{student.pk}") == [1.0]
