"""Admin for requests and view sessions (history: read only), and a per-video analytics page.

Videos are shown by their title, read from the cache's index through `cache_app.selectors`
(one query per page), with the key beside it; searching by title finds them too.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from cache_app import selectors as cache_selectors
from delivery_app import analytics
from delivery_app.admin_chart import dropoff_chart
from delivery_app.models import ContentRequest, DeviceType, ViewSession
from vividly.admin_site import HistoryAdminMixin
from vividly.errors import DomainError
from vividly.privacy.admin_access import AccessLoggedAdminMixin

UNTITLED = "(no longer cached)"


def video_title(cache_key: str) -> str:
    return cache_selectors.cache_entry_title(cache_key=cache_key) or UNTITLED


class TitledChangeList(ChangeList):
    """A changelist whose rows carry their video's title (`video_title`), read in one query."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        rows = list(self.result_list)
        titles = cache_selectors.cache_entry_titles(cache_keys=[row.cache_key for row in rows])
        for row in rows:
            row.video_title = titles.get(row.cache_key, UNTITLED)
        self.result_list = rows


class VideoAdminMixin:
    """Rows about one video (`cache_key`): a title column linking to its analytics, title search."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TitledChangeList

    @admin.display(description="video")
    def video(self, obj: Any) -> str:
        title = getattr(obj, "video_title", None) or video_title(obj.cache_key)
        url = reverse("admin:delivery_app_video_analytics", args=[obj.cache_key])
        return format_html(
            '<a href="{}" title="Analytics of this video">{}</a><br><small class="quiet">{}…</small>',
            url,
            title,
            obj.cache_key[:12],
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        # The heading names the video by its title, not by the first characters of its key.
        subtitle = {"subtitle": f"{obj.user}: {video_title(obj.cache_key)}"} if obj is not None else {}
        return super().change_view(request, object_id, form_url, {**subtitle, **(extra_context or {})})  # type: ignore[misc]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        titled = cache_selectors.cache_keys_titled(text=search_term)
        if titled:
            found = found | queryset.filter(cache_key__in=titled)
        return found, may_have_duplicates


@admin.register(ContentRequest)
class ContentRequestAdmin(HistoryAdminMixin, VideoAdminMixin, AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "video", "status", "created_at", "ready_at")
    list_filter = ("status", "created_at", "style")
    search_fields = ("user__username", "topic_id", "interest", "=cache_key")
    date_hierarchy = "created_at"
    readonly_fields = ("video", *[field.name for field in ContentRequest._meta.fields])
    list_select_related = ("user",)


@admin.register(ViewSession)
class ViewSessionAdmin(HistoryAdminMixin, VideoAdminMixin, AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "video", "device_type", "started_at", "watched", "completed")
    list_filter = ("device_type", "completed", "quality", "started_at", "browser", "os")
    search_fields = ("user__username", "=cache_key")
    date_hierarchy = "started_at"
    readonly_fields = ("video", *[field.name for field in ViewSession._meta.fields])
    list_select_related = ("user",)

    @admin.display(description="watched", ordering="watched_seconds")
    def watched(self, obj: ViewSession) -> str:
        return f"{obj.watched_seconds:.0f} s of {obj.duration_seconds:.0f} s"

    def get_urls(self) -> list:
        return [
            path(
                "analytics/<str:cache_key>/",
                self.admin_site.admin_view(self.analytics_view),
                name="delivery_app_video_analytics",
            ),
            *super().get_urls(),
        ]

    def analytics_view(self, request: HttpRequest, cache_key: str) -> HttpResponse:
        try:
            numbers, error = analytics.video_analytics(user=request.user, cache_key=cache_key), None
            classrooms = analytics.video_classrooms(user=request.user, cache_key=cache_key)
        except DomainError as exc:
            numbers, classrooms, error = None, [], exc.message
        title = cache_selectors.cache_entry_title(cache_key=cache_key)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title or 'Video ' + cache_key[:12] + '…'}: analytics",
            "video_title": title,
            "opts": self.model._meta,
            "cache_key": cache_key,
            "numbers": numbers,
            "error": error,
            "chart": dropoff_chart(numbers["dropoff"], views=numbers["views"]) if numbers else None,
            "devices": device_labels(numbers["devices"]) if numbers else {},
            "completion_percent": percent(numbers["completion_rate"]) if numbers else None,
            "verified_completion_percent": percent(numbers["verified_completion_rate"]) if numbers else None,
            "classrooms": [
                {
                    **row,
                    "completion_percent": percent(row["completion_rate"]),
                    "verified_completion_percent": percent(row["verified_completion_rate"]),
                }
                for row in classrooms
            ],
        }
        return TemplateResponse(request, "admin/delivery_app/analytics.html", context)


def percent(rate: float) -> float:
    return round(100 * rate, 1)


def device_labels(counts: dict[str, int]) -> dict[str, int]:
    """Return the device counts under the devices' names (Desktop, not `desktop`)."""
    labels = dict(DeviceType.choices)
    return {str(labels.get(name, name)): count for name, count in counts.items()}
