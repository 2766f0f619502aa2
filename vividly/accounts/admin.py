"""Admin for users, classrooms, user tokens (no keys: knox keeps digests) and service tokens (key shown once)."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from knox.models import AuthToken

from vividly.accounts.models import Classroom, Enrollment, Scope, ServiceToken, User
from vividly.accounts.services import service_token_create, service_token_revoke
from vividly.privacy.admin_access import AccessLoggedAdminMixin
from vividly.privacy.services import user_export

# Only a superuser may hand out privileges: a staff user editing users cannot make anyone
# (themselves included) a superuser or give them groups or permissions.
PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(AccessLoggedAdminMixin, DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_staff", "is_active", "date_joined")
    list_filter = ("role", "is_staff", "is_active")
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Vividly", {"fields": ("role", "display_name")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Vividly", {"fields": ("role", "display_name")}))
    actions = ["export_data"]

    def access_log_subjects(self, obj: User) -> list[User]:
        return [obj]

    @admin.action(description="Export the selected users' data (JSON)")
    def export_data(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        exports = [user_export(username=user.username, actor=request.user) for user in queryset.order_by("username")]
        body = exports[0] if len(exports) == 1 else exports
        name = f"vividly-export-{exports[0]['user']['username']}" if len(exports) == 1 else "vividly-export"
        response = HttpResponse(json.dumps(body, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, *PRIVILEGE_FIELDS, "is_staff")


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    autocomplete_fields = ("student",)


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "teacher", "created_at")
    search_fields = ("name", "teacher__username")
    autocomplete_fields = ("teacher",)
    inlines = [EnrollmentInline]


# knox registers an admin listing digests and offering to mint tokens; ours shows who holds
# a token until when, and deleting one logs it out (in every process within a second).
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class UserTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created", "expiry")
    list_filter = ("expiry",)
    search_fields = ("user__username",)
    fields = ("user", "created", "expiry")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuthToken | None = None) -> bool:
        return False


class ServiceTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=list(Scope.values)
    )

    class Meta:
        model = ServiceToken
        fields = ("name", "scopes", "expires_at", "send_quota")


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    form = ServiceTokenForm
    list_display = ("name", "prefix", "active", "scope_list", "expires_at", "send_quota", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), ("expires_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "scopes", "expires_at", "send_quota", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    @admin.display(description="active", boolean=True)
    def active(self, obj: ServiceToken) -> bool:
        return obj.is_active  # neither revoked nor expired

    @admin.display(description="scopes")
    def scope_list(self, obj: ServiceToken) -> str:
        return ", ".join(obj.scopes)

    def get_readonly_fields(self, request: HttpRequest, obj: ServiceToken | None = None) -> tuple:
        # A token's grant is fixed at creation: widening it would need a new key anyway.
        return (*self.readonly_fields, "name", "scopes", "expires_at", "send_quota") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ServiceToken, form, change: bool) -> None:
        if change:
            return
        token, raw_key = service_token_create(
            name=obj.name,
            scopes=form.cleaned_data["scopes"],
            expires_at=obj.expires_at,
            send_quota=obj.send_quota,
        )
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        obj.scopes, obj.expires_at = token.scopes, token.expires_at
        self.message_user(
            request,
            f"Service token {token.name!r} created. Copy its key now, it is not shown again: {raw_key}",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected service tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        for token in queryset:
            service_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")
