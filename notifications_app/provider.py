"""The provider's side of a send: the email anymail posts, the open connection, and what a failure means."""

import logging
import os
import time
from dataclasses import dataclass

import requests
from anymail.exceptions import AnymailError, AnymailRequestsAPIError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from notifications_app.categories import is_optional
from notifications_app.models import Notification
from notifications_app.rendering import RenderedEmail
from notifications_app.selectors import address_is_staff
from notifications_app.unsubscribe import unsubscribe_url
from vividly.process_state import process_wide

logger = logging.getLogger("vividly.notifications")

# Never wait longer than this on a provider's rate-limit reset header.
MAX_PROVIDER_WAIT_SECONDS = 15 * 60


@dataclass(frozen=True)
class SendFailure:
    transient: bool
    http_status: int | None
    error: str
    # Seconds the provider asked us to wait (429 with X-RateLimit-Reset), if any.
    wait_hint: float = 0.0


def unsubscribe_link(notification: Notification) -> str | None:
    """Return the one-click link of a non-transactional email (None for a transactional one)."""
    if not is_optional(notification.category):
        return None
    return unsubscribe_url(address=notification.to, category=notification.category)


def unsubscribe_headers(link: str) -> dict[str, str]:
    """Return the headers of a one-click unsubscribe (RFC 8058: mail clients show a button that POSTs to it)."""
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def build_message(
    notification: Notification, rendered: RenderedEmail, *, unsubscribe_url: str | None = None
) -> EmailMultiAlternatives:
    """Return the email, text with an HTML alternative, tagged with our notification id.

    One recipient, so its headers are that recipient's own (a grouped call gives each
    member its own through anymail's `merge_headers`: `grouping.py`).
    """
    headers = unsubscribe_headers(unsubscribe_url) if unsubscribe_url else {}
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to],
        reply_to=[settings.SENDGRID_REPLY_TO] if settings.SENDGRID_REPLY_TO else None,
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    # anymail: SendGrid sends metadata back in every event, so an event finds its
    # notification even when the worker died before recording the provider's message id.
    message.metadata = {"notification_id": str(notification.pk)}
    message.tags = [notification.template]
    # No tracking pixel and no rewritten links (PRIVACY.md): a student's reading is not recorded.
    message.track_opens = message.track_clicks = tracking_allowed(notification.to)
    return message


def tracking_allowed(address: str) -> bool:
    """Return whether an email to `address` may be tracked: only a staff recipient's, only when configured."""
    return settings.EMAIL_TRACKING_FOR_STAFF and address_is_staff(address)


@process_wide("EMAIL_BACKEND", "ANYMAIL")
def mail_connection() -> BaseEmailBackend:
    """Return this process's open mail connection for the configured backend.

    Kept open between jobs: anymail's backend then reuses its HTTP session, so an email
    costs one request, not a TCP and TLS handshake too.
    """
    connection = get_connection()
    connection.open()
    if isinstance(session := getattr(connection, "session", None), requests.Session):
        environment_read_once(session, getattr(connection, "api_url", ""))
    return connection


def environment_read_once(session: requests.Session, url: str) -> None:
    """Give `session` the proxy and CA settings of the environment now, and stop it rereading them.

    requests looks the proxy variables up in `os.environ` on every call when `trust_env` is
    on: ~0.3 ms of a ~2 ms send here. The environment of a worker does not change while it
    runs, so it is read once, when the connection opens (checked against requests 2.32).
    """
    session.proxies.update(requests.utils.get_environ_proxies(url))
    if bundle := os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"):
        session.verify = bundle
    session.trust_env = False


def provider_send(
    notification: Notification, rendered: RenderedEmail, *, unsubscribe_url: str | None = None
) -> tuple[str, int | None]:
    """Send through Django's mail API (anymail's SendGrid backend, or the local .eml one)."""
    message = build_message(notification, rendered, unsubscribe_url=unsubscribe_url)
    message.connection = mail_connection()
    message.send()
    status = getattr(message, "anymail_status", None)
    response = getattr(status, "esp_response", None)
    return (getattr(status, "message_id", None) or ""), getattr(response, "status_code", None)


def classify(exc: Exception) -> SendFailure:
    """Tell a transient failure (retry later) from a permanent one (give up now).

    Transient: no HTTP answer at all (timeout, refused), 429, 5xx, or a local I/O error.
    Permanent: any other 4xx, or anymail refusing the message before sending it.
    """
    if isinstance(exc, AnymailRequestsAPIError):
        status = exc.status_code
        wait_hint = 0.0
        if status == 429 and exc.response is not None:
            reset = exc.response.headers.get("X-RateLimit-Reset")
            if reset and reset.isdigit():
                wait_hint = min(float(reset) - time.time(), MAX_PROVIDER_WAIT_SECONDS)
        transient = status is None or status == 429 or status >= 500
        return SendFailure(transient, status, str(exc)[:2000], wait_hint)
    if isinstance(exc, AnymailError):
        return SendFailure(False, None, str(exc)[:2000])
    if not isinstance(exc, OSError):
        logger.error("unexpected error while sending", exc_info=exc)
    return SendFailure(True, None, f"{type(exc).__name__}: {exc}"[:2000])
