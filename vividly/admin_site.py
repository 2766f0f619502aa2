"""The admin site staff use: Vividly's name on every page, and one section for every kind of token."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

# knox's user tokens are shown beside our service tokens, in the identity section.
MERGED_SECTIONS = {"knox": "accounts"}


class VividlyAdminSite(admin.AdminSite):
    site_header = "Vividly admin"
    site_title = "Vividly admin"
    index_title = "Vividly administration"
    # At 1280 px the side navigation took a quarter of the width the lists need; the
    # breadcrumbs and the index lead everywhere it did.
    enable_nav_sidebar = False

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        by_label = {app["app_label"]: app for app in apps}
        for source, target in MERGED_SECTIONS.items():
            if source in by_label and target in by_label:
                merged = by_label[target]["models"] + by_label.pop(source)["models"]
                by_label[target]["models"] = sorted(merged, key=lambda model: model["name"])
        return [app for app in apps if app["app_label"] in by_label]


class VividlyAdminConfig(AdminConfig):
    default_site = "vividly.admin_site.VividlyAdminSite"


class HistoryAdminMixin:
    """A ModelAdmin of rows that record what happened: readable, never added, edited or deleted by hand.

    Actions that call a service (resend, retry, invalidate) stay: they write through the
    service, not through the row.
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
