"""Reads of students' data by someone else (a teacher, staff) noted in the privacy access log."""

from collections.abc import Iterable

from vividly.accounts.models import User
from vividly.privacy.access_log import access_log_record


def students_read(*, actor: User, student_ids: Iterable[int], action: str) -> None:
    """Note that `actor` read data of each of `student_ids` (one query; the entries are buffered)."""
    others = set(student_ids) - {actor.pk}
    if not others:
        return
    for student in User.objects.filter(pk__in=others).only("pk", "username"):
        access_log_record(actor=actor, subject=student, action=action)
