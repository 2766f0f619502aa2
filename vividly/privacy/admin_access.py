"""Admin pages that show a person's data note who looked, in the privacy access log."""

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse

from vividly.privacy.access_log import access_log_record


class AccessLoggedAdminMixin:
    """A ModelAdmin whose change page, opened by staff, records a read of each person the row is about.

    Subclasses say who that is with `access_log_subjects(obj)`; the entry's action is
    `admin:<model name>`. Saving the form is not a second read (only GETs are recorded).
    """

    def access_log_subjects(self, obj: Any) -> Iterable[Any]:
        return [obj.user]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
            if obj is not None:
                action = f"admin:{self.model._meta.model_name}"  # type: ignore[attr-defined]
                for subject in self.access_log_subjects(obj):
                    if subject.pk != request.user.pk:
                        access_log_record(actor=request.user, subject=subject, action=action)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
