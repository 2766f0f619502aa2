"""Notification categories and channels: what a recipient may turn off, and on which channel."""

from django.db import models


class Category(models.TextChoices):
    # Always sent (account, security, access): a recipient cannot turn these off.
    TRANSACTIONAL = "transactional", "Account and security emails"
    CONTENT_UPDATES = "content_updates", "Content updates"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    # Room for later channels; none of them is sent yet.
    SMS = "sms", "Text message"
    PUSH = "push", "Push notification"


# What a person stops getting when they turn a category off, in their words.
DESCRIPTIONS = {
    Category.TRANSACTIONAL: "emails about your account and its security",
    Category.CONTENT_UPDATES: "emails telling you that a video you asked for is ready",
}

# The channels that exist today: a preference for any other is refused.
AVAILABLE_CHANNELS = (Channel.EMAIL,)
# The categories a recipient may turn off, unsubscribe from, or complain about.
OPTIONAL_CATEGORIES = tuple(category for category in Category if category != Category.TRANSACTIONAL)


def is_optional(category: str) -> bool:
    """Return True for a category a recipient may turn off (every one but transactional)."""
    return category in OPTIONAL_CATEGORIES
