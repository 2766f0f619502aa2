"""Group a batch's emails into one provider call: one message, a personalization per recipient.

SendGrid takes up to 1,000 personalizations per `mail/send` call, and anymail sends a message
with several `to` and a `merge_data` per recipient as ONE call (legacy substitutions, since we
send our own content, no SendGrid template). Our bodies are per-recipient Jinja renders, so a
group is rendered once with a token in place of each value that differs between its members
(one token for the text parts, another for HTML, since escaping differs), and each member is
checked: substituting its own values into the group's render must give back exactly its own
subject, text and HTML. A member that does not (a filter changed the value, a branch depends
on it, a greeting left empty) is sent on its own, as is one whose substitutions would pass
SendGrid's 10,000 bytes per personalization.

Only anymail's backends send `merge_data` as one message per recipient; the local `.eml`
backend (`make run`) would write one file to every member with the tokens left in, so with
any other backend nothing is grouped.

Each member keeps its notification row, its status and its own anymail_id
(`anymail_status.recipients[address].message_id`), its List-Unsubscribe headers
(`merge_headers`) and its `notification_id` custom argument (`merge_metadata`).
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from anymail.backends.base import AnymailBaseBackend
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from markupsafe import escape

from notifications_app.models import Notification
from notifications_app.provider import mail_connection, tracking_allowed, unsubscribe_headers, unsubscribe_link
from notifications_app.rendering import RenderedEmail, render_email

# SendGrid's limits: personalizations per call, and bytes of substitutions per personalization.
MAX_GROUP = 1000
MAX_SUBSTITUTION_BYTES = 10_000
UNSUBSCRIBE_KEY = "unsubscribe_url"


@dataclass
class Member:
    notification: Notification
    link: str | None
    substitutions: dict[str, str]


@dataclass
class Group:
    """Emails sent as one provider call: the shared render (with tokens) and each member's values."""

    rendered: RenderedEmail
    track: bool
    members: list[Member] = field(default_factory=list)

    @property
    def notifications(self) -> list[Notification]:
        return [member.notification for member in self.members]


def substituted(text: str, substitutions: dict[str, str]) -> str:
    """Return `text` with each token replaced by its value, as SendGrid applies substitutions."""
    for token, value in substitutions.items():
        text = text.replace(token, value)
    return text


def substitution_bytes(substitutions: dict[str, str]) -> int:
    return sum(len(token.encode()) + len(value.encode()) for token, value in substitutions.items())


def groups_of(rows: list[Notification]) -> tuple[list[Group], list[Notification]]:
    """Split claimed rows into groups for one call each, and the rows sent alone (in their order).

    Rows of one template (and tracking setting) are grouped, whatever request they came
    from; with `EMAIL_GROUP_SINGLE_SENDS` off, only the rows of one batch are, and a single
    send is always its own call.
    """
    if not isinstance(mail_connection(), AnymailBaseBackend):
        return [], rows
    candidates: dict[tuple, list[Notification]] = defaultdict(list)
    alone: list[Notification] = []
    singles_grouped = settings.EMAIL_GROUP_SINGLE_SENDS
    for row in rows:
        if row.batch_id is None and not singles_grouped:
            alone.append(row)
        else:
            request = None if singles_grouped else row.batch_id
            candidates[(request, row.template, tracking_allowed(row.to))].append(row)
    groups: list[Group] = []
    for (_, template, track), members in candidates.items():
        while members:
            chunk, members = members[:MAX_GROUP], members[MAX_GROUP:]
            group, left = group_of(chunk, template=template, track=track)
            alone += left
            if group is not None:
                groups.append(group)
    return groups, [row for row in rows if row in alone]


def group_of(rows: list[Notification], *, template: str, track: bool) -> tuple[Group | None, list[Notification]]:
    """Return the group of `rows` whose own render the shared one reproduces, and the rows that are not in it."""
    if len(rows) < 2:
        return None, rows
    original = rows
    links = {row.pk: unsubscribe_link(row) for row in rows}
    contexts = {row.pk: {**row.context, UNSUBSCRIBE_KEY: links[row.pk]} for row in rows}
    left: list[Notification] = []
    while True:
        differing = differing_keys([contexts[row.pk] for row in rows])
        # A missing or non-text value cannot be substituted as text: that row goes alone, and
        # the others are compared again without it (fewer rows can only differ in fewer keys).
        odd = [row for row in rows if not substitutable(contexts[row.pk], differing)]
        if not odd:
            break
        left += odd
        rows = [row for row in rows if row not in odd]
        if len(rows) < 2:
            return None, original
    first = contexts[rows[0].pk]
    nonce = secrets.token_hex(6)
    text_tokens = {key: f"-vv{nonce}t{n}-" for n, key in enumerate(differing)}
    html_tokens = {key: f"-vv{nonce}h{n}-" for n, key in enumerate(differing)}
    try:
        as_text = render_with(template, first, text_tokens)
        as_html = render_with(template, first, html_tokens)
    except Exception:  # noqa: BLE001 - each row is then rendered alone, and a failure recorded there
        return None, original
    rendered = RenderedEmail(subject=as_text.subject, text=as_text.text, html=as_html.html)
    group, addresses = Group(rendered=rendered, track=track), set()
    for row in rows:
        values = contexts[row.pk]
        substitutions = {text_tokens[key]: values[key] for key in differing} | {
            html_tokens[key]: str(escape(values[key])) for key in differing
        }
        if (
            row.to.lower() in addresses
            or any(nonce in value for value in values.values() if isinstance(value, str))
            or substitution_bytes(substitutions) > MAX_SUBSTITUTION_BYTES
            or not reproduces(rendered, substitutions, row, links[row.pk])
        ):
            left.append(row)
            continue
        addresses.add(row.to.lower())
        group.members.append(Member(row, links[row.pk], substitutions))
    if len(group.members) < 2:
        return None, original
    return group, left


def differing_keys(contexts: list[dict[str, Any]]) -> list[str]:
    """Return the context keys whose value is not the same in every context (absent counts as different)."""
    keys = set().union(*(context.keys() for context in contexts))
    first = contexts[0]
    return sorted(key for key in keys if any(key not in c or c[key] != first.get(key) for c in contexts))


def substitutable(context: dict[str, Any], differing: list[str]) -> bool:
    return all(isinstance(context.get(key), str) for key in differing)


def render_with(template: str, context: dict[str, Any], tokens: dict[str, str]) -> RenderedEmail:
    """Render `template` with the tokens in place of the differing values (the link included)."""
    variables = {key: value for key, value in context.items() if key != UNSUBSCRIBE_KEY}
    variables |= {key: token for key, token in tokens.items() if key != UNSUBSCRIBE_KEY}
    link = tokens.get(UNSUBSCRIBE_KEY, context.get(UNSUBSCRIBE_KEY))
    return render_email(template, variables, unsubscribe_url=link)


def reproduces(rendered: RenderedEmail, substitutions: dict[str, str], row: Notification, link: str | None) -> bool:
    """Return True when the group's render with `row`'s values is exactly `row`'s own render."""
    try:
        own = render_email(row.template, row.context, unsubscribe_url=link)
    except Exception:  # noqa: BLE001 - sent alone, where the failure is recorded
        return False
    return (
        substituted(rendered.subject, substitutions) == own.subject
        and substituted(rendered.text, substitutions) == own.text
        and substituted(rendered.html, substitutions) == own.html
    )


def group_message(group: Group) -> EmailMultiAlternatives:
    """Return the group's one message: every member a `to`, with its own values, headers and metadata."""
    rendered = group.rendered
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[member.notification.to for member in group.members],
        reply_to=[settings.SENDGRID_REPLY_TO] if settings.SENDGRID_REPLY_TO else None,
    )
    message.attach_alternative(rendered.html, "text/html")
    message.merge_data = {member.notification.to: member.substitutions for member in group.members}
    message.merge_metadata = {
        member.notification.to: {"notification_id": str(member.notification.pk)} for member in group.members
    }
    message.merge_headers = {
        member.notification.to: unsubscribe_headers(member.link) for member in group.members if member.link
    }
    message.tags = [group.members[0].notification.template]
    message.track_opens = message.track_clicks = group.track
    return message


def group_send(group: Group) -> tuple[dict[Any, str], int | None]:
    """Send the group as one call; return each member's anymail id (by notification id) and the HTTP status."""
    message = group_message(group)
    message.connection = mail_connection()
    message.send()
    status = getattr(message, "anymail_status", None)
    recipients = {address.lower(): state for address, state in (getattr(status, "recipients", None) or {}).items()}
    response = getattr(status, "esp_response", None)
    ids = {}
    for member in group.members:
        state = recipients.get(member.notification.to.lower())
        ids[member.notification.pk] = getattr(state, "message_id", None) or ""
    return ids, getattr(response, "status_code", None)
