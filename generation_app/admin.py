"""Admin for the generation queue: filters by status and age, retry and cancel, the queue's health on top."""

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.timesince import timesince

from generation_app import selectors, services
from generation_app.models import GenerationJob
from vividly.admin_site import HistoryAdminMixin
from vividly.errors import DomainError


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"
    BOUNDS = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7)}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1h", "Older than an hour"), ("1d", "Older than a day"), ("7d", "Older than a week")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        bound = self.BOUNDS.get(self.value() or "")
        return queryset.filter(created_at__lte=timezone.now() - bound) if bound else queryset


@admin.register(GenerationJob)
class GenerationJobAdmin(HistoryAdminMixin, admin.ModelAdmin):
    """Jobs change through the generation services only (retry, cancel, the generator's calls):
    an edited status or a deleted row would strand the requests waiting on it."""

    list_display = (
        "short_key",
        "topic_id",
        "status",
        "demand",
        "attempts",
        "created_at",
        "lease_holder",
        "lease_expires_at",
        "last_error",
    )
    list_filter = ("status", AgeFilter)
    search_fields = ("cache_key", "topic_id", "lease_holder")
    readonly_fields = [field.name for field in GenerationJob._meta.fields if field.name != "lease_token"]
    exclude = ("lease_token",)  # a live token would let its reader act as the generator
    ordering = ("-created_at",)
    actions = ["retry", "cancel"]
    change_list_template = "admin/generation_app/generationjob/change_list.html"

    @admin.display(description="key")
    def short_key(self, job: GenerationJob) -> str:
        return f"{job.cache_key[:12]}…"

    @admin.action(description="Retry (queue a failed or cancelled job again)")
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply(request, queryset, services.generation_job_retry, "Queued again")

    @admin.action(description="Cancel (close an open job)")
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply(request, queryset, services.generation_job_cancel, "Cancelled")

    def apply(self, request: HttpRequest, queryset: QuerySet, action: Any, verb: str) -> None:
        done = 0
        for job_id in queryset.values_list("pk", flat=True):
            try:
                action(job_id=job_id)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"Job {job_id}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{verb}: {done} job{'' if done == 1 else 's'}.")

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        health = selectors.generation_queue_health()
        age = health.oldest_queued_age
        context = {
            "queue_health": {
                "oldest_queued_age": age,
                "oldest_queued_age_text": timesince(timezone.now() - age) if age is not None else "",
                "expired_leases": health.expired_leases,
            },
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)
