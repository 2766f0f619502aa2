"""Admin: notifications with their attempts and events, resend and requeue actions, a template preview."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from notifications_app.admin_preferences import lift_suppressions
from notifications_app.models import DeliveryAttempt, Notification, ProviderEvent, Suppression
from notifications_app.registry import TEMPLATES
from notifications_app.rendering import render_email
from notifications_app.services import Sender, notification_resend
from notifications_app.sweep import notification_requeue
from vividly.accounts.models import User
from vividly.errors import DomainError
from vividly.privacy.admin_access import AccessLoggedAdminMixin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ("number", "outcome", "http_status", "started_at", "duration_ms", "provider_message_id", "error")
    readonly_fields = fields


class ProviderEventInline(ReadOnlyInline):
    model = ProviderEvent
    fields = ("event_type", "occurred_at", "received_at", "recipient", "provider_event_id")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = (
        "to",
        "template",
        "category",
        "priority",
        "status",
        "suppression_reason",
        "attempts",
        "requested_by",
        "created_at",
        "sent_at",
        "delivered_at",
    )
    list_filter = (
        "status",
        "template",
        "category",
        "suppression_reason",
        "priority",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("to", "requested_by")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Notification._meta.fields]
    inlines = (DeliveryAttemptInline, ProviderEventInline)
    actions = ("resend", "requeue")
    change_list_template = "admin/notifications_app/notification/change_list.html"

    def access_log_subjects(self, obj: Notification) -> QuerySet:
        # An email is about the people whose address it went to.
        return User.objects.filter(email__iexact=obj.to)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # emails are sent through the API, which validates them

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        preview = path("preview/", self.admin_site.admin_view(self.preview_view), name="notifications_preview")
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Render every template (subject, text and HTML) with its sample context."""
        previews = [
            {"spec": spec, "email": render_email(name, spec.sample)} for name, spec in sorted(TEMPLATES.items())
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Email templates",
            "previews": previews,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/notifications_app/preview.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra = {**(extra_context or {}), "preview_url": reverse("admin:notifications_preview")}
        return super().changelist_view(request, extra_context=extra)

    @admin.action(description="Resend as a new notification")
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        sent, refused = 0, []
        for notification in queryset:
            try:
                notification_resend(notification=notification, sender=Sender(requested_by=request.user.get_username()))
                sent += 1
            except DomainError as exc:
                refused.append(f"{notification.to}: {exc.message} {exc.details or ''}")
        if sent:
            self.message_user(request, f"{sent} new notification(s) queued.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Requeue (queued, or sending with no worker left)")
    def requeue(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        done = sum(notification_requeue(notification=notification) for notification in queryset)
        skipped = queryset.count() - done
        self.message_user(request, f"{done} notification(s) put back on their queue.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: only queued rows, or sending rows whose worker is gone, can be requeued. "
                "Use resend for finished ones.",
                messages.WARNING,
            )


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("address", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("address",)
    readonly_fields = ("notification", "created_at")
    actions = (lift_suppressions,)
