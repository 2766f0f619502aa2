"""Read operations on identity: who teaches whom."""

from django.db.models import QuerySet

from vividly.accounts.models import Role, User


def user_get(*, username: str) -> User | None:
    """Return the user called `username`, or None."""
    return User.objects.filter(username=username).first()


def teacher_student_ids(*, teacher: User) -> QuerySet:
    """Return a subquery of the ids of students enrolled in any of `teacher`'s classrooms."""
    return User.objects.filter(role=Role.STUDENT, enrollments__classroom__teacher=teacher).values("id")
