"""RQ jobs: each receives an id and calls a service; the database row is the truth, not the job."""

from django.db import close_old_connections

from notifications_app.sending import notification_deliver


def deliver_notification(notification_id: str) -> str:
    """Send one notification (enqueued by id on the queue of its priority)."""
    # What Django does around a request: RQ's in-process worker runs jobs one after another
    # in one process, so a connection that broke or grew too old is dropped, not reused.
    close_old_connections()
    try:
        return notification_deliver(notification_id=notification_id)
    finally:
        close_old_connections()
