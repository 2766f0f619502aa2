"""URL routes of the calling user's own notification settings, mounted at /api/v1/me/."""

from django.urls import path

from notifications_app.api.preference_views import NotificationPreferencesView

urlpatterns = [
    path("notification-preferences", NotificationPreferencesView.as_view(), name="notification-preferences"),
]
