"""The domain's rules (`validation.py`): which hosts a link may point at, and what an in-process
caller is refused. The API's own cases (one per field) are in test_api.py and test_security.py."""

import pytest

from notifications_app.registry import TEMPLATES
from notifications_app.validation import link_host_allowed, send_request_validate
from vividly.errors import InvalidInput


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://app.school.example.edu/login", True),
        ("https://APP.School.Example.edu./login", True),  # case and a trailing dot do not matter
        ("https://app.school.example.edu:8443/login", True),  # a port is not part of the host
        ("https://deep.app.school.example.edu/", False),  # only the wildcard allows subdomains
        ("https://x.cdn.example.edu/", True),
        ("https://cdn.example.edu/", False),  # `*.cdn.example.edu` is not `cdn.example.edu` itself
        ("https://cdn.example.edu.evil.test/", False),
        ("https://app.school.example.edu@evil.test/", False),  # userinfo: the host is evil.test
        ("https://[::1]/", False),
        ("https://app.school.example.edu:99999/", True),  # hostname parses; the port is ignored
        ("https://app.school.example.edu:x/", True),
        ("https://[oops/", False),  # not a URL urlsplit can read
    ],
)
def test_link_hosts(settings, url, allowed):
    settings.EMAIL_LINK_HOSTS = ["app.school.example.edu", "*.cdn.example.edu", ""]
    assert link_host_allowed(url) is allowed


def test_no_host_is_allowed_when_the_setting_is_empty(settings):
    settings.EMAIL_LINK_HOSTS = []
    assert not link_host_allowed("https://localhost/")


def test_in_process_callers_get_the_same_rules(settings):
    """delivery_app and the admin's resend call `notification_send`, which validates here."""
    context = {**TEMPLATES["welcome_student"].sample, "login_url": "https://evil.example.com/", "site_url": "x"}
    with pytest.raises(InvalidInput) as raised:
        send_request_validate(to="maya@example.edu", template="welcome_student", context=context)
    assert raised.value.details == {
        "context": [
            "Variable 'site_url' is set by the service and cannot be overridden.",
            "Variable 'login_url' must link to one of this service's hosts (EMAIL_LINK_HOSTS).",
        ]
    }


def test_a_valid_request_is_returned_typed():
    request = send_request_validate(
        to="  maya@example.edu ", template="welcome_student", context=TEMPLATES["welcome_student"].sample
    )
    assert (request.to, request.template, request.priority) == ("maya@example.edu", "welcome_student", "normal")


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_the_greeted_name_may_be_empty_but_not_missing(name):
    spec = TEMPLATES[name]
    accepted = send_request_validate(to="a@example.edu", template=name, context={**spec.sample, spec.greeting: ""})
    assert accepted.context[spec.greeting] == ""
    without = {key: value for key, value in spec.sample.items() if key != spec.greeting}
    with pytest.raises(InvalidInput) as refused:
        send_request_validate(to="a@example.edu", template=name, context=without)
    assert refused.value.details == {"context": [f"Missing variable {spec.greeting!r}, required by {name!r}."]}


def test_other_required_variables_may_not_be_empty():
    context = {**TEMPLATES["class_invitation"].sample, "teacher_name": ""}
    with pytest.raises(InvalidInput) as refused:
        send_request_validate(to="a@example.edu", template="class_invitation", context=context)
    assert refused.value.details == {"context": ["Missing variable 'teacher_name', required by 'class_invitation'."]}
