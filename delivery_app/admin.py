"""Admin for requests and view sessions, and a per-video analytics page (drop-off chart, table per classroom)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from delivery_app import analytics
from delivery_app.models import ContentRequest, ViewSession
from vividly.errors import DomainError
from vividly.privacy.admin_access import AccessLoggedAdminMixin

CHART_WIDTH, CHART_HEIGHT = 420, 200


def analytics_link(cache_key: str) -> str:
    url = reverse("admin:delivery_app_video_analytics", args=[cache_key])
    return format_html('<a href="{}">analytics</a>', url)


@admin.register(ContentRequest)
class ContentRequestAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "topic_id", "interest", "style", "status", "error_code", "created_at", "ready_at", "video")
    list_filter = ("status", "created_at", "style")
    search_fields = ("user__username", "topic_id", "interest", "cache_key")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in ContentRequest._meta.fields]
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="video")
    def video(self, obj: ContentRequest) -> str:
        return analytics_link(obj.cache_key)


@admin.register(ViewSession)
class ViewSessionAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = (
        "user",
        "short_key",
        "quality",
        "device_type",
        "browser",
        "os",
        "started_at",
        "watched_seconds",
        "position_seconds",
        "completed",
        "video",
    )
    list_filter = ("device_type", "browser", "os", "completed", "quality", "started_at")
    search_fields = ("user__username", "cache_key")
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in ViewSession._meta.fields]
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="key")
    def short_key(self, obj: ViewSession) -> str:
        return f"{obj.cache_key[:12]}…"

    @admin.display(description="video")
    def video(self, obj: ViewSession) -> str:
        return analytics_link(obj.cache_key)

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
        context = {
            **self.admin_site.each_context(request),
            "title": f"Video {cache_key[:12]}… analytics",
            "opts": self.model._meta,
            "cache_key": cache_key,
            "numbers": numbers,
            "error": error,
            "chart": dropoff_chart(numbers["dropoff"]) if numbers else None,
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


def dropoff_chart(points: list[dict]) -> dict:
    """Return the SVG coordinates of the drop-off curve (share of views still watching)."""
    coordinates = [
        (40 + point["at"] * (CHART_WIDTH - 60), 10 + (1 - point["share"]) * (CHART_HEIGHT - 40)) for point in points
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "polyline": " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates),
        "dots": [
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "label": f"{round(point['share'] * 100)}% at {round(point['at'] * 100)}%",
            }
            for (x, y), point in zip(coordinates, points, strict=True)
        ],
        "base_y": CHART_HEIGHT - 30,
        "right_x": CHART_WIDTH - 20,
    }
