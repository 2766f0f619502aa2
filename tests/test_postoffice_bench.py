"""The bench's peer (benchmarks/scenarios_postoffice.py): post_office stays out of the service, sends our
message, and a run that lost or repeated an email is not counted as all sent."""

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.scenarios_postoffice import DEFAULTS, RESULTS, TUNED, ahead_of, measure_postoffice, verdict
from devstack.sendgrid import Reply, SendGridStandIn
from devstack.workers import drain
from notifications_app.tests.support import send

BASE_DIR = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def installed_apps(settings_module: str) -> dict:
    """Return, from a fresh process with `settings_module`, whether post_office is installed and its backend."""
    code = (
        "import django, json; django.setup(); from django.apps import apps; from django.conf import settings; "
        "print(json.dumps([apps.is_installed('post_office'), getattr(settings, 'POST_OFFICE', None)]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_SECRET_KEY": "a-test-only-key-long-enough-for-production-checks-4f1c9e",
    }
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    installed, config = json.loads(completed.stdout.splitlines()[-1])
    return {"installed": installed, "config": config}


@pytest.mark.parametrize(
    "settings_module",
    ["vividly.settings.local", "vividly.settings.production", "vividly.settings.test", "benchmarks.settings"],
)
def test_the_service_never_loads_post_office(settings_module):
    assert installed_apps(settings_module) == {"installed": False, "config": None}


def test_the_peer_settings_send_through_anymail_with_post_office_defaults():
    peer = installed_apps("benchmarks.postoffice_settings")
    assert peer["installed"] is True
    assert peer["config"]["BACKENDS"] == {"default": "anymail.backends.sendgrid.EmailBackend"}
    # "defaults" means post_office's own: no threads or batch size of ours.
    assert "THREADS_PER_PROCESS" not in peer["config"] and "BATCH_SIZE" not in peer["config"]


def comparable(payload: dict) -> dict:
    """Drop what differs by design: our notification_id, anymail's per-message id, the time an
    unsubscribe link was signed at."""
    payload = {key: value for key, value in payload.items() if key != "custom_args"}
    payload["personalizations"] = [
        {key: value for key, value in entry.items() if key != "custom_args"} for entry in payload["personalizations"]
    ]
    return json.loads(re.sub(r"/email/unsubscribe/[\w:-]+", "/email/unsubscribe/TOKEN", json.dumps(payload)))


@pytest.mark.django_db(transaction=True)
def test_the_peer_sends_every_address_once_the_same_message_as_our_worker(sendgrid, tmp_path):
    send("content_ready", to="peer7@example.edu")
    drain()
    [ours] = sendgrid.payloads

    with SendGridStandIn() as peer:
        row = measure_postoffice(
            TUNED, emails=20, database_url=f"sqlite:///{tmp_path / 'po.sqlite3'}", work_dir=tmp_path, sendgrid=peer
        )
        theirs = next(p for p in peer.payloads if p["personalizations"][0]["to"] == [{"email": "peer7@example.edu"}])

    assert (row["all_sent"], row["sent"], row["missing"], row["twice"]) == (True, 20, 0, 0)
    assert len(peer.payloads) == 20
    assert comparable(theirs) == comparable(ours)


def post_to(stand_in: SendGridStandIn, address: str) -> None:
    """Have the stand-in accept an email to `address`, as a sender repeating one would."""
    stand_in.script(Reply.accepted())
    payload = json.dumps({"personalizations": [{"to": [{"email": address}]}]}).encode()
    headers = {"Authorization": f"Bearer {stand_in.api_key}", "Content-Type": "application/json"}
    request = urllib.request.Request(stand_in.api_url + "mail/send", data=payload, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - the loopback stand-in
        pass


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        # One email refused: post_office marks it failed (no retries by default).
        ("refused", {"all_sent": False, "sent": 19, "missing": 1, "twice": 0}),
        # One address accepted twice.
        ("repeated", {"all_sent": False, "sent": 20, "missing": 0, "twice": 1}),
    ],
)
def test_a_lost_or_repeated_email_is_not_all_sent(tmp_path, fault, expected):
    with SendGridStandIn() as peer:
        if fault == "refused":
            peer.script(Reply.server_error())
        else:
            post_to(peer, "peer3@example.edu")
        row = measure_postoffice(
            DEFAULTS, emails=20, database_url=f"sqlite:///{tmp_path / 'po.sqlite3'}", work_dir=tmp_path, sendgrid=peer
        )

    assert {key: row[key] for key in expected} == expected


def test_the_verdict_counts_a_repeat_a_loss_and_a_stranger():
    addresses = ["a@example.edu", "b@example.edu"]
    sent = {"sent": 2}
    assert verdict(addresses=addresses, accepted=Counter(addresses), statuses=sent)["all_sent"] is True
    assert verdict(addresses=addresses, accepted=Counter([*addresses, "a@example.edu"]), statuses=sent)["twice"] == 1
    assert verdict(addresses=addresses, accepted=Counter(addresses[:1]), statuses=sent)["missing"] == 1
    stranger = Counter([*addresses, "c@example.edu"])
    assert verdict(addresses=addresses, accepted=stranger, statuses=sent)["all_sent"] is False
    # The stand-in got both, but post_office recorded one as failed (a reply it never saw).
    failed = {"sent": 1, "failed": 1}
    assert verdict(addresses=addresses, accepted=Counter(addresses), statuses=failed)["all_sent"] is False


def test_ahead_of_the_peer_needs_the_peer_measured_in_this_run_and_beaten(monkeypatch):
    monkeypatch.delitem(RESULTS, DEFAULTS, raising=False)
    ours = {"all_sent": True, "emails_per_second": 600.0}
    assert ahead_of(DEFAULTS)(ours) is False  # not measured in this run: nothing to be ahead of
    monkeypatch.setitem(RESULTS, DEFAULTS, {"emails_per_second": 559.0})
    assert ahead_of(DEFAULTS)(ours) is True
    assert ahead_of(DEFAULTS)({**ours, "emails_per_second": 559.0}) is False
    assert ahead_of(DEFAULTS)({**ours, "all_sent": False}) is False
