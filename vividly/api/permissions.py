"""Permission classes for the four kinds of caller: service, student, teacher, staff."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from vividly.accounts.models import Role
from vividly.accounts.services import ServicePrincipal


def is_service(request: Request) -> bool:
    return isinstance(request.user, ServicePrincipal)


def is_staff_user(request: Request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.is_staff and not is_service(request))


class IsService(BasePermission):
    message = "A service token is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_service(request)


class IsServiceOrStaff(BasePermission):
    """/internal/: service tokens and staff users' tokens."""

    message = "Only services and staff may call internal endpoints."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_service(request) or is_staff_user(request)


class IsStudent(BasePermission):
    message = "Only students may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) == Role.STUDENT)


class IsTeacherOrStaff(BasePermission):
    message = "Only teachers and staff may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and not is_service(request)
            and (user.is_staff or getattr(user, "role", None) == Role.TEACHER)
        )


class IsUser(BasePermission):
    """Any authenticated person (student, teacher, staff), never a service."""

    message = "A user token is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not is_service(request))
