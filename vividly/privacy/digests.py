"""Keyed digests (HMAC-SHA256 under SECRET_KEY): a value can be recognised later without being kept."""

from django.utils.crypto import salted_hmac


def keyed_digest(value: str, *, purpose: str) -> str:
    """Return the hex HMAC-SHA256 of `value`, keyed by SECRET_KEY and salted per `purpose`."""
    return salted_hmac(f"vividly.privacy.{purpose}", value, algorithm="sha256").hexdigest()


def user_digest(user_id: int) -> str:
    """Return the digest an access-log entry keeps of its subject's id."""
    return keyed_digest(str(user_id), purpose="user")
