"""Fixtures of the delivery tests: counting cold-tier reads, recording generation demand."""

import pytest

from cache_app.tiers import ColdTier


@pytest.fixture
def cold_reads(monkeypatch) -> list[str]:
    """Return the list of keys read from the cold tier (storage) during the test."""
    reads: list[str] = []
    read = ColdTier.get

    def counted(self, cache_key: str):
        reads.append(cache_key)
        return read(self, cache_key)

    monkeypatch.setattr(ColdTier, "get", counted)
    return reads


@pytest.fixture
def demand(monkeypatch) -> list[tuple[str, str, bool]]:
    """Record each generation demand join or leave: (action, cache_key, inside a transaction)."""
    from django.db import connection

    from delivery_app import services

    calls: list[tuple[str, str, bool]] = []
    outside = len(connection.atomic_blocks)  # the test's own transactions

    def join(*, cache_key: str, topic_id: str, interest: str, style: str) -> None:
        calls.append(("join", cache_key, len(connection.atomic_blocks) > outside))

    def leave(*, cache_key: str) -> None:
        calls.append(("leave", cache_key, len(connection.atomic_blocks) > outside))

    monkeypatch.setattr(services, "generation_demand_join", join)
    monkeypatch.setattr(services, "generation_demand_leave", leave)
    return calls
