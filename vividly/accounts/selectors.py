"""Read operations on identity: who teaches whom."""

from django.db.models import QuerySet

from vividly.accounts.models import Role, User


def user_get(*, username: str) -> User | None:
    """Return the user called `username`, or None."""
    return User.objects.filter(username=username).first()


def teacher_student_ids(*, teacher: User) -> QuerySet:
    """Return a subquery of the ids of students enrolled in any of `teacher`'s classrooms."""
    return User.objects.filter(role=Role.STUDENT, enrollments__classroom__teacher=teacher).values("id")


def teacher_has_student(*, teacher: User, student_id: int) -> bool:
    """Return True when the student is enrolled in one of `teacher`'s classrooms."""
    return teacher_student_ids(teacher=teacher).filter(id=student_id).exists()
