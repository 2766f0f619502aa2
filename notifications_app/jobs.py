"""RQ jobs: each receives an id and calls a service; the database row is the truth, not the job."""

from notifications_app.sending import notification_deliver


def deliver_notification(notification_id: str) -> str:
    """Send one notification (enqueued by id on the queue of its priority)."""
    return notification_deliver(notification_id=notification_id)
