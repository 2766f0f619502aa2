"""RQ jobs of delivery: thin, they call a service."""

from delivery_app import services


def mark_requests_ready(cache_key: str, title: str) -> int:
    """Mark the pending requests for `cache_key` ready and email their students."""
    return services.content_requests_mark_ready(cache_key=cache_key, title=title)
