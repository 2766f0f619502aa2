"""Test support: the local copy (vividly/local_copy.py) another process of the service would hold."""

from vividly.local_copy import LocalCopy, tracking_copy


def another_process(alias: str, prefix: str = "") -> LocalCopy:
    """Return a copy of `alias`'s values under `prefix` on its own tracking connection, as
    another process of the service holds one, once it is current."""
    copy = tracking_copy(alias, prefix, maxsize=100)
    assert copy.wait_fresh(5)
    return copy
