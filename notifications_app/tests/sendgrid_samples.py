"""SendGrid's published Event Webhook samples, one per event type, as its reference prints them.

Source: the "Event Webhook Reference" (docs.sendgrid.com/for-developers/tracking-events/event,
now twilio.com/docs/sendgrid/for-developers/tracking-events/event), whose example response
lists one event of each type: processed to group_resubscribe below are that text. Two were
not in the copy we could read, and are written from the same page's field tables: `blocked`
(an event `bounce` with `"type": "blocked"`) and `account_status_change` (no email, an
account-level `type`). `processed_string_time` is the issue's example of the docs printing a
timestamp as a string.

SendGrid merges a message's custom arguments into each of its events; `for_notification`
adds ours, which is how an event finds its notification.
"""

import json
from typing import Any

SAMPLE_RECIPIENT = "example@test.com"

PUBLISHED = json.loads(
    """
[
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "processed", "category": "cat facts", "sg_event_id": "sg_event_id", "sg_message_id": "sg_message_id"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "deferred", "ip": "168.1.1.1", "category": "cat facts", "sg_event_id": "sg_event_id",
   "sg_message_id": "sg_message_id", "response": "400 try again later", "attempt": "5"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "delivered", "ip": "168.1.1.1", "category": "cat facts", "sg_event_id": "sg_event_id",
   "sg_message_id": "sg_message_id", "response": "250 OK"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "open", "sg_machine_open": false, "category": "cat facts", "sg_event_id": "sg_event_id",
   "sg_message_id": "sg_message_id",
   "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)",
   "ip": "255.255.255.255"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "click", "category": "cat facts", "sg_event_id": "sg_event_id", "sg_message_id": "sg_message_id",
   "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)",
   "ip": "255.255.255.255", "url": "http://www.sendgrid.com/"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "bounce_classification": "invalid", "event": "bounce", "ip": "168.1.1.1", "category": "cat facts",
   "sg_event_id": "sg_event_id", "sg_message_id": "sg_message_id", "reason": "500 unknown recipient",
   "status": "5.0.0"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "bounce_classification": "technical", "event": "bounce", "ip": "168.1.1.1", "category": "cat facts",
   "sg_event_id": "sg_event_id", "sg_message_id": "sg_message_id", "reason": "500 unknown recipient",
   "status": "5.0.0", "type": "blocked"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "dropped", "category": "cat facts", "sg_event_id": "sg_event_id", "sg_message_id": "sg_message_id",
   "reason": "Bounced Address", "status": "5.0.0"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "spamreport", "sg_event_id": "sg_event_id", "sg_message_id": "sg_message_id"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "unsubscribe", "category": "cat facts", "sg_event_id": "sg_event_id", "sg_message_id": "sg_message_id"},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "group_unsubscribe", "category": "cat facts", "sg_event_id": "sg_event_id",
   "sg_message_id": "sg_message_id",
   "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)",
   "ip": "255.255.255.255", "url": "http://www.sendgrid.com/", "asm_group_id": 10},
  {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
   "event": "group_resubscribe", "category": "cat facts", "sg_event_id": "sg_event_id",
   "sg_message_id": "sg_message_id",
   "useragent": "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)",
   "ip": "000.000.000.000", "url": "http://www.sendgrid.com/", "asm_group_id": 10},
  {"event": "account_status_change", "sg_event_id": "sg_event_id", "timestamp": 1513299569,
   "type": "compliance_suspend"},
  {"event": "Processed", "timestamp": "123456789", "email": "example@test.com"}
]
"""
)
NAMES = [
    "processed",
    "deferred",
    "delivered",
    "open",
    "click",
    "bounce",
    "blocked",
    "dropped",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
    "account_status_change",
    "processed_string_time",
]
SAMPLES: dict[str, dict[str, Any]] = dict(zip(NAMES, PUBLISHED, strict=True))
# Each sample's normalised type, as the status endpoint lists it (account_status_change
# concerns the account, not an email: it belongs to no notification).
RECORDED_TYPE = {
    "processed": "queued",
    "deferred": "deferred",
    "delivered": "delivered",
    "open": "opened",
    "click": "clicked",
    "bounce": "bounced",
    "blocked": "bounced",
    "dropped": "rejected",
    "spamreport": "complained",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
    "group_resubscribe": "subscribed",
    "processed_string_time": "queued",
}


def for_notification(name: str, notification_id: str) -> dict[str, Any]:
    """Return sample `name` as SendGrid posts it about our email: with our custom argument."""
    sample = dict(SAMPLES[name])
    if name != "account_status_change":
        sample["notification_id"] = notification_id
    return sample
