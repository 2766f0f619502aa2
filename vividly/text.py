"""Text every database keeps: PostgreSQL refuses NUL, and a lone surrogate is not UTF-8 at all."""

import re
from typing import Any

LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a valid pair was joined into one character by json


def is_storable(text: str) -> bool:
    """Return True when `text` has no NUL and encodes as UTF-8 (JSON can carry either problem)."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def storable(text: str, max_length: int | None = None) -> str:
    """Return `text` without NUL, lone surrogates replaced by U+FFFD, cut to `max_length`."""
    if not is_storable(text):
        text = LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))
    return text[:max_length] if max_length is not None else text


def storable_json(value: Any) -> Any:
    """Return a copy of a JSON value whose every string and key is storable (without recursing)."""
    if isinstance(value, str):
        return storable(value)
    if not isinstance(value, (dict, list)):
        return value
    root: dict | list = {} if isinstance(value, dict) else []
    stack = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, (dict, list)):
                copied: Any = {} if isinstance(item, dict) else []
                stack.append((item, copied))
            else:
                copied = storable(item) if isinstance(item, str) else item
            if isinstance(target, dict):
                target[storable(str(key))] = copied
            else:
                target.append(copied)
    return root
