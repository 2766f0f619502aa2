"""Forget remembered credentials in this process when a user or token changes."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from vividly.accounts.models import User
from vividly.accounts.services import forget_validated_tokens


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
@receiver(post_delete, sender=Token)
def forget_credentials(**kwargs: Any) -> None:
    forget_validated_tokens()
