"""Factories for users, classrooms and service tokens."""

import factory
from factory.django import DjangoModelFactory

from vividly.accounts.models import Classroom, Enrollment, Role, ServiceToken, User
from vividly.accounts.services import service_token_create


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.edu")
    role = Role.STUDENT
    password = factory.django.Password("pw-for-tests")


class StudentFactory(UserFactory):
    username = factory.Sequence(lambda n: f"student{n}")
    role = Role.STUDENT


class TeacherFactory(UserFactory):
    username = factory.Sequence(lambda n: f"teacher{n}")
    role = Role.TEACHER


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class ClassroomFactory(DjangoModelFactory):
    class Meta:
        model = Classroom
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Class {n}")
    teacher = factory.SubFactory(TeacherFactory)

    @factory.post_generation
    def students(self, create: bool, extracted: list | None, **kwargs) -> None:
        for student in extracted or []:
            Enrollment.objects.create(classroom=self, student=student)


def service_token(name: str | None = None) -> tuple[ServiceToken, str]:
    """Create a service token; return it and its raw key."""
    return service_token_create(name=name or f"svc-{ServiceToken.objects.count() + 1}")
