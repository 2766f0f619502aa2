"""Enroll a student in one of a teacher's classrooms (created if missing)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vividly.accounts.selectors import user_get
from vividly.accounts.services import enrollment_create
from vividly.errors import DomainError

DEFAULT_CLASSROOM = "Homeroom"


class Command(BaseCommand):
    help = "Enroll a student in a teacher's classroom."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--teacher", required=True)
        parser.add_argument("--student", required=True)
        parser.add_argument("--classroom", default=DEFAULT_CLASSROOM)

    def handle(self, *args, **options) -> None:
        teacher = user_get(username=options["teacher"])
        student = user_get(username=options["student"])
        if teacher is None:
            raise CommandError(f"No user named {options['teacher']!r}.")
        if student is None:
            raise CommandError(f"No user named {options['student']!r}.")
        try:
            enrollment = enrollment_create(teacher=teacher, student=student, classroom_name=options["classroom"])
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details}") from exc
        self.stdout.write(f"{student.username} is enrolled in {enrollment.classroom.name!r} of {teacher.username}.")
