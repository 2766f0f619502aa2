"""Admin for the cache index: search, filters, invalidation (the only way to delete), a live statistics page.

The index row mirrors content held in both tiers: removing it alone would leave the entry
served as a hit and out of reach of invalidation. Every delete here goes through
`services.cache_entries_invalidate`, which removes both tiers, the row, the popularity and
the remembered signed URLs (through `content_invalidated`), and counts it.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from cache_app import selectors, services
from cache_app.models import CacheEntry
from vividly.errors import DomainError


@admin.register(CacheEntry)
class CacheEntryAdmin(admin.ModelAdmin):
    # What a person scans for; interest, who stored it and how often are on the entry's page.
    list_display = ("title", "topic_id", "style", "stored_at", "short_key")
    list_filter = ("style", "stored_at")
    search_fields = ("title", "topic_id", "interest", "style", "=cache_key", "stored_by")
    readonly_fields = [field.name for field in CacheEntry._meta.fields]
    date_hierarchy = "stored_at"
    actions = ["invalidate"]
    change_list_template = "admin/cache_app/cacheentry/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entries are stored through the API, which writes both tiers

    def has_change_permission(self, request: HttpRequest, obj: CacheEntry | None = None) -> bool:
        return False  # a row edited here would disagree with the document in the tiers

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # "Invalidate" is the bulk delete: same service, and it says what it removed.
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="key")
    def short_key(self, entry: CacheEntry) -> str:
        return f"{entry.cache_key[:12]}…"

    @admin.action(description="Invalidate: delete from both tiers")
    def invalidate(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            removed = services.cache_entries_invalidate(cache_keys=list(queryset.values_list("pk", flat=True)))
        except DomainError as exc:
            self.message_user(request, f"Nothing more was invalidated: {exc.message}", messages.ERROR)
            return
        self.message_user(request, f"Invalidated {len(removed)} entr{'y' if len(removed) == 1 else 'ies'}.")

    def delete_model(self, request: HttpRequest, obj: CacheEntry) -> None:
        services.cache_entries_invalidate(cache_keys=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        services.cache_entries_invalidate(cache_keys=list(queryset.values_list("pk", flat=True)))

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:  # a tier is down: nothing of this entry was removed
            self.message_user(request, f"Nothing was deleted: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:cache_app_cacheentry_change", args=[object_id]))

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: str) -> HttpResponse:
        response = super().response_delete(request, obj_display, obj_id)
        # Back to the list (Django goes to the index when the rows cannot be changed).
        if response.status_code == 302:
            return HttpResponseRedirect(reverse("admin:cache_app_cacheentry_changelist"))
        return response

    def get_urls(self) -> list:
        return [
            path("statistics/", self.admin_site.admin_view(self.statistics_view), name="cache_app_statistics"),
            path(
                "statistics/reset/",
                self.admin_site.admin_view(self.statistics_reset_view),
                name="cache_app_statistics_reset",
            ),
            *super().get_urls(),
        ]

    def statistics_view(self, request: HttpRequest) -> HttpResponse:
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

    def statistics_reset_view(self, request: HttpRequest) -> HttpResponse:
        """Ask first (GET), reset on the confirmation's POST: the counters are every process's."""
        if request.method == "POST":
            try:
                services.cache_stats_reset()
                self.message_user(request, "Statistics reset.", messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"Nothing was reset: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:cache_app_statistics"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Reset the cache statistics?",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/cache_app/statistics_reset.html", context)
