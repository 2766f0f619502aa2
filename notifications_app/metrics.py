"""Scrape-time metrics of notifications: emails by status and the tracking webhook's lag."""

from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from notifications_app.models import Notification, ProviderEvent, Status
from vividly.observability.metrics import collector_register


class Emails:
    name = "emails"

    def collect(self) -> Iterator[Metric]:
        # One GROUP BY over the (status, status_changed_at) index: no table scan per status.
        counts = dict(Notification.objects.order_by().values_list("status").annotate(n=Count("pk")))
        emails = GaugeMetricFamily("vividly_emails", "Notifications by current status.", labels=["status"])
        for status in Status.values:
            emails.add_metric([status], counts.get(status, 0))
        yield emails

        # The newest event received (the highest primary key: no index needed).
        latest = ProviderEvent.objects.order_by("-pk").values_list("occurred_at", "received_at").first()
        receipt_lag = GaugeMetricFamily(
            "vividly_webhook_receipt_lag_seconds",
            "For the newest provider event: seconds between its occurrence and our receipt of it.",
        )
        age = GaugeMetricFamily(
            "vividly_webhook_last_event_age_seconds",
            "Seconds since the newest provider event occurred (grows while the webhook is silent).",
        )
        if latest is not None:
            occurred_at, received_at = latest
            occurred_at = occurred_at or received_at
            receipt_lag.add_metric([], max(0.0, (received_at - occurred_at).total_seconds()))
            age.add_metric([], max(0.0, (timezone.now() - occurred_at).total_seconds()))
        yield receipt_lag
        yield age


collector_register(Emails())
