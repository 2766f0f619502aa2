"""Admin for the cache index: search, filters, the invalidate action, a live statistics page."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from cache_app import selectors, services
from cache_app.models import CacheEntry
from vividly.errors import DomainError


@admin.register(CacheEntry)
class CacheEntryAdmin(admin.ModelAdmin):
    list_display = ("title", "topic_id", "interest", "style", "stored_at", "stored_by", "store_count", "short_key")
    list_filter = ("style", "stored_at", "interest")
    search_fields = ("topic_id", "interest", "style", "title", "cache_key", "stored_by")
    readonly_fields = [field.name for field in CacheEntry._meta.fields]
    date_hierarchy = "stored_at"
    actions = ["invalidate"]
    change_list_template = "admin/cache_app/cacheentry/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entries are stored through the API, which writes both tiers

    @admin.display(description="key")
    def short_key(self, entry: CacheEntry) -> str:
        return f"{entry.cache_key[:12]}…"

    @admin.action(description="Invalidate (remove from both tiers)")
    def invalidate(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            removed = services.cache_entries_invalidate(cache_keys=list(queryset.values_list("pk", flat=True)))
        except DomainError as exc:
            self.message_user(request, f"Nothing more was invalidated: {exc.message}", messages.ERROR)
            return
        self.message_user(request, f"Invalidated {len(removed)} entr{'y' if len(removed) == 1 else 'ies'}.")

    def get_urls(self) -> list:
        return [
            path("statistics/", self.admin_site.admin_view(self.statistics_view), name="cache_app_statistics"),
            *super().get_urls(),
        ]

    def statistics_view(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and "reset" in request.POST:
            services.cache_stats_reset()
            self.message_user(request, "Statistics reset.")
        try:
            stats, error = selectors.cache_stats(), None
        except DomainError as exc:
            stats, error = None, exc.message
        context = {
            **self.admin_site.each_context(request),
            "title": "Content cache statistics",
            "opts": self.model._meta,
            "stats": stats,
            "error": error,
        }
        return TemplateResponse(request, "admin/cache_app/statistics.html", context)
