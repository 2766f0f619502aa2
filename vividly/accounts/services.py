"""Write operations on identity: users, staff permissions, enrollments, user and service tokens."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings

from vividly.accounts.models import Classroom, Enrollment, Role, Scope, ServiceToken, User
from vividly.errors import Conflict, InvalidInput
from vividly.process_state import Memo, revocation_announce

SERVICE_TOKEN_PREFIX = "vsk_"
HEX_DIGITS = frozenset("0123456789abcdef")
# Validated tokens are remembered per process so a hot path makes no database query
# (the ORM alone costs more than the rest of a cache check). Every revocation calls
# revocation_announce(), which empties these memos in every process within a second; an
# entry also carries its token's expiry, so an expired token stops at its expiry exactly.
SERVICE_TOKEN_CACHE_SECONDS = 10.0
USER_TOKEN_CACHE_SECONDS = 10.0
# last_used_at is a hint for humans: write it at most this often per token.
LAST_USED_RESOLUTION = timedelta(seconds=60)
# The group the `admin` role joins: staff with the project's model permissions, not superusers.
STAFF_GROUP = "Vividly staff"
STAFF_APP_LABELS = (
    "accounts",
    "cache_app",
    "delivery_app",
    "notifications_app",
    "generation_app",
    "privacy",
    "knox",
    "axes",
)


def staff_group_sync() -> Group:
    """Return the staff group, holding every permission of the project's models (created if missing)."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=STAFF_APP_LABELS))
    return group


def user_create(
    *,
    username: str,
    role: str,
    email: str = "",
    password: str | None = None,
    display_name: str = "",
) -> tuple[User, str]:
    """Create a user with `role` and an API token; return both (the token's key).

    The `admin` role is staff with the staff group's model permissions; only
    `createsuperuser` makes superusers.
    """
    if role not in Role.values:
        raise InvalidInput(details={"role": [f"Must be one of {', '.join(Role.values)}."]})
    user = User(
        username=username,
        email=email,
        role=role,
        # Spaces collapsed: a name pasted with a stray newline must not break an email's greeting.
        display_name=" ".join(display_name.split()),
        is_staff=role == Role.ADMIN,
    )
    try:
        user.full_clean(exclude=["password"])
    except DjangoValidationError as exc:
        if "username" in exc.message_dict and User.objects.filter(username=username).exists():
            raise Conflict(f"A user named {username!r} already exists.") from exc
        raise InvalidInput(details=exc.message_dict) from exc
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise InvalidInput(details={"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.save()
        if user.is_staff:
            user.groups.add(staff_group_sync())
        _, key = user_token_create(user=user)
    return user, key


def enrollment_create(*, teacher: User, student: User, classroom_name: str) -> Enrollment:
    """Enroll `student` in the teacher's classroom `classroom_name`, creating it if needed."""
    if teacher.role != Role.TEACHER:
        raise InvalidInput(details={"teacher": [f"{teacher.username!r} is not a teacher."]})
    if student.role != Role.STUDENT:
        raise InvalidInput(details={"student": [f"{student.username!r} is not a student."]})
    with transaction.atomic():
        classroom, _ = Classroom.objects.get_or_create(teacher=teacher, name=classroom_name)
        enrollment, _ = Enrollment.objects.get_or_create(classroom=classroom, student=student)
    return enrollment


def unexpired(memo: Memo, key: str) -> Any | None:
    """Return what `memo` holds for `key` unless its `expires_at` has passed (then forget it)."""
    entry = memo.get(key)
    if entry is not None and entry.expires_at is not None and entry.expires_at <= timezone.now():
        memo.forget(key)
        return None
    return entry


# --- user tokens (django-rest-knox) ------------------------------------------------------


@dataclass(frozen=True)
class ValidatedUserToken:
    """A user token known to be valid until `expires_at` (or a revocation)."""

    user: User
    token: AuthToken
    expires_at: datetime | None


validated_user_tokens = Memo(USER_TOKEN_CACHE_SECONDS)


def user_token_create(*, user: User) -> tuple[AuthToken, str]:
    """Create an expiring API token for `user` (USER_TOKEN_TTL_HOURS); return it and its key."""
    return AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)


def user_token_delete(*, token: AuthToken) -> None:
    """Log `token` out: it stops working in every process within a second."""
    token.delete()  # the post_delete receiver announces the revocation


def user_tokens_revoke(*, user: User) -> int:
    """Delete every token of `user` (password changed, deactivated); return how many there were."""
    count, _ = AuthToken.objects.filter(user=user).delete()
    revocation_announce()
    return count


def user_token_authenticate(*, key: str) -> ValidatedUserToken | None:
    """Return the active user and token for a user token key, or None (unknown, expired, inactive)."""
    if len(key) != knox_settings.AUTH_TOKEN_CHARACTER_LENGTH or not HEX_DIGITS.issuperset(key):
        # Not a key knox makes (hex digits); also keeps NULs and megabytes out of the query.
        return None
    digest = hash_token(key)
    remembered = unexpired(validated_user_tokens, digest)
    if remembered is not None:
        return remembered
    now = timezone.now()
    token = AuthToken.objects.select_related("user").filter(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH]).first()
    # Found by a prefix of the key; the digest decides, compared in constant time.
    if token is None or not hmac.compare_digest(token.digest, digest) or not token.user.is_active:
        return None
    if token.expiry is not None and token.expiry <= now:
        user_token_delete(token=token)
        return None
    validated = ValidatedUserToken(user=token.user, token=token, expires_at=token.expiry)
    validated_user_tokens.put(digest, validated)
    return validated


# --- service tokens ----------------------------------------------------------------------


def hash_service_key(raw_key: str) -> str:
    """Return the stored form of a service token key."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def service_token_create(
    *,
    name: str,
    scopes: Iterable[str] | None = None,
    expires_at: datetime | None = None,
    send_quota: int | None = None,
) -> tuple[ServiceToken, str]:
    """Create a service token; return it and its key, which is never stored or shown again.

    No `scopes` means every scope (what tokens could do before scopes existed).
    """
    granted = list(Scope.values) if scopes is None else sorted(set(scopes))
    unknown = [scope for scope in granted if scope not in Scope.values]
    if unknown or not granted:
        raise InvalidInput(details={"scopes": [f"Choose among {', '.join(Scope.values)}; unknown: {unknown}."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(details={"expires_at": ["Must be in the future."]})
    if send_quota is not None and send_quota < 0:
        raise InvalidInput(details={"send_quota": ["Must be zero or more."]})
    raw_key = SERVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ServiceToken.objects.create(
                name=name,
                prefix=raw_key[: len(SERVICE_TOKEN_PREFIX) + 6],
                key_hash=hash_service_key(raw_key),
                scopes=granted,
                expires_at=expires_at,
                send_quota=send_quota,
            )
    except IntegrityError as exc:
        raise Conflict(f"A service token named {name!r} already exists.") from exc
    return token, raw_key


def service_token_revoke(*, token: ServiceToken) -> ServiceToken:
    """Revoke `token`; it stops authenticating in every process within a second."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    revocation_announce()
    return token


@dataclass(frozen=True)
class ServicePrincipal:
    """The caller behind a service token, standing in for a user on the request."""

    token_id: int
    name: str
    scopes: frozenset[str] = frozenset()
    send_quota: int | None = None
    expires_at: datetime | None = None
    is_authenticated: bool = True
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_anonymous: bool = False
    role: str = "service"
    pk: None = None

    @property
    def username(self) -> str:
        return f"service:{self.name}"

    def __str__(self) -> str:
        return self.username


validated_service_tokens = Memo(SERVICE_TOKEN_CACHE_SECONDS)


def service_token_authenticate(*, raw_key: str) -> ServicePrincipal | None:
    """Return the principal for an active, unexpired service token key, or None."""
    if not raw_key.startswith(SERVICE_TOKEN_PREFIX) or len(raw_key) > 128:
        return None
    key_hash = hash_service_key(raw_key)
    remembered = unexpired(validated_service_tokens, key_hash)
    if remembered is not None:
        return remembered
    now = timezone.now()
    token = ServiceToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True).first()
    # The lookup is by a hash the caller cannot steer; compare again in constant time.
    if token is None or not hmac.compare_digest(token.key_hash, key_hash):
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
    principal = ServicePrincipal(
        token_id=token.pk,
        name=token.name,
        scopes=frozenset(token.scopes),
        send_quota=token.send_quota,
        expires_at=token.expires_at,
    )
    validated_service_tokens.put(key_hash, principal)
    return principal
