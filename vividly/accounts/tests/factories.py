"""Factories for users, classrooms, user tokens and service tokens."""

import factory
from factory.django import DjangoModelFactory

from vividly.accounts.models import Classroom, Enrollment, Role, ServiceToken, User
from vividly.accounts.services import service_token_create, staff_group_sync, user_token_create


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
    """What the `admin` role makes: staff with the staff group's permissions, not a superuser."""

    username = factory.Sequence(lambda n: f"staff{n}")
    role = Role.ADMIN
    is_staff = True

    @factory.post_generation
    def staff_group(self, create: bool, extracted, **kwargs) -> None:
        if create:
            self.groups.add(staff_group_sync())


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


def user_token(user: User) -> str:
    """Create an API token for `user`; return its key."""
    return user_token_create(user=user)[1]


def service_token(name: str | None = None, **options) -> tuple[ServiceToken, str]:
    """Create a service token (every scope unless `scopes=` says otherwise); return it and its raw key."""
    return service_token_create(name=name or f"svc-{ServiceToken.objects.count() + 1}", **options)
