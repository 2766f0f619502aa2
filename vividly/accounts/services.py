"""Write operations on identity: users, enrollments, service tokens."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from vividly.accounts.models import Classroom, Enrollment, Role, ServiceToken, User
from vividly.errors import Conflict, InvalidInput
from vividly.process_state import Memo, revocation_announce

SERVICE_TOKEN_PREFIX = "vsk_"
# Validated tokens are remembered per process so a hot path makes no database query
# (the ORM alone costs more than the rest of a cache check); a revocation takes effect
# at once in the process that made it and within this many seconds in the others.
SERVICE_TOKEN_CACHE_SECONDS = 10.0
USER_TOKEN_CACHE_SECONDS = 10.0
USER_TOKEN_MAX_LENGTH = 40  # rest_framework.authtoken's key column
# last_used_at is a hint for humans: write it at most this often per token.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def user_create(*, username: str, role: str, email: str = "", password: str | None = None) -> tuple[User, str]:
    """Create a user with `role` and an API token; return both (the token's key)."""
    if role not in Role.values:
        raise InvalidInput(details={"role": [f"Must be one of {', '.join(Role.values)}."]})
    user = User(username=username, email=email, role=role)
    user.is_staff = user.is_superuser = role == Role.ADMIN
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except DjangoValidationError as exc:
        if "username" in exc.message_dict and User.objects.filter(username=username).exists():
            raise Conflict(f"A user named {username!r} already exists.") from exc
        raise InvalidInput(details=exc.message_dict) from exc
    with transaction.atomic():
        user.save()
        token = Token.objects.create(user=user)
    return user, token.key


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


def hash_service_key(raw_key: str) -> str:
    """Return the stored form of a service token key."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def service_token_create(*, name: str) -> tuple[ServiceToken, str]:
    """Create a service token; return it and its key, which is never stored or shown again."""
    raw_key = SERVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ServiceToken.objects.create(
                name=name, prefix=raw_key[: len(SERVICE_TOKEN_PREFIX) + 6], key_hash=hash_service_key(raw_key)
            )
    except IntegrityError as exc:
        raise Conflict(f"A service token named {name!r} already exists.") from exc
    return token, raw_key


def service_token_revoke(*, token: ServiceToken) -> ServiceToken:
    """Revoke `token`; it stops authenticating at once here, within seconds elsewhere."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    validated_service_tokens.forget(token.key_hash)
    return token


@dataclass(frozen=True)
class ServicePrincipal:
    """The caller behind a service token, standing in for a user on the request."""

    token_id: int
    name: str
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
validated_user_tokens = Memo(USER_TOKEN_CACHE_SECONDS)


def service_token_authenticate(*, raw_key: str) -> ServicePrincipal | None:
    """Return the principal for an active service token key, or None."""
    if not raw_key.startswith(SERVICE_TOKEN_PREFIX) or len(raw_key) > 128:
        return None
    key_hash = hash_service_key(raw_key)
    principal = validated_service_tokens.get(key_hash)
    if principal is not None:
        return principal
    token = ServiceToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True).first()
    # The lookup is by a hash the caller cannot steer; compare again in constant time.
    if token is None or not hmac.compare_digest(token.key_hash, key_hash):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
    principal = ServicePrincipal(token_id=token.pk, name=token.name)
    validated_service_tokens.put(key_hash, principal)
    return principal


def user_token_authenticate(*, key: str) -> tuple[User, Token] | None:
    """Return the active user and token for a DRF token key, or None."""
    if not (len(key) <= USER_TOKEN_MAX_LENGTH and key.isascii() and key.isalnum()):
        # Not a key DRF would make (40 hex digits); PostgreSQL would refuse a NUL in the query.
        return None
    remembered = validated_user_tokens.get(key)
    if remembered is not None:
        return remembered
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    validated_user_tokens.put(key, (token.user, token))
    return token.user, token


def forget_validated_tokens() -> None:
    """Drop every remembered token, in this process at once and in every other within a second."""
    revocation_announce()
