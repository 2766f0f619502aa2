"""Grouped provider calls (`grouping.py`): a batch's emails go as one SendGrid call, and each
recipient still gets exactly its own email, headers and ids, read back from the stand-in."""

import pytest

from devstack.sendgrid import Reply
from devstack.workers import drain
from notifications_app.grouping import MAX_SUBSTITUTION_BYTES, group_of
from notifications_app.models import DeliveryAttempt, Notification, Outcome, Status
from notifications_app.registry import TEMPLATES
from notifications_app.rendering import render_email
from notifications_app.services import notification_send_batch
from notifications_app.tests.support import send
from notifications_app.unsubscribe import unsubscribe_token_read
from notifications_app.validation import send_request_validate

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = TEMPLATES["content_ready"].sample


def batch(contexts: list[dict], template: str = "content_ready") -> list[Notification]:
    items = [
        send_request_validate(to=f"learner{n}@example.edu", template=template, context=context)
        for n, context in enumerate(contexts)
    ]
    _, answered = notification_send_batch(items=items)
    return [item.notification for item in answered]


def own_email(notification: Notification, delivered) -> object:
    """Return the recipient's own render, with the unsubscribe link its email carries (signed
    at send time), after checking that link is this recipient's own."""
    link = delivered.headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe_token_read(link.rsplit("/", 1)[-1] or link.rsplit("/", 2)[-2]) == (
        notification.to,
        notification.category,
    )
    return render_email(notification.template, notification.context, unsubscribe_url=link)


def test_a_batch_is_one_call_and_each_recipient_gets_exactly_its_own_email(sendgrid):
    contexts = [
        {**SAMPLE, "student_name": name, "content_url": f"{SAMPLE['content_url']}?n={n}"}
        for n, name in enumerate(["Maya", "O'Brien <Sam>", "Zoë & Ana", "Lee"])
    ]
    rows = batch(contexts)
    drain()

    assert len(sendgrid.payloads) == 1  # one provider call for the whole batch
    [payload] = sendgrid.payloads
    assert len(payload["personalizations"]) == len(rows)
    delivered = {email.to: email for email in sendgrid.emails()}
    anymail_ids = set()
    for row in rows:
        row.refresh_from_db()
        email = delivered[row.to]
        rendered = own_email(row, email)
        link = email.headers["List-Unsubscribe"].strip("<>")
        # Escaping differs between the parts: each must be the recipient's own render, exactly.
        assert (email.subject, email.text, email.html) == (rendered.subject, rendered.text, rendered.html)
        assert email.headers["List-Unsubscribe"] == f"<{link}>"
        assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert email.custom_args["notification_id"] == str(row.pk)
        assert row.status == Status.SENT and row.attempts == 1
        assert row.provider_message_id == email.custom_args["anymail_id"]
        anymail_ids.add(row.provider_message_id)
        [attempt] = DeliveryAttempt.objects.filter(notification=row)
        assert attempt.outcome == Outcome.SENT and attempt.provider_message_id == row.provider_message_id
    assert len(anymail_ids) == len(rows)  # one anymail_id per recipient, as events find them
    assert "O&#39;Brien &lt;Sam&gt;" in delivered["learner1@example.edu"].html
    assert "O'Brien <Sam>" in delivered["learner1@example.edu"].text


def test_a_recipient_whose_email_the_group_cannot_reproduce_is_sent_alone(sendgrid):
    # An empty name changes the greeting ("Hi," not "Hi <name>,"): substituting "" would leave "Hi ,".
    rows = batch([{**SAMPLE, "student_name": name} for name in ["Maya", "", "Lee"]])
    drain()

    assert sorted(len(p["personalizations"]) for p in sendgrid.payloads) == [1, 2]
    delivered = {email.to: email for email in sendgrid.emails()}
    for row in rows:
        rendered = own_email(row, delivered[row.to])
        assert delivered[row.to].text == rendered.text and delivered[row.to].html == rendered.html
    assert "Hi,\n" in delivered[rows[1].to].text


def test_single_sends_of_one_template_claimed_together_go_as_one_call_each_with_its_own_email(sendgrid):
    names = ["Maya", "Zoë & Ana", "Lee"]
    rows = [
        send("content_ready", to=f"single{n}@example.edu", context={**SAMPLE, "student_name": name})
        for n, name in enumerate(names)
    ]
    welcome = send("welcome_student", to="other@example.edu")
    drain()

    # One call for the three content_ready emails, one for the other template.
    assert sorted(len(p["personalizations"]) for p in sendgrid.payloads) == [1, 3]
    delivered = {email.to: email for email in sendgrid.emails()}
    for row in [*rows, welcome]:
        row.refresh_from_db()
        email = delivered[row.to]
        # content_ready is optional (its own unsubscribe link); welcome_student transactional (none).
        rendered = own_email(row, email) if row in rows else row_render(row)
        assert ("List-Unsubscribe" in email.headers) == (row in rows)
        assert (email.subject, email.text, email.html) == (rendered.subject, rendered.text, rendered.html)
        assert email.custom_args["notification_id"] == str(row.pk)
        assert row.status == Status.SENT and row.provider_message_id == email.custom_args["anymail_id"]
    assert "Zoë &amp; Ana" in delivered["single1@example.edu"].html


def row_render(row: Notification):
    return render_email(row.template, row.context, unsubscribe_url=None)


def test_with_single_sends_grouping_off_each_single_send_is_its_own_call(sendgrid, settings):
    settings.EMAIL_GROUP_SINGLE_SENDS = False
    for n in range(3):
        send("content_ready", to=f"single{n}@example.edu")
    batch([{**SAMPLE, "student_name": name} for name in ["Maya", "Sam"]])
    drain()
    assert sorted(len(p["personalizations"]) for p in sendgrid.payloads) == [1, 1, 1, 2]


def test_a_row_whose_differing_value_is_not_text_goes_alone_and_the_others_still_group(sendgrid):
    rows = batch([{**SAMPLE, "student_name": name} for name in ["Maya", "Sam", "Lee"]])
    odd = rows[1]
    odd.context = {**odd.context, "content_title": 42}
    group, alone = group_of(rows, template="content_ready", track=False)
    assert [member.notification for member in group.members] == [rows[0], rows[2]]
    assert alone == [odd]


def test_substitutions_past_sendgrids_limit_are_sent_alone(sendgrid):
    rows = batch([{**SAMPLE, "content_title": f"Title {n}"} for n in range(3)])
    long_one = rows[2]
    long_one.context = {**long_one.context, "content_title": "x" * MAX_SUBSTITUTION_BYTES}
    group, alone = group_of(rows, template="content_ready", track=False)
    assert [member.notification for member in group.members] == rows[:2]
    assert alone == [long_one]


def test_a_refused_grouped_call_is_retried_one_by_one_so_only_the_bad_recipient_fails(sendgrid):
    rows = batch([{**SAMPLE, "student_name": name} for name in ["Maya", "Sam", "Lee"]])
    # SendGrid answers 400 for the whole call; then, alone, only the second recipient is refused.
    sendgrid.script(Reply.bad_request("Invalid personalization."), Reply.accepted(), Reply.bad_request())
    drain()

    assert [len(p["personalizations"]) for p in sendgrid.payloads] == [3, 1, 1, 1]
    statuses = {row.pk: Notification.objects.get(pk=row.pk).status for row in rows}
    assert statuses == {rows[0].pk: Status.SENT, rows[1].pk: Status.FAILED, rows[2].pk: Status.SENT}
    for row in rows:
        outcomes = list(DeliveryAttempt.objects.filter(notification=row).values_list("outcome", flat=True))
        second = Outcome.PERMANENT_ERROR if row.pk == rows[1].pk else Outcome.SENT
        assert outcomes == [Outcome.PERMANENT_ERROR, second]


def test_a_grouped_call_failing_transiently_is_retried_as_a_group(sendgrid, fast_retries):
    rows = batch([{**SAMPLE, "student_name": name} for name in ["Maya", "Sam", "Lee"]])
    sendgrid.script(Reply.server_error(503))
    drain()

    assert [len(p["personalizations"]) for p in sendgrid.payloads] == [3, 3]
    for row in rows:
        row.refresh_from_db()
        assert row.status == Status.SENT and row.attempts == 2
        outcomes = list(DeliveryAttempt.objects.filter(notification=row).values_list("outcome", flat=True))
        assert outcomes == [Outcome.TRANSIENT_ERROR, Outcome.SENT]


def test_the_global_rate_limit_counts_each_recipient_of_a_grouped_call(sendgrid, settings):
    settings.EMAIL_RATE_LIMIT_PER_MINUTE = 2
    rows = batch([{**SAMPLE, "student_name": name} for name in ["Maya", "Sam", "Lee", "Ana", "Bo"]])
    drain(wait_for_scheduled=0)

    assert [len(p["personalizations"]) for p in sendgrid.payloads] == [2]  # two slots: two recipients
    statuses = sorted(Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", "attempts"))
    assert statuses == [(Status.QUEUED, 0)] * 3 + [(Status.SENT, 1)] * 2  # the others wait, with no attempt
