"""Every template renders a subject, a text and an HTML body from the base; only HTML is escaped."""

import re

import pytest
from jinja2 import UndefinedError

from notifications_app.registry import DIGEST_TEMPLATE, TEMPLATES, category_of
from notifications_app.rendering import render_email

# The contract's table, copied here on purpose: the registry must not drift from it.
CONTRACT = {
    "welcome_student": {"student_name", "login_url"},
    "welcome_teacher": {"teacher_name", "login_url"},
    "password_reset": {"name", "reset_url", "expires_in_minutes"},
    "content_ready": {"student_name", "content_title", "content_url"},
    "request_approved": {"name", "login_url"},
    "request_denied": {"name", "reason"},
    "class_invitation": {"student_name", "teacher_name", "class_name", "invitation_url"},
}


def test_registry_matches_the_contract():
    assert {name: set(spec.required) for name, spec in TEMPLATES.items()} == CONTRACT


def test_each_template_has_the_contracts_category():
    found = {name: spec.category for name, spec in TEMPLATES.items()}
    assert found == {name: "content_updates" if name == "content_ready" else "transactional" for name in CONTRACT}
    assert category_of("content_ready_digest") == "content_updates"


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_each_template_renders_its_three_parts_from_the_base(name):
    spec = TEMPLATES[name]
    email = render_email(name, spec.sample)
    assert email.subject and "\n" not in email.subject
    for value in spec.sample.values():
        assert str(value) in email.text
    # Base: header, footer and the unsubscribe area, in both bodies.
    assert email.text.startswith("VIVIDLY")
    assert "service email about your Vividly account" in email.text
    assert email.html.lstrip().startswith("<!DOCTYPE html>")
    assert "service email about your Vividly account" in email.html
    for variable in (name for name in spec.required if name.endswith("_url")):
        assert f'href="{spec.sample[variable]}"' in email.html


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_each_required_variable_is_used(name):
    spec = TEMPLATES[name]
    for missing in spec.required:
        context = {key: value for key, value in spec.sample.items() if key != missing}
        with pytest.raises(UndefinedError, match=missing):
            render_email(name, context)


def test_html_is_escaped_and_text_and_subject_are_not():
    context = {**TEMPLATES["content_ready"].sample, "content_title": '<b>Newton\'s</b> & "laws"'}
    email = render_email("content_ready", context)
    assert email.subject == 'Your video is ready: <b>Newton\'s</b> & "laws"'
    assert '<b>Newton\'s</b> & "laws"' in email.text
    assert "&lt;b&gt;Newton&#39;s&lt;/b&gt; &amp; &#34;laws&#34;" in email.html
    assert "<b>Newton" not in email.html


def test_a_link_cannot_break_out_of_its_attribute():
    context = {**TEMPLATES["welcome_student"].sample, "login_url": 'https://x.test/?a=1&b="><script>'}
    email = render_email("welcome_student", context)
    assert 'href="https://x.test/?a=1&amp;b=&#34;&gt;&lt;script&gt;"' in email.html
    assert "<script>" not in email.html


def test_a_subject_stays_on_one_line_whatever_the_context():
    context = {**TEMPLATES["content_ready"].sample, "content_title": "Line one\r\nBcc: victim@example.com"}
    assert render_email("content_ready", context).subject == "Your video is ready: Line one Bcc: victim@example.com"


def test_an_unsubscribe_link_replaces_the_service_email_notice():
    email = render_email(
        "content_ready", TEMPLATES["content_ready"].sample, unsubscribe_url="https://app.vividly.edu/u/1"
    )
    assert "Unsubscribe: https://app.vividly.edu/u/1" in email.text
    assert '<a href="https://app.vividly.edu/u/1"' in email.html
    assert "service email" not in email.text


def test_an_unsubscribe_link_in_a_stored_context_is_ignored():
    """Only the service signs unsubscribe links: one a row saved before that rule holds is not rendered."""
    context = {**TEMPLATES["welcome_student"].sample, "unsubscribe_url": "https://evil.example.com/u"}
    email = render_email("welcome_student", context)
    assert "evil.example.com" not in email.text + email.html
    assert "service email" in email.text


def test_the_digest_lists_every_title_with_its_link_and_greets_by_name_or_not():
    sample = DIGEST_TEMPLATE.sample
    email = render_email("content_ready_digest", sample, unsubscribe_url="https://app.vividly.edu/u/1")
    for item in sample["items"]:
        assert item["content_title"] in email.text and item["content_url"] in email.text
        assert f'href="{item["content_url"]}"' in email.html
    assert email.text.splitlines()[3] == "Hi Maya,"
    assert email.subject == "2 of your videos are ready"
    assert "Unsubscribe: https://app.vividly.edu/u/1" in email.text and "service email" not in email.text
    nameless = render_email("content_ready_digest", {**sample, "student_name": ""})
    assert nameless.text.splitlines()[3] == "Hi,"
    assert ">Hi,</p>" in nameless.html


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_a_person_without_a_name_is_greeted_neutrally(name):
    spec = TEMPLATES[name]
    email = render_email(name, {**spec.sample, spec.greeting: ""})
    salutation = "Hello," if name == "welcome_teacher" else "Hi,"
    assert email.text.splitlines()[3] == salutation
    assert f'<p style="margin:0 0 16px;">{salutation}</p>' in email.html
    # No name left dangling in the subject either ("Welcome to Vividly, !").
    assert ", !" not in email.subject and not email.subject.endswith(",")


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_a_named_person_is_greeted_by_their_name(name):
    spec = TEMPLATES[name]
    email = render_email(name, {**spec.sample, spec.greeting: "Alice Smith"})
    salutation = "Hello" if name == "welcome_teacher" else "Hi"
    assert email.text.splitlines()[3] == f"{salutation} Alice Smith,"
    assert f"{salutation} Alice Smith," in email.html


def test_the_logo_and_footer_link_to_the_app_not_to_this_api(settings):
    settings.PUBLIC_BASE_URL = "https://api.school.example.edu"
    settings.APP_BASE_URL = "https://learn.school.example.edu"
    email = render_email("content_ready", TEMPLATES["content_ready"].sample)
    links = set(re.findall(r'href="([^"]+)"', email.html))
    assert 'href="https://learn.school.example.edu"' in email.html
    assert not any(link.startswith(settings.PUBLIC_BASE_URL) for link in links)
    assert email.text.rstrip().endswith("https://learn.school.example.edu")
