"""One-click unsubscribe links (RFC 8058): an opaque, signed token naming an address and a category.

Django's signing (HMAC with SECRET_KEY, a salt of its own) checks a link without a database
lookup; the token never expires, since an unsubscribe link in an old email must still work.
"""

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from notifications_app.categories import is_optional

SALT = "notifications_app.unsubscribe"


class BadUnsubscribeLink(ValueError):
    """The link was altered, cut short, or names nothing that can be unsubscribed from."""


def unsubscribe_token(*, address: str, category: str) -> str:
    """Return the signed token for `address` and `category`."""
    return signing.dumps([address.lower(), category], salt=SALT, compress=True)


def unsubscribe_url(*, address: str, category: str) -> str:
    """Return the absolute one-click link (on PUBLIC_BASE_URL) for `address` and `category`."""
    path = reverse("notifications-unsubscribe", kwargs={"token": unsubscribe_token(address=address, category=category)})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def unsubscribe_token_read(token: str) -> tuple[str, str]:
    """Return (address, category) from a token, or raise BadUnsubscribeLink."""
    try:
        value: Any = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise BadUnsubscribeLink("The link is not valid.") from exc
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value)):
        raise BadUnsubscribeLink("The link is not valid.")
    address, category = value
    if not is_optional(category):
        raise BadUnsubscribeLink("These emails cannot be unsubscribed from.")
    return address, category
