"""Reads of privacy: the user a request names, and the access log about a user."""

from django.db.models import QuerySet

from vividly.accounts.models import User
from vividly.errors import NotFound
from vividly.privacy.models import AccessLogEntry


def user_get(*, username: str) -> User:
    """Return the user named `username`, or raise NotFound (404)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def access_log_entries(*, username: str | None = None) -> QuerySet[AccessLogEntry]:
    """Return the access log, newest first; only the entries about `username` when given."""
    entries = AccessLogEntry.objects.all()
    if username is not None:
        entries = entries.filter(subject_username=username)
    return entries
