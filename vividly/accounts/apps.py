"""App configuration for identity."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vividly.accounts"
    label = "accounts"
    verbose_name = "Identity"

    def ready(self) -> None:
        import vividly.accounts.privacy  # noqa: F401 - registers its kinds with the privacy registry
        from vividly.accounts import receivers  # noqa: F401 - connects the receivers
        from vividly.api import schema  # noqa: F401 - registers the OpenAPI auth scheme
