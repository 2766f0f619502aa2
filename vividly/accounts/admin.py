"""Admin for users, classrooms, user tokens (no keys: knox keeps digests) and service tokens (key shown once).

Deletes go through the services that do the whole job: deleting a user is the privacy
erasure (every app's rows about them, logged), deleting a user token logs it out, and a
service token is revoked, never deleted (its name stays on what it sent).
"""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from knox.models import AuthToken

from vividly.accounts.models import Classroom, Enrollment, Role, Scope, ServiceToken, User
from vividly.accounts.services import service_token_create, service_token_revoke, staff_group_sync, user_token_delete
from vividly.privacy.admin_access import AccessLoggedAdminMixin
from vividly.privacy.services import user_erase, user_export

# Only a superuser may hand out privileges: a staff user editing users cannot make anyone
# (themselves included) a superuser or give them groups or permissions, nor the admin role
# (which the API treats as staff).
PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions", "role")


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
        if request.user.is_superuser or obj is None:
            return readonly
        return (*readonly, *PRIVILEGE_FIELDS, "is_staff")

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [(value, label) for value, label in Role.choices if value != Role.ADMIN]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # The admin role is staff with the staff group, as `user_create` makes it.
        if obj.role == Role.ADMIN and request.user.is_superuser:
            obj.is_staff = True
        super().save_model(request, obj, form, change)
        if obj.role == Role.ADMIN and obj.is_staff:
            obj.groups.add(staff_group_sync())

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_erase(username=obj.username, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for username in queryset.values_list("username", flat=True):
            user_erase(username=username, actor=request.user)


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

    def delete_model(self, request: HttpRequest, obj: AuthToken) -> None:
        user_token_delete(token=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for token in queryset:
            user_token_delete(token=token)


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

    def has_delete_permission(self, request: HttpRequest, obj: ServiceToken | None = None) -> bool:
        return False  # revoke instead: the row names who sent what

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
