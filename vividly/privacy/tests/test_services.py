"""The purge's bookkeeping: one log line with the counts, a PurgeRun row, and at most one real run a day."""

import logging
from datetime import datetime, timedelta

import pytest

from vividly.privacy.models import PurgeRun
from vividly.privacy.rows import model_row
from vividly.privacy.services import expired_data_purge, expired_data_purge_if_due

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-12-01T03:00:00+00:00")


def test_a_run_logs_its_counts_in_one_line_and_is_recorded(caplog):
    with caplog.at_level(logging.INFO, logger="vividly.privacy"):
        run = expired_data_purge(now=NOW)
    [line] = [record.getMessage() for record in caplog.records if "purge_expired_data" in record.getMessage()]
    assert "dry_run=False login_records=0 notifications=0 provider_events=0 view_sessions=0 longest_batch_ms=" in line
    assert PurgeRun.objects.get() == run
    assert set(run.counts) == {"view_sessions", "notifications", "provider_events", "login_records"}


def test_the_daily_purge_runs_once_a_day_and_dry_runs_do_not_count():
    expired_data_purge(now=NOW, dry_run=True)
    assert expired_data_purge_if_due(now=NOW) is not None
    assert expired_data_purge_if_due(now=NOW + timedelta(hours=23)) is None
    assert expired_data_purge_if_due(now=NOW + timedelta(hours=25)) is not None
    assert PurgeRun.objects.filter(dry_run=False).count() == 2


def test_a_row_holds_every_concrete_field_as_json():
    run = PurgeRun(started_at=NOW, counts={"a": 1})
    row = model_row(run)
    assert row == {
        "id": None,
        "started_at": "2026-12-01T03:00:00+00:00",
        "finished_at": None,
        "dry_run": False,
        "counts": {"a": 1},
        "longest_batch_ms": 0,
    }
