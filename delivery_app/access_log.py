"""Reads of students' data by someone else (a teacher, staff) noted in the privacy access log."""

from collections.abc import Iterable

from vividly.accounts.models import User
from vividly.privacy.access_log import Subject, access_log_record_reads


def students_read(*, actor: User, student_ids: Iterable[int], action: str) -> None:
    """Note that `actor` read data of each of `student_ids` (one query for their names; the entries are buffered)."""
    others = set(student_ids) - {actor.pk}
    if others:
        named_students_read(
            actor=actor, students=User.objects.filter(pk__in=others).values_list("pk", "username"), action=action
        )


def named_students_read(*, actor: User, students: Iterable[tuple[int, str]], action: str) -> None:
    """Note that `actor` read data of each of `students` (id, username): no query; the entries are buffered."""
    access_log_record_reads(
        actor=actor, subjects=(Subject(pk, username) for pk, username in students if pk != actor.pk), action=action
    )
