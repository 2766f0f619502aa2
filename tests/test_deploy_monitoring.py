"""deploy/grafana and deploy/prometheus name only metrics the service exports."""

import json
import re
from pathlib import Path

import pytest
import yaml

from vividly.observability.tests.support import exported_metric_names

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
# Our metrics all start so; PromQL's functions, labels and keywords do not.
METRIC = re.compile(r"\bvividly_[a-z0-9_]+\b")

pytestmark = pytest.mark.django_db


def dashboard_panels() -> list[dict]:
    def walk(panels: list[dict]):
        for panel in panels:
            yield panel
            yield from walk(panel.get("panels", []))  # panels inside collapsed rows

    return list(walk(json.loads((DEPLOY / "grafana" / "dashboard.json").read_text())["panels"]))


def alert_rules() -> list[dict]:
    document = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_dashboard_panel_queries_metrics_the_service_exports():
    exported = exported_metric_names()
    panels = [panel for panel in dashboard_panels() if panel["type"] != "row"]
    assert len(panels) >= 10
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = set(METRIC.findall(target["expr"]))
            assert names, f"{panel['title']}: no vividly metric in {target['expr']}"
            assert names <= exported, f"{panel['title']}: {names - exported} are not exported"


def test_dashboard_panel_ids_are_unique():
    ids = [panel["id"] for panel in dashboard_panels()]
    assert len(ids) == len(set(ids))


def test_alert_rules_parse_and_reference_exported_metrics():
    exported = exported_metric_names()
    rules = alert_rules()
    names = {rule["alert"] for rule in rules}
    # What the issue asks to be alerted on, at least.
    assert {
        "VividlyQueueBacklog",
        "VividlyHighErrorRate",
        "VividlyQueueRedisMemoryHigh",
        "VividlySpamComplaintRate",
    } <= names
    for rule in rules:
        assert set(rule) >= {"alert", "expr", "labels", "annotations"}
        referenced = set(METRIC.findall(rule["expr"]))
        assert referenced, rule["alert"]
        assert referenced <= exported, f"{rule['alert']}: {referenced - exported} are not exported"
        assert re.fullmatch(r"\d+[smhd]", rule.get("for", "0s"))


def test_the_name_check_catches_a_metric_that_does_not_exist():
    assert "vividly_http_request_duration_seconds_bucket" in exported_metric_names()
    assert "vividly_http_requests_total" not in exported_metric_names()


def test_the_scrape_job_reads_metrics_with_a_token():
    (job,) = yaml.safe_load((DEPLOY / "prometheus" / "scrape.yaml").read_text())["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
