"""The Jinja2 environment for email templates: only HTML is autoescaped."""

from typing import Any

from jinja2 import Environment, StrictUndefined, select_autoescape


def jinja2_environment(**options: Any) -> Environment:
    """Return the environment Django's Jinja2 backend renders emails with.

    `autoescape=True` would escape the subject and text bodies too ("Newton's" would
    read `Newton&#39;s`), so escaping is chosen by extension: HTML only.
    """
    options["autoescape"] = select_autoescape(enabled_extensions=("html",), default_for_string=False)
    options["undefined"] = StrictUndefined
    return Environment(**options)  # noqa: S701 - autoescape is select_autoescape above
