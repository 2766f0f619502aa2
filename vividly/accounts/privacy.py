"""What identity holds about a user, for the privacy registry: classrooms, enrolments, sessions, logs, login limits."""

import re
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone

from vividly.accounts.login_limits import KEY_PREFIX, username_identifier
from vividly.accounts.models import Classroom, Enrollment, User
from vividly.privacy import registry
from vividly.privacy.redis_keys import glob_escape, redis_keys_delete
from vividly.privacy.retention import cutoff, purge_in_batches
from vividly.privacy.rows import model_rows

# The limits library's keys in the "state" Redis: `<prefix>:LIMITER/<namespace>/<identifier>/
# <amount>/<multiples>/<unit>`. The API throttle counts a user as `user:<username>`; failed
# logins count a username by its SHA-256 (see login_limits).
API_THROTTLE_KEYS = KEY_PREFIX + ":LIMITER/api/user:{username}/*"
LOGIN_FAILURE_KEYS = KEY_PREFIX + ":LIMITER/{kind}/{identifier}/*"
# Characters Django allows in a username: a name inside a longer text is bounded by others.
_USERNAME_CHAR = r"[\w.@+-]"


def enrolments_export(user: User) -> list[dict[str, Any]]:
    return model_rows(Enrollment.objects.filter(student=user).order_by("enrolled_at", "pk"))


def enrolments_erase(user: User) -> int:
    deleted, _ = Enrollment.objects.filter(student=user).delete()
    return deleted


def classrooms_export(user: User) -> list[dict[str, Any]]:
    """The classrooms they teach or are enrolled in (names and teachers: what they saw)."""
    classrooms = Classroom.objects.filter(Q(teacher=user) | Q(enrollments__student=user)).distinct()
    return model_rows(classrooms.order_by("pk"))


def classrooms_erase(user: User) -> int:
    """Delete the classrooms they teach (with those enrolments: the classroom is gone)."""
    _, by_model = Classroom.objects.filter(teacher=user).delete()
    return by_model.get(Classroom._meta.label, 0)


def sessions_erase(user: User) -> int:
    """Delete their admin login sessions (the session row holds their id)."""
    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    deleted, _ = Session.objects.filter(pk__in=mine).delete()
    return deleted


def admin_log_erase(user: User) -> int:
    """Delete the admin's history of changes to them (its rows name them); their own changes go with them."""
    user_type = ContentType.objects.get_for_model(User)
    naming = re.compile(rf"(?<!{_USERNAME_CHAR}){re.escape(user.username)}(?!{_USERNAME_CHAR})")
    candidates = LogEntry.objects.filter(
        Q(content_type=user_type, object_id=str(user.pk)) | Q(object_repr__contains=user.username)
    )
    ids = [
        entry.pk
        for entry in candidates
        if (entry.content_type_id == user_type.pk and entry.object_id == str(user.pk))
        or naming.search(entry.object_repr)
    ]
    deleted, _ = LogEntry.objects.filter(pk__in=ids).delete()
    return deleted


# django-axes' records of logins: each holds the username tried, the IP address and the raw User-Agent.
LOGIN_RECORDS = (AccessAttempt, AccessFailureLog, AccessLog)


def login_records_erase(user: User) -> int:
    """Delete django-axes' records of logins under their username (attempts, failures, admin logins)."""
    # Whatever case the name was typed in (the login limits count it case-folded too).
    return sum(model.objects.filter(username__iexact=user.username).delete()[0] for model in LOGIN_RECORDS)


def login_records_purge(now: datetime, dry_run: bool) -> int:
    """Delete login records older than RETENTION_LOGIN_RECORD_DAYS (axes keeps them forever by itself)."""
    expired_before = cutoff(now, "RETENTION_LOGIN_RECORD_DAYS")
    return sum(
        purge_in_batches(
            model.objects.filter(attempt_time__lt=expired_before), dry_run=dry_run, order_by="attempt_time"
        )
        for model in LOGIN_RECORDS
    )


def throttles_erase(user: User) -> int:
    """Delete their API throttle window and the failed-login count of their username."""
    patterns = [API_THROTTLE_KEYS.format(username=glob_escape(user.username))]
    # Their username's failure count (the address limit is about a client address, not about them).
    patterns.append(LOGIN_FAILURE_KEYS.format(kind="username", identifier=username_identifier(user.username)))
    return sum(redis_keys_delete("state", pattern) for pattern in patterns)


registry.register("enrolments", export=enrolments_export, erase=enrolments_erase)
registry.register("classrooms", export=classrooms_export, erase=classrooms_erase)
registry.register("sessions", erase=sessions_erase)
registry.register("admin_log", erase=admin_log_erase)
registry.register("login_records", erase=login_records_erase, purge=login_records_purge)
registry.register("throttles", erase=throttles_erase)
