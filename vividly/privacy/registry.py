"""The registry each app fills from its AppConfig.ready(): one entry per kind of row it holds about a user.

The core never imports an app: apps call `register(...)` and the core walks what was
registered. A kind may export (rows for the user's copy of their data), erase (remove
or anonymise what is about the user, return a count) and purge (delete what is older
than its retention window, return a count; `dry_run` counts without deleting).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Rows = list[dict[str, Any]]
Exporter = Callable[[Any], Rows]
Eraser = Callable[[Any], int]
Purger = Callable[[datetime, bool], int]


@dataclass(frozen=True)
class Kind:
    """One kind of data held about users, under a stable name (a key of the export and of the erasure answer)."""

    name: str
    export: Exporter | None = None
    erase: Eraser | None = None
    purge: Purger | None = None


_kinds: dict[str, Kind] = {}


def register(
    name: str, *, export: Exporter | None = None, erase: Eraser | None = None, purge: Purger | None = None
) -> Kind:
    """Register (or replace, on a repeated ready()) the kind `name`; return it."""
    kind = Kind(name=name, export=export, erase=erase, purge=purge)
    _kinds[name] = kind
    return kind


def kinds() -> list[Kind]:
    """Return every registered kind, in registration order (the order erasure runs in)."""
    return list(_kinds.values())
