"""Revoke credentials when a user or token changes: in this process at once, in every other within a second."""

from typing import Any

from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver
from knox.models import AuthToken

from vividly.accounts.models import ServiceToken, User
from vividly.accounts.services import STAFF_APP_LABELS, staff_group_sync, user_tokens_revoke
from vividly.process_state import revocation_announce


@receiver(pre_save, sender=User)
def revoke_tokens_on_password_change_or_deactivation(instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    """A new password or a deactivation ends every session the user had (a stolen token included)."""
    if instance.pk is None or (update_fields is not None and not {"password", "is_active"} & set(update_fields)):
        return  # a new user, or a save that touches neither (last_login, say)
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        user_tokens_revoke(user=instance)


@receiver(post_save, sender=User)
def forget_a_changed_user(update_fields: Any = None, **kwargs: Any) -> None:
    """A memoised user (role, activity) may be stale now; a login's last_login write changes nothing."""
    if update_fields is None or set(update_fields) != {"last_login"}:
        revocation_announce()


@receiver(post_delete, sender=User)
@receiver(post_delete, sender=AuthToken)
@receiver(post_save, sender=ServiceToken)
@receiver(post_delete, sender=ServiceToken)
def forget_credentials(**kwargs: Any) -> None:
    """A memoised user or token may be gone or changed: drop the memos everywhere."""
    revocation_announce()


@receiver(post_migrate)
def keep_the_staff_group_complete(app_config: Any, **kwargs: Any) -> None:
    """New models bring new permissions: the staff group gets them once the migrations ran."""
    if app_config.label in STAFF_APP_LABELS:
        staff_group_sync()
