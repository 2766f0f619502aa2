"""Admin: notifications with their attempts and events, resend and requeue actions, a template preview.

Notifications, attempts and events are history: read only. Staff never see a secret or a
link that grants access (see `admin_display`). Suppressions are added through the same
service the webhook uses, so the address is stored the way sends look it up.
"""

import uuid
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from notifications_app.admin_display import context_for_staff_text
from notifications_app.admin_preferences import lift_suppressions
from notifications_app.models import (
    DeliveryAttempt,
    Notification,
    ProviderEvent,
    Suppression,
    SuppressionListReason,
    template_choices,
)
from notifications_app.registry import TEMPLATES
from notifications_app.rendering import render_email
from notifications_app.selectors import address_suppression
from notifications_app.services import Sender, notification_resend
from notifications_app.sweep import notification_requeue
from notifications_app.tracking import suppression_create
from vividly.accounts.models import User
from vividly.admin_site import HistoryAdminMixin
from vividly.errors import DomainError
from vividly.privacy.admin_access import AccessLoggedAdminMixin


def when(moment: Any) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ("number", "outcome", "http_status", "started_at", "duration_ms", "provider_message_id", "error")
    readonly_fields = fields


class ProviderEventInline(ReadOnlyInline):
    model = ProviderEvent
    fields = ("event_type", "occurred_at", "received_at", "recipient", "provider_event_id")
    readonly_fields = fields
    # In the order they happened; one without a time where it arrived (the same on every database).
    ordering = (Coalesce("occurred_at", "received_at").asc(), "id")


@admin.register(Notification)
class NotificationAdmin(HistoryAdminMixin, AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ("to", "template", "status", "requested_by", "created_at")
    list_filter = (
        "status",
        "template",
        "category",
        "suppression_reason",
        "priority",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("to", "template", "requested_by")
    date_hierarchy = "created_at"
    fields = (
        "id",
        "to",
        "template",
        "category",
        "status",
        "suppression_reason",
        "priority",
        "requested_by",
        "batch",
        "attempts",
        "created_at",
        "status_changed_at",
        "next_attempt_at",
        "scheduled_for",
        "hold",
        "digest",
        "sent_at",
        "delivered_at",
        "provider_message_id",
        "last_error",
        "context_shown",
    )
    readonly_fields = fields
    inlines = (DeliveryAttemptInline, ProviderEventInline)
    actions = ("resend", "requeue")
    change_list_template = "admin/notifications_app/notification/change_list.html"

    def access_log_subjects(self, obj: Notification) -> QuerySet:
        # An email is about the people whose address it went to.
        return User.objects.filter(email__iexact=obj.to)

    @admin.display(description="batch")
    def batch(self, obj: Notification) -> str:
        if obj.batch_id is None:
            return "not part of a batch"
        url = f"{reverse('admin:notifications_app_notification_changelist')}?batch_id__exact={obj.batch_id}"
        return format_html('<a href="{}" title="Every notification of this batch">{}</a>', url, obj.batch_id)

    @admin.display(description="context")
    def context_shown(self, obj: Notification) -> str:
        return format_html('<pre style="margin:0">{}</pre>', context_for_staff_text(obj.template, obj.context))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        """Find by address, template or requester, and by a notification's or a batch's id."""
        try:
            pasted = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(Q(pk=pasted) | Q(batch_id=pasted)), False

    def get_urls(self) -> list:
        preview = path("preview/", self.admin_site.admin_view(self.preview_view), name="notifications_preview")
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Render every template (subject, text and HTML) with its sample context."""
        labels = dict(template_choices())
        previews = [
            {"spec": spec, "label": labels[name], "email": render_email(name, spec.sample)}
            for name, spec in sorted(TEMPLATES.items())
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
        sent = 0
        for notification in queryset:
            suppression = address_suppression(notification.to)
            if suppression is not None:
                self.message_user(request, suppressed_message(notification, suppression), messages.WARNING)
                continue
            try:
                notification_resend(notification=notification, sender=Sender(requested_by=request.user.get_username()))
                sent += 1
            except DomainError as exc:
                self.message_user(request, f"{notification.to}: {exc.message} {exc.details or ''}", messages.ERROR)
        if sent:
            self.message_user(request, f"{sent} new notification(s) queued.", messages.SUCCESS)

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


def suppressed_message(notification: Notification, suppression: Suppression) -> str:
    """Say why a resend was refused and how to lift the suppression that refused it."""
    return format_html(
        "Not resent to {}: the address is suppressed ({}, since {}), so a copy would never be sent. "
        'If the address works again, delete <a href="{}">its suppression</a>, then resend.',
        notification.to,
        suppression.get_reason_display(),
        when(suppression.created_at),
        reverse("admin:notifications_app_suppression_change", args=[suppression.pk]),
    )


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Deleting a suppression lifts it (the next send goes out); adding one goes through the service."""

    list_display = ("address", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("address",)
    actions = (lift_suppressions,)
    fields = ("address", "reason", "detail", "notification", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Suppression | None = None) -> tuple:
        return self.fields if obj else ("notification", "created_at")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"reason": SuppressionListReason.MANUAL}

    def has_change_permission(self, request: HttpRequest, obj: Suppression | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Suppression, form: Any, change: bool) -> None:
        # The service stores the address in lower case, the form sends look it up in.
        saved = suppression_create(address=obj.address, reason=obj.reason, detail=obj.detail)
        obj.pk, obj.address, obj.created_at = saved.pk, saved.address, saved.created_at
