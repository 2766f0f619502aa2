"""The one provider webhook mounted under /anymail/: SendGrid's tracking events.

anymail's own `anymail.urls` mounts every provider's endpoint, each authenticated only by
what that provider's settings configure; with only SendGrid's signature key set, the
others accepted forged events. Their paths are 404 here.
"""

from django.urls import path

from notifications_app.webhooks import SendGridTrackingView

urlpatterns = [
    path("sendgrid/tracking/", SendGridTrackingView.as_view(), name="sendgrid_tracking_webhook"),
]
