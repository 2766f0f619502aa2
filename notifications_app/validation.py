"""What a notification request must satisfy: one function per rule, called by the API's serializers
and by `send_request_validate` for in-process callers (delivery_app, the admin's resend).

Links are the phishing surface of an email the service signs as itself, so every `*_url`
variable must be an absolute http(s) URL on a host of EMAIL_LINK_HOSTS, and a caller may
not replace the variables the base template gets from us (`site_url`, `sender_name`).
"""

import fnmatch
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.template import TemplateDoesNotExist
from jinja2 import TemplateError

from notifications_app.models import Priority
from notifications_app.registry import TEMPLATES, EmailTemplate, template_spec
from notifications_app.rendering import BASE_CONTEXT_KEYS, render_email
from vividly.errors import InvalidInput


@dataclass(frozen=True)
class SendRequest:
    """A send that passed validation: a known template, a valid address, the context it needs."""

    to: str
    template: str
    context: dict[str, Any]
    priority: str

    @property
    def fingerprint(self) -> str:
        """Return a digest of the request, to tell a replay from a conflicting reuse of a key."""
        canonical = json.dumps(
            [self.to.lower(), self.template, self.context, self.priority], sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def address_errors(to: Any) -> list[str]:
    """Return what is wrong with a recipient address (empty when it is one)."""
    try:
        validate_email(to if isinstance(to, str) else "")
    except DjangoValidationError:
        return ["Enter a valid email address."]
    return []


def template_errors(name: Any) -> list[str]:
    """Return what is wrong with a template name (empty when it is registered)."""
    if isinstance(name, str) and template_spec(name) is not None:
        return []
    return [f"Unknown template {name!r}; known: {', '.join(sorted(TEMPLATES))}."]


def is_web_url(value: str) -> bool:
    """Return True for an absolute http(s) URL (a `javascript:` link in an email is an attack)."""
    if any(char.isspace() or not char.isprintable() for char in value):
        return False  # urlsplit would silently drop a CR/LF, which must not reach a header
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def link_host_allowed(url: str) -> bool:
    """Return True when `url` points at a host of EMAIL_LINK_HOSTS (`*.example.edu` matches subdomains)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:  # a malformed port or IPv6 literal
        return False
    if not host:
        return False
    return any(
        host == pattern or (pattern.startswith("*.") and fnmatch.fnmatchcase(host, pattern))
        for pattern in (allowed.strip().lower() for allowed in settings.EMAIL_LINK_HOSTS)
        if pattern
    )


def context_errors(spec: EmailTemplate, context: dict[str, Any]) -> list[str]:
    """Return what is wrong with `context` for the template `spec` (empty when it may be sent)."""
    errors = [
        f"Missing variable {name!r}, required by {spec.name!r}."
        for name in spec.required
        if context.get(name) is None or (context.get(name) == "" and name != spec.greeting)
    ]
    errors += [
        f"Variable {name!r} is set by the service and cannot be overridden."
        for name in sorted(BASE_CONTEXT_KEYS & set(context))
    ]
    # Every `*_url` variable becomes a link (an optional unsubscribe_url too, also a header).
    for name, value in context.items():
        if not name.endswith("_url") or value in (None, "") or name in BASE_CONTEXT_KEYS:
            continue
        if not (isinstance(value, str) and is_web_url(value)):
            errors.append(f"Variable {name!r} must be an absolute http(s) URL.")
        elif not link_host_allowed(value):
            errors.append(f"Variable {name!r} must link to one of this service's hosts (EMAIL_LINK_HOSTS).")
    return errors


def render_errors(template: str, context: dict[str, Any]) -> list[str]:
    """Render the email once, so one that cannot render is refused now (400), not in the worker."""
    try:
        render_email(template, context)
    except (TemplateError, TemplateDoesNotExist, TypeError, ValueError) as exc:
        return [f"The template cannot be rendered with this context: {exc}"]
    return []


def send_request_validate(*, to: Any, template: Any, context: Any, priority: Any = Priority.NORMAL) -> SendRequest:
    """Return the validated request, or raise InvalidInput listing every problem per field."""
    details: dict[str, list[str]] = {}
    to = to.strip() if isinstance(to, str) else to
    if errors := address_errors(to):
        details["to"] = errors
    if errors := template_errors(template):
        details["template"] = errors
    if not isinstance(context, dict):
        details["context"] = ["Must be a JSON object."]
    elif "template" not in details and (errors := context_errors(template_spec(template), context)):
        details["context"] = errors
    if priority not in Priority.values:
        details["priority"] = [f"Must be one of {', '.join(Priority.values)}."]
    if not details and (errors := render_errors(template, context)):
        details["context"] = errors
    if details:
        raise InvalidInput(details=details)
    return SendRequest(to=to, template=template, context=context, priority=priority)
