"""Signals other apps listen to: content was stored, content was invalidated."""

from django.dispatch import Signal

# Sent after the store commits, with cache_key, topic_id, interest, style, metadata.
content_stored = Signal()
# Sent after entries were removed from both tiers, with cache_keys.
content_invalidated = Signal()
