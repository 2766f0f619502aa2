"""Permission classes for the kinds of caller: service, student, staff, any person."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from vividly.accounts.models import Role, Scope
from vividly.accounts.services import ServicePrincipal
from vividly.errors import Forbidden


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    default_message = "This service token lacks the scope this endpoint needs."


def is_service(request: Request) -> bool:
    return isinstance(request.user, ServicePrincipal)


def is_staff_user(request: Request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.is_staff and not is_service(request))


def required_scopes(view: Any) -> frozenset[str]:
    """Return the scopes a service token needs for `view`: the one it declares (`required_scope`).

    Failing closed: a view that declares none needs every scope, so only a token trusted
    with everything (one made without --scope) reaches it, never a narrowly scoped one.
    """
    scope = getattr(view, "required_scope", None)
    if scope is None:
        return frozenset(Scope.values)
    if scope not in Scope.values:
        raise TypeError(f"{type(view).__name__}.required_scope must be one of {Scope.values}, not {scope!r}.")
    return frozenset({scope})


class IsServiceOrStaff(BasePermission):
    """/internal/: service tokens holding the view's `required_scope`, and staff users' tokens (every scope)."""

    message = "Only services and staff may call internal endpoints."

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_staff_user(request):
            return True
        if not is_service(request):
            return False
        missing = required_scopes(view) - request.user.scopes
        if missing:
            raise InsufficientScope(
                f"This service token lacks the scope {', '.join(sorted(missing))}.",
                details={"required_scopes": sorted(missing)},
            )
        return True


class IsStudent(BasePermission):
    message = "Only students may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) == Role.STUDENT)


class IsUser(BasePermission):
    """Any authenticated person (student, teacher, staff), never a service."""

    message = "A user token is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not is_service(request))
