"""`?from=&to=&classroom=` of a video's analytics: the one place they become a typed ViewFilter."""

from typing import Any

from rest_framework import serializers

from delivery_app.analytics import ViewFilter
from delivery_app.classrooms import LARGEST_ID


class AnalyticsQuerySerializer(serializers.Serializer):
    """Whole days in UTC, both included; a classroom the caller may not read is a 404 (in the selector)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword, so the fields cannot be declared as class attributes.
        return {
            "from": serializers.DateField(
                required=False, help_text="The first day (ISO date, UTC) whose views count; default: no bound."
            ),
            "to": serializers.DateField(
                required=False, help_text="The last day (ISO date, UTC, included); default: no bound."
            ),
            "classroom": serializers.IntegerField(
                required=False,
                min_value=1,
                max_value=LARGEST_ID,
                help_text="Only the views of this classroom's students (a classroom the caller may read).",
            ),
        }

    def validate(self, attrs: dict[str, Any]) -> ViewFilter:  # type: ignore[override]
        first_day, last_day = attrs.get("from"), attrs.get("to")
        if first_day is not None and last_day is not None and first_day > last_day:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        return ViewFilter(first_day=first_day, last_day=last_day, classroom_id=attrs.get("classroom"))
