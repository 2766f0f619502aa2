"""Admin: recipients' preferences (editable by staff), unsubscribes and complaints per address, and lifting them.

Lifting a suppression (a hard bounce, an unsubscribe, a complaint) is a decision someone
must answer for: the action asks why, and `SuppressionLift` records who, why and when.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from notifications_app.categories import is_optional
from notifications_app.models import ChannelSetting, OptOutReason, RecipientPreference, SuppressionLift
from notifications_app.preference_rules import quiet_hours_errors, timezone_errors
from notifications_app.preference_services import category_set, opt_out_lift, preferences_update, suppression_lift
from vividly.accounts.models import User
from vividly.privacy.admin_access import AccessLoggedAdminMixin


class LiftForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why this address may get these emails again.",
    )


def lift_with_reason(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, *, title: str, lift: Any
) -> HttpResponse | None:
    """Ask for the reason (an intermediate page), then call `lift(row, lifted_by=..., reason=...)` for each row."""
    form = LiftForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        lifted = sum(
            lift(row, lifted_by=request.user.get_username(), reason=form.cleaned_data["reason"]) is not None
            for row in queryset
        )
        modeladmin.message_user(
            request, f"{lifted} lifted; each is recorded with your name and reason.", messages.SUCCESS
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "rows": queryset,
        "action": request.POST.get("action"),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/notifications_app/lift.html", context)


@admin.action(description="Lift the suppression (send to this address again)…")
def lift_suppressions(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """The hard-bounce list's action: delete the suppression, recording who and why."""
    return lift_with_reason(
        modeladmin,
        request,
        queryset,
        title="Lift suppressions",
        lift=lambda row, **who: suppression_lift(suppression=row, **who),
    )


@admin.action(description="Lift the unsubscribe or complaint (turn the category back on)…")
def lift_opt_outs(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    return lift_with_reason(
        modeladmin,
        request,
        queryset.filter(enabled=False),
        title="Lift unsubscribes and complaints",
        lift=lambda row, **who: opt_out_lift(setting=row, **who),
    )


class PreferenceForm(forms.ModelForm):
    """Staff's edits go through the same rules as the API's."""

    class Meta:
        model = RecipientPreference
        fields = ("address", "user", "digest", "quiet_start", "quiet_end", "timezone")

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"]
        if errors := timezone_errors(value):
            raise forms.ValidationError(errors)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both ends of the quiet hours, or neither.")
        if start is not None and (errors := quiet_hours_errors(start, end)):
            raise forms.ValidationError(errors)
        return data


class ChannelSettingInline(admin.TabularInline):
    model = ChannelSetting
    extra = 0
    fields = ("category", "channel", "enabled", "reason", "changed_at", "event")
    readonly_fields = ("reason", "changed_at", "event")


@admin.register(RecipientPreference)
class RecipientPreferenceAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    form = PreferenceForm
    list_display = ("address", "user", "digest", "timezone", "quiet_start", "quiet_end", "complaints", "updated_at")
    list_filter = ("digest", "settings__reason")
    search_fields = ("address", "user__username", "user__email")
    readonly_fields = ("complaints", "last_complaint_at", "created_at", "updated_at")
    raw_id_fields = ("user",)
    inlines = (ChannelSettingInline,)

    def access_log_subjects(self, obj: RecipientPreference) -> QuerySet:
        return User.objects.filter(pk=obj.user_id) if obj.user_id else User.objects.filter(email__iexact=obj.address)

    def save_model(self, request: HttpRequest, obj: RecipientPreference, form: forms.ModelForm, change: bool) -> None:
        if obj.address:
            obj.address = obj.address.lower()
        quiet = (obj.quiet_start, obj.quiet_end) if obj.quiet_start is not None else None
        preferences_update(preference=obj, digest=obj.digest, quiet_hours=quiet, time_zone=obj.timezone)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        # Unsaved: the admin's change message reads what it found; the service writes the rows.
        formset.save(commit=False)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            data = inline_form.cleaned_data
            if data.get("DELETE") and data.get("id"):
                data["id"].delete()
                continue
            if not data["enabled"] and not is_optional(data["category"]):
                self.message_user(request, "Transactional emails are always sent; left on.", messages.WARNING)
                continue
            category_set(
                preference=form.instance,
                category=data["category"],
                channel=data["channel"],
                enabled=data["enabled"],
                reason=OptOutReason.PREFERENCE,
            )


@admin.register(ChannelSetting)
class ChannelSettingAdmin(admin.ModelAdmin):
    """Unsubscribes and complaints per address: what stopped, why, when, and the provider event that said so."""

    list_display = ("preference", "category", "channel", "enabled", "reason", "changed_at", "event")
    list_filter = ("reason", "enabled", "category", "channel")
    search_fields = ("preference__address", "preference__user__username")
    readonly_fields = ("preference", "category", "channel", "enabled", "reason", "changed_at", "event")
    actions = (lift_opt_outs,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SuppressionLift)
class SuppressionLiftAdmin(admin.ModelAdmin):
    list_display = ("address", "lifted", "category", "lifted_by", "lifted_at", "reason")
    list_filter = ("lifted",)
    search_fields = ("address", "lifted_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
