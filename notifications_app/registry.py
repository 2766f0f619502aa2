"""The email templates: the context each one requires (the contract's table) and a sample for previews."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    description: str
    # Variables the caller must send; a missing one is a 400 at request time.
    required: tuple[str, ...]
    # Context for the admin preview, the tests and the benchmarks; `*_url` values are paths
    # of the app, so the sample's links are on a host EMAIL_LINK_HOSTS allows.
    example: dict[str, Any] = field(default_factory=dict)
    # The required variable the greeting names ("Hi {name},"): it may be sent empty, since a
    # user may have no display name, and the email then greets "Hi," (never by a username).
    greeting: str | None = None

    @property
    def sample(self) -> dict[str, Any]:
        """Return the example context with absolute links to the app (APP_BASE_URL)."""
        base = settings.APP_BASE_URL
        return {name: f"{base}{value}" if name.endswith("_url") else value for name, value in self.example.items()}


TEMPLATES: dict[str, EmailTemplate] = {
    spec.name: spec
    for spec in (
        EmailTemplate(
            "welcome_student",
            "A new student account is ready.",
            ("student_name", "login_url"),
            {"student_name": "Maya", "login_url": "/login"},
            greeting="student_name",
        ),
        EmailTemplate(
            "welcome_teacher",
            "A new teacher account is ready.",
            ("teacher_name", "login_url"),
            {"teacher_name": "Ms Rivera", "login_url": "/login"},
            greeting="teacher_name",
        ),
        EmailTemplate(
            "password_reset",
            "A link to choose a new password.",
            ("name", "reset_url", "expires_in_minutes"),
            {"name": "Maya", "reset_url": "/reset/abc123", "expires_in_minutes": 30},
            greeting="name",
        ),
        EmailTemplate(
            "content_ready",
            "A video the student asked for has been generated.",
            ("student_name", "content_title", "content_url"),
            {
                "student_name": "Maya",
                "content_title": "Newton's laws, told through skateboarding",
                "content_url": "/watch/9f2c",
            },
            greeting="student_name",
        ),
        EmailTemplate(
            "request_approved",
            "An access request was approved.",
            ("name", "login_url"),
            {"name": "Maya", "login_url": "/login"},
            greeting="name",
        ),
        EmailTemplate(
            "request_denied",
            "An access request was declined, with the reason.",
            ("name", "reason"),
            {"name": "Maya", "reason": "Your school has not joined Vividly yet."},
            greeting="name",
        ),
        EmailTemplate(
            "class_invitation",
            "A teacher invites a student to a class.",
            ("student_name", "teacher_name", "class_name", "invitation_url"),
            {
                "student_name": "Maya",
                "teacher_name": "Ms Rivera",
                "class_name": "Physics 9B",
                "invitation_url": "/join/7d1e",
            },
            greeting="student_name",
        ),
    )
}


def template_spec(name: str) -> EmailTemplate | None:
    """Return the registered template called `name`, or None."""
    return TEMPLATES.get(name)
