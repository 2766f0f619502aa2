"""The one-click unsubscribe link (RFC 8058): POST unsubscribes at once, GET shows a page with a button.

No cookie, no CSRF token, no login: the signed link is the credential, and a mail client's
one-click POST carries nothing else. GET never unsubscribes by itself, because mail scanners
and link previews fetch every link in an email.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications_app.categories import DESCRIPTIONS, Category
from notifications_app.preference_selectors import user_of_address
from notifications_app.preference_services import recipient_unsubscribe
from notifications_app.unsubscribe import BadUnsubscribeLink, unsubscribe_token_read

# RFC 8058's body, exactly: anything else is not a one-click unsubscribe.
ONE_CLICK = ("List-Unsubscribe", "One-Click")


def masked(address: str) -> str:
    """Return `address` with most of its local part hidden (the page may be seen over a shoulder)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}{'•' * max(1, min(len(local) - 1, 6))}@{domain}"


def page(request: HttpRequest, state: str, status: int = 200, **context: Any) -> HttpResponse:
    response = render(
        request,
        "notifications_app/unsubscribe.html",
        {"state": state, "sender_name": settings.SENDGRID_FROM_NAME, **context},
        status=status,
    )
    # The token is in the URL: no caching, no referrer leaking it, no search engine keeping it.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Show the unsubscribe page (GET) or unsubscribe at once (POST `List-Unsubscribe=One-Click`)."""
    try:
        address, category = unsubscribe_token_read(token)
    except BadUnsubscribeLink:
        return page(request, "invalid", status=400)
    context = {
        "address": masked(address),
        "category": Category(category).label,
        "description": DESCRIPTIONS[category],
        "preferences_url": settings.APP_PREFERENCES_URL if user_of_address(address) is not None else None,
    }
    if request.method == "GET":
        return page(request, "confirm", **context)
    if request.POST.get(ONE_CLICK[0]) != ONE_CLICK[1]:
        return page(request, "bad_request", status=400, **context)
    recipient_unsubscribe(address=address, category=category)
    return page(request, "done", **context)
