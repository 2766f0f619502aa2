"""Signals other apps listen to: a generation job failed for good."""

from django.dispatch import Signal

# Sent after the commit that closed a job `failed` (or cancelled it with students still
# waiting), with cache_key: str and error_code: str; delivery marks its pending requests failed.
generation_failed = Signal()
