"""Request and response shape of a user's notification preferences.

DRF checks the shapes; each meaning is one rule of `notifications_app.preference_rules`,
called here, so the admin's form and this API refuse the same things with the same words.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications_app.categories import AVAILABLE_CHANNELS, OPTIONAL_CATEGORIES
from notifications_app.models import Digest, RecipientPreference
from notifications_app.preference_rules import (
    CLOCK_TIME,
    category_errors,
    channel_errors,
    clock_time,
    clock_time_errors,
    opt_out_errors,
    quiet_hours_errors,
    timezone_errors,
)
from notifications_app.preference_selectors import enabled_channels
from notifications_app.schedule import known_time_zones

CATEGORIES_SCHEMA = {
    "type": "object",
    "description": "Per category, per channel: on or off. Transactional emails cannot be turned off.",
    "properties": {
        # Plain strings: the schema is also written as YAML, which refuses enum members.
        str(category.value): {
            "type": "object",
            "properties": {str(channel.value): {"type": "boolean"} for channel in AVAILABLE_CHANNELS},
            "additionalProperties": False,
        }
        for category in OPTIONAL_CATEGORIES
    },
    "additionalProperties": False,
}


def rule_checked(errors: list[str]) -> None:
    """Raise DRF's ValidationError with a domain rule's messages, if it found any."""
    if errors:
        raise serializers.ValidationError(errors)


@extend_schema_field(CATEGORIES_SCHEMA)
class CategoriesField(serializers.DictField):
    """`{category: {channel: bool}}`, checked by the domain's rules (unknown names, a transactional opt-out)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.DictField(child=serializers.BooleanField()), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, dict[str, bool]]:
        value = super().to_internal_value(data)
        errors: list[str] = []
        for category, channels in value.items():
            if found := category_errors(category):
                errors += found
                continue
            for channel, enabled in channels.items():
                errors += channel_errors(channel) or opt_out_errors(category, enabled)
        rule_checked(errors)
        return value


class ClockTimeField(serializers.CharField):
    """A local time, `HH:MM`."""

    def to_internal_value(self, data: Any) -> Any:
        rule_checked(clock_time_errors(data))
        return clock_time(data)

    def to_representation(self, value: Any) -> str:
        return value.strftime("%H:%M")


@extend_schema_field({"type": "string", "enum": sorted(known_time_zones())})
class TimeZoneField(serializers.CharField):
    """An IANA time zone name this machine knows."""


class QuietHoursSerializer(serializers.Serializer):
    start = ClockTimeField(help_text="Local time, HH:MM; inside the quiet hours.")
    end = ClockTimeField(help_text="Local time, HH:MM; when they end (may be the next day: 22:00 to 07:00).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A partial PATCH makes DRF skip `required` in nested serializers too; quiet hours are
        # replaced whole, so both ends are required whatever the method.
        if missing := {name: ["This field is required."] for name in ("start", "end") if name not in attrs}:
            raise serializers.ValidationError(missing)
        rule_checked(quiet_hours_errors(attrs["start"], attrs["end"]))
        return attrs


CLOCK_TIME_SCHEMA = {"type": "string", "pattern": f"^{CLOCK_TIME.pattern}$"}


# Inline, not a nullable `allOf` of a component: in OpenAPI 3.0 that reads as "an object",
# and null (how quiet hours are turned off) would not validate against the schema.
@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {"start": CLOCK_TIME_SCHEMA, "end": CLOCK_TIME_SCHEMA},
        "required": ["start", "end"],
    }
)
class QuietHoursField(serializers.Field):
    """`{"start": "HH:MM", "end": "HH:MM"}` or null, checked by QuietHoursSerializer."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        serializer = QuietHoursSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def to_representation(self, value: Any) -> Any:
        return QuietHoursSerializer(value).data


class NotificationPreferencesSerializer(serializers.Serializer):
    """What a user receives and when; on PATCH every field is optional (a partial change)."""

    categories = CategoriesField(required=False)
    digest = serializers.ChoiceField(
        choices=Digest.choices, required=False, help_text="`daily`: content_ready emails come as one digest a day."
    )
    quiet_hours = QuietHoursField(
        required=False, allow_null=True, help_text="Non-transactional emails due inside wait for the end; null: none."
    )
    timezone = TimeZoneField(required=False, help_text="IANA name, e.g. 'Europe/Paris'.")

    def validate_timezone(self, value: str) -> str:
        rule_checked(timezone_errors(value))
        return value

    def to_representation(self, preference: RecipientPreference) -> dict[str, Any]:
        quiet = None
        if preference.quiet_start is not None and preference.quiet_end is not None:
            quiet = {"start": preference.quiet_start.strftime("%H:%M"), "end": preference.quiet_end.strftime("%H:%M")}
        return {
            "categories": {category: enabled_channels(preference, category) for category in OPTIONAL_CATEGORIES},
            "digest": preference.digest,
            "quiet_hours": quiet,
            "timezone": preference.timezone,
        }

    def update_arguments(self) -> dict[str, Any]:
        """Return the validated change as the keyword arguments of `preferences_update`."""
        data = self.validated_data
        arguments: dict[str, Any] = {}
        if "categories" in data:
            arguments["categories"] = data["categories"]
        if "digest" in data:
            arguments["digest"] = data["digest"]
        if "quiet_hours" in data:
            quiet = data["quiet_hours"]
            arguments["quiet_hours"] = (quiet["start"], quiet["end"]) if quiet else None
        if "timezone" in data:
            arguments["time_zone"] = data["timezone"]
        return arguments
