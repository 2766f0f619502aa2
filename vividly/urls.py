"""Root URL configuration: public API, internal API, admin, health, docs, webhooks.

Apps are mounted by dotted path, so the core imports none of them.
"""

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from vividly import health, home
from vividly.api.auth import TokenView
from vividly.observability.views import MetricsView

# The admin's "View site" opens the app people use (APP_BASE_URL), not this API's front
# page; lazy, so it follows the setting (tests change it) instead of freezing it at import.
admin.site.site_url = lazy(lambda: settings.APP_BASE_URL, str)()

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("api/v1/auth/token", TokenView.as_view(), name="auth-token"),
    path("api/v1/content/", include(("delivery_app.api.urls", "delivery"))),
    path("api/v1/", include(("delivery_app.api.classroom_urls", "classrooms"))),
    path("api/v1/me/", include(("notifications_app.api.me_urls", "me"))),
    path("internal/v1/cache/", include(("cache_app.api.urls", "cache"))),
    path("internal/v1/notifications/", include(("notifications_app.api.urls", "notifications"))),
    path("internal/v1/privacy/", include(("vividly.privacy.urls", "privacy"))),
    path("internal/v1/generation/", include(("generation_app.api.urls", "generation"))),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(renderer_classes=[OpenApiJsonRenderer]),
        name="schema",
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("files/upload/", include("generation_app.files_urls")),
    path("files/", include("delivery_app.files_urls")),
    path("anymail/", include("notifications_app.webhook_urls")),
    path("email/", include("notifications_app.unsubscribe_urls")),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    # Browsers ask for it on every page; the admin links the same icon.
    path("favicon.ico", RedirectView.as_view(url=static("vividly/favicon.svg"), permanent=True)),
]
