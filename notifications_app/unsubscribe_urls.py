"""The one-click unsubscribe link, mounted at /email/ (outside /api/: it answers people with HTML)."""

from django.urls import path

from notifications_app.unsubscribe_views import unsubscribe

urlpatterns = [
    path("unsubscribe/<str:token>", unsubscribe, name="notifications-unsubscribe"),
]
