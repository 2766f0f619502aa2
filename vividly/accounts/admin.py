"""Admin for users, classrooms and service tokens (create shows the key once; revoke)."""

import json

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from vividly.accounts.models import Classroom, Enrollment, ServiceToken, User
from vividly.accounts.services import service_token_create, service_token_revoke
from vividly.privacy.access_log import access_log_record
from vividly.privacy.services import user_export


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_staff", "is_active", "date_joined")
    list_filter = ("role", "is_staff", "is_active")
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Vividly", {"fields": ("role",)}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Vividly", {"fields": ("role",)}))
    actions = ["export_data"]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        # Showing a user's page is a read of their data by staff: the access log records it.
        user = self.get_object(request, object_id) if request.method == "GET" else None
        if user is not None:
            access_log_record(actor=request.user, subject=user, action="admin:user")
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Export the selected users' data (JSON)")
    def export_data(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        exports = [user_export(username=user.username, actor=request.user) for user in queryset.order_by("username")]
        body = exports[0] if len(exports) == 1 else exports
        name = f"vividly-export-{exports[0]['user']['username']}" if len(exports) == 1 else "vividly-export"
        response = HttpResponse(json.dumps(body, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response


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


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ServiceToken | None = None) -> tuple:
        return (*self.readonly_fields, "name") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ServiceToken, form, change: bool) -> None:
        if change:
            return
        token, raw_key = service_token_create(name=obj.name)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
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
