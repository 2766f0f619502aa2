"""URL routes of this app's API, mounted at /internal/v1/notifications/."""

from django.urls import path

from notifications_app.api.views import BatchSendView, SendView, StatusView

urlpatterns = [
    path("send", SendView.as_view(), name="send"),
    path("send/batch", BatchSendView.as_view(), name="send-batch"),
    path("<uuid:notification_id>/status", StatusView.as_view(), name="status"),
]
