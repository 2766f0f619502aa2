"""The service's front page (`/`): what this is and where its API docs and admin are, for a person who opens it."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Render the front page: the service's name, links to the API docs and the admin, and the app."""
    app_url = settings.APP_BASE_URL
    context = {
        "service_name": settings.SPECTACULAR_SETTINGS["TITLE"],
        "docs_url": reverse("docs"),
        "admin_url": reverse("admin:index"),
        # Only when the app lives elsewhere: a link back to this very page would help no one.
        "app_url": app_url if app_url != settings.PUBLIC_BASE_URL else "",
    }
    return render(request, "vividly/home.html", context)
