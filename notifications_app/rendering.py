"""The Jinja2 environment for email templates and the function rendering one email."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import engines
from jinja2 import Environment, StrictUndefined, select_autoescape


def jinja2_environment(**options: Any) -> Environment:
    """Return the environment Django's Jinja2 backend renders emails with.

    `autoescape=True` would escape the subject and text bodies too ("Newton's" would
    read `Newton&#39;s`), so escaping is chosen by extension: HTML only.
    """
    options["autoescape"] = select_autoescape(enabled_extensions=("html",), default_for_string=False)
    options["undefined"] = StrictUndefined
    # Block tags on their own line leave no blank lines behind in the plain-text bodies.
    options["trim_blocks"] = True
    options["lstrip_blocks"] = True
    return Environment(**options)  # noqa: S701 - autoescape is select_autoescape above


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


# The variables the base templates get from the service; a caller may not set them. The
# unsubscribe link is the service's too: only it may sign one, and only for a category
# that can be unsubscribed from (its presence turns the footer's service notice off).
BASE_CONTEXT_KEYS = frozenset({"site_url", "sender_name", "unsubscribe_url"})


def base_context() -> dict[str, Any]:
    """Return the variables every template may use besides the caller's context."""
    # The logo and footer link are for people: the app (APP_BASE_URL), not this API, whose `/` is no site.
    return {"site_url": settings.APP_BASE_URL, "sender_name": settings.SENDGRID_FROM_NAME}


def render_email(template: str, context: dict[str, Any], *, unsubscribe_url: str | None = None) -> RenderedEmail:
    """Render the subject, text and HTML bodies of `template` with `context` (and its unsubscribe link, if any).

    Raises TemplateDoesNotExist for an unknown name and jinja2's errors (UndefinedError
    for a variable the template needs and the context lacks).
    """
    engine = engines["emails"]
    # The service's own variables win, whatever a row saved before that rule holds.
    variables = {key: value for key, value in context.items() if key not in BASE_CONTEXT_KEYS} | base_context()
    if unsubscribe_url:
        variables["unsubscribe_url"] = unsubscribe_url
    subject = engine.get_template(f"emails/{template}.subject.txt").render(variables)
    return RenderedEmail(
        # One line, whatever the template or the context hold: a newline in a header
        # would be refused by Django, or worse, start another header.
        subject=" ".join(subject.split()),
        text=engine.get_template(f"emails/{template}.txt").render(variables).strip() + "\n",
        html=engine.get_template(f"emails/{template}.html").render(variables),
    )
