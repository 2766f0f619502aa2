"""SendGrid's Event Webhook: anymail's tracking view, made to read each event on its own.

anymail parses a whole batch before it sends any signal, so one event it cannot read
(SendGrid's own docs print `"timestamp": "123456789"`) answers the batch 500, and SendGrid
posts it again, and fails again, for a day: every other event in it is lost. Here the
body is read once, each event is normalised and parsed alone, an event that cannot be read
is logged with its reason and counted, and the others are recorded.
"""

import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.db import DatabaseError, DataError, IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse

from vividly.api.error_bodies import error_response

logger = logging.getLogger("vividly.notifications")

# A signed post older (or newer) than this is refused: a captured post cannot be replayed later.
SIGNATURE_MAX_AGE_SECONDS = 300
# Above this a timestamp is in milliseconds: 1e11 seconds is the year 5138, 1e11 ms is 1973.
MILLISECONDS_ABOVE = 100_000_000_000
# datetime's range (year 1..9999) in Unix seconds, from the epoch on.
LATEST_TIMESTAMP = 253_402_300_799
# Fields SendGrid documents as numbers but prints as strings too ("attempt": "5").
NUMERIC_FIELDS = ("attempt", "asm_group_id", "tls")
# Fields anymail reads as text (lower-cases, joins, stores); a number there is turned into text.
TEXT_FIELDS = ("event", "email", "anymail_id", "smtp-id", "sg_event_id", "url", "type", "reason", "response")


class UnreadableEvent(ValueError):
    """One event of a batch cannot be read; the message says why."""


def read_batch(body: bytes) -> list[Any] | None:
    """Return the posted events, or None when the body is not a JSON list of events (or one event)."""
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if isinstance(parsed, dict):
        return [parsed]  # one event posted bare: readable, so not refused
    return parsed if isinstance(parsed, list) else None


def without_non_finite(value: Any) -> Any:
    """Return a copy of a JSON value without NaN and ±Infinity (JSON has no such numbers;
    Python's parser makes them from `NaN` and `1e400`, and PostgreSQL refuses them)."""
    if isinstance(value, dict):
        return {key: without_non_finite(item) for key, item in value.items() if not is_non_finite(item)}
    if isinstance(value, list):
        return [without_non_finite(item) for item in value if not is_non_finite(item)]
    return value


def is_non_finite(value: Any) -> bool:
    """Return True for NaN and ±Infinity."""
    return isinstance(value, float) and not math.isfinite(value)


def as_number(value: Any, field: str) -> int | float:
    """Return a JSON number or numeric string as a finite number, an integer when it is one."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnreadableEvent(f"{field} is not a number")
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        raise UnreadableEvent(f"{field} is not a number") from None
    if not math.isfinite(number):
        raise UnreadableEvent(f"{field} is not a finite number")
    return int(number) if float(number).is_integer() else number


def unix_seconds(value: Any) -> int | float:
    """Return a SendGrid timestamp (seconds or milliseconds, number or string) in seconds."""
    seconds = as_number(value, "timestamp")
    if seconds > MILLISECONDS_ABOVE:
        seconds /= 1000
        seconds = int(seconds) if float(seconds).is_integer() else seconds
    if not 0 <= seconds <= LATEST_TIMESTAMP:
        raise UnreadableEvent(f"timestamp {value!r} is out of range")
    return seconds


def normalised(raw: Any) -> dict[str, Any]:
    """Return one posted event in the shape anymail's parser reads, or raise UnreadableEvent."""
    if not isinstance(raw, dict):
        raise UnreadableEvent(f"an event is a JSON object, not {type(raw).__name__}")
    event = without_non_finite(raw)
    for field in TEXT_FIELDS:
        value = event.get(field)
        if value is None:
            event.pop(field, None)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            event[field] = str(value)
        elif not isinstance(value, str):
            raise UnreadableEvent(f"{field} is not text")
    if not event.get("event"):
        raise UnreadableEvent("the event has no type")
    # The docs print "Processed" as well as "processed"; anymail's table is lower case.
    event["event"] = event["event"].strip().lower()
    if "timestamp" in event:
        event["timestamp"] = unix_seconds(event["timestamp"])
    for field in NUMERIC_FIELDS:
        if isinstance(event.get(field), str):
            try:
                event[field] = as_number(event[field], field)
            except UnreadableEvent:
                pass  # informative only: kept as SendGrid sent it
    return event


class SendGridTrackingView(SendGridTrackingWebhookView):
    """anymail's SendGrid tracking view (its Basic auth and ECDSA signature checks), answering
    a refused post 401 and an unreadable body 400 in JSON, and reading each event alone."""

    clock: Callable[[], float] = staticmethod(time.time)

    def validate_request(self, request: HttpRequest) -> None:
        """Refuse a signed post whose signed timestamp is not within five minutes of now.

        anymail checks the signature over timestamp + body but not the timestamp's age, so a
        captured post could be replayed forever. (anymail runs every validate_request in the
        class chain: Basic auth and the signature are still checked by its own.)
        """
        if not self.webhook_verification_key:
            return
        signed_at = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
        try:
            age = self.clock() - int(signed_at)
        except ValueError:
            raise AnymailWebhookValidationFailure("SendGrid webhook timestamp is not a number") from None
        if abs(age) > SIGNATURE_MAX_AGE_SECONDS:
            raise AnymailWebhookValidationFailure(f"SendGrid webhook signed {int(age)} s ago, refused as a replay")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.run_validators(request)
        except AnymailWebhookValidationFailure as refusal:
            # An expected answer to a stranger, not an error of ours: one line, no traceback.
            logger.warning("SendGrid webhook post refused: %s", refusal)
            response = error_response(401, message="Missing or invalid webhook credentials or signature.")
            response["WWW-Authenticate"] = 'Basic realm="SendGrid Event Webhook"'
            return response
        batch = read_batch(request.body)
        if batch is None:
            logger.warning("SendGrid webhook body refused: not a JSON list of events (%d bytes)", len(request.body))
            return error_response(400, code="parse_error", message="The body is not a JSON list of events.")
        unreadable = 0
        for position, raw in enumerate(batch):
            try:
                self.dispatch_event(self.event_from(raw))
            except (UnreadableEvent, RecursionError) as reason:
                unreadable += 1
                logger.warning("SendGrid event %d of %d skipped, unreadable: %s", position + 1, len(batch), reason)
            except DatabaseError as error:
                if not isinstance(error, (DataError, IntegrityError)):
                    raise  # the database is down: the whole post fails, and SendGrid retries it
                unreadable += 1
                logger.warning("SendGrid event %d of %d skipped, not storable: %s", position + 1, len(batch), error)
        if unreadable:
            logger.warning("SendGrid webhook: %d of %d events unreadable", unreadable, len(batch))
        return JsonResponse({"events": len(batch), "unreadable": unreadable})

    def event_from(self, raw: Any) -> AnymailTrackingEvent:
        """Return anymail's tracking event for one posted event, or raise UnreadableEvent."""
        event = normalised(raw)
        try:
            return self.esp_to_anymail_event(event)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise UnreadableEvent(f"anymail cannot parse it ({type(error).__name__}: {error})") from None

    def dispatch_event(self, event: AnymailTrackingEvent) -> None:
        """Send one event to the tracking signal's receivers, as anymail's own post does."""
        self.signal.send(sender=self.__class__, event=event, esp_name=self.esp_name)
