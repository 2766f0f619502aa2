"""The email templates: the context each one requires (the contract's table) and a sample for previews."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from notifications_app.categories import Category


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    description: str
    # Variables the caller must send; a missing one is a 400 at request time.
    required: tuple[str, ...]
    # Context for the admin preview, the tests and the benchmarks; `*_url` values are paths
    # of the app, so the sample's links are on a host EMAIL_LINK_HOSTS allows.
    example: dict[str, Any] = field(default_factory=dict)
    # What kind of email it is: transactional ones are always sent; others may be turned off.
    category: str = Category.TRANSACTIONAL
    # The required variable the greeting names ("Hi {name},"): it may be sent empty, since a
    # user may have no display name, and the email then greets "Hi," (never by a username).
    greeting: str | None = None

    @property
    def sample(self) -> dict[str, Any]:
        """Return the example context with absolute links to the app (APP_BASE_URL)."""
        return absolute_links(self.example, settings.APP_BASE_URL)


def absolute_links(context: dict[str, Any], base: str) -> dict[str, Any]:
    """Return `context` with every `*_url` path made absolute on `base` (in lists of objects too)."""
    return {
        name: f"{base}{value}"
        if name.endswith("_url")
        else [absolute_links(item, base) if isinstance(item, dict) else item for item in value]
        if isinstance(value, list)
        else value
        for name, value in context.items()
    }


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
            category=Category.CONTENT_UPDATES,
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


# Made by the service only (never requested through the API): the day's content_ready emails
# of a recipient who chose a daily digest, folded into one.
DIGEST_TEMPLATE = EmailTemplate(
    "content_ready_digest",
    "The day's ready videos in one email, for a recipient who chose a daily digest.",
    ("items",),
    {
        "student_name": "Maya",
        "items": [
            {"content_title": "Newton's laws, told through skateboarding", "content_url": "/watch/9f2c"},
            {"content_title": "Photosynthesis as a cooking show", "content_url": "/watch/41ab"},
        ],
    },
    category=Category.CONTENT_UPDATES,
)
# The template whose emails a daily digest folds.
DIGESTED_TEMPLATE = "content_ready"


def template_spec(name: str) -> EmailTemplate | None:
    """Return the registered template called `name`, or None."""
    return TEMPLATES.get(name)


def category_of(template: str) -> str:
    """Return the category of `template` (a service-made digest included); transactional if unknown."""
    spec = TEMPLATES.get(template) or (DIGEST_TEMPLATE if template == DIGEST_TEMPLATE.name else None)
    return spec.category if spec is not None else Category.TRANSACTIONAL
