"""Users with a role, classrooms owned by teachers, and hashed, scoped service tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    TEACHER = "teacher", "Teacher"
    ADMIN = "admin", "Admin (staff)"


class Scope(models.TextChoices):
    """What a service token may do under /internal/: each internal view names the one it needs."""

    CACHE_READ = "cache:read", "Read the content cache"
    CACHE_WRITE = "cache:write", "Store and invalidate cached content"
    NOTIFY_SEND = "notify:send", "Send notifications"
    NOTIFY_READ = "notify:read", "Read notification status"
    GENERATION = "generation", "Claim and complete generation jobs"
    PRIVACY = "privacy", "Export and erase users' data"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT, db_index=True)
    # One free-form name, as the person writes it: names do not all split into first and last.
    # Emails greet by it, never by the username; empty, they say "Hi,". Personal data (PRIVACY.md).
    display_name = models.CharField(
        max_length=150, blank=True, help_text="The name emails greet this person by (empty: a neutral greeting)."
    )


class Classroom(models.Model):
    name = models.CharField(max_length=120)
    teacher = models.ForeignKey(User, on_delete=models.CASCADE, related_name="classrooms")
    students = models.ManyToManyField(User, through="Enrollment", related_name="enrolled_classrooms")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["teacher", "name"], name="unique_classroom_per_teacher")]
        ordering = ["teacher_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.teacher.username})"


class Enrollment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrollments")
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "student"], name="unique_enrollment")]

    def __str__(self) -> str:
        return f"{self.student.username} in {self.classroom.name}"


class ServiceToken(models.Model):
    """A credential for another service calling /internal/; only its hash is stored."""

    name = models.CharField(max_length=120, unique=True)
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    scopes = models.JSONField(default=list, help_text="The scopes this token grants (see Scope).")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    send_quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Notifications this token may send a day; empty: unlimited."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
