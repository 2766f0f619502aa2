"""The generation queue as delivery sees it: demand joined and left, and final failures heard.

`generation_app` owns the queue; delivery only tells it that a student now waits for a key
(or no longer does) and hears when generation failed for good. Without that app installed
the calls do nothing and the failure signal is a local one that nothing in production sends
(tests send it), so delivery works, and is tested, on its own.
"""

from django.apps import apps
from django.dispatch import Signal

# Stands in for generation_app.signals.generation_failed (kwargs: cache_key, error_code).
fallback_generation_failed = Signal()


def generation_installed() -> bool:
    return apps.is_installed("generation_app")


def generation_demand_join(*, cache_key: str, topic_id: str, interest: str, style: str) -> None:
    """Count one more pending request for `cache_key` (opens its job); call inside the request's transaction."""
    if generation_installed():
        from generation_app.services import generation_demand_join as join

        join(cache_key=cache_key, topic_id=topic_id, interest=interest, style=style)


def generation_demand_leave(*, cache_key: str) -> None:
    """Count one pending request fewer for `cache_key`; call inside the cancelling transaction."""
    if generation_installed():
        from generation_app.services import generation_demand_leave as leave

        leave(cache_key=cache_key)


def generation_failed_signal() -> Signal:
    """Return the signal sent (after commit) when generating a key failed for good."""
    if generation_installed():
        from generation_app.signals import generation_failed

        return generation_failed
    return fallback_generation_failed
