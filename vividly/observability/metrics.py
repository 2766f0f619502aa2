"""The metrics this service exports and how a scrape gathers them (prometheus-client).

Counters and histograms are recorded where things happen. Under gunicorn, every worker
is a process of its own: with PROMETHEUS_MULTIPROC_DIR set, prometheus-client writes each
process's values to files there and a scrape sums them (MultiProcessCollector); gunicorn's
`child_exit` hook marks a dead worker's files (gunicorn.conf.py). Without the variable one
process's registry is exported as it is.

Numbers that live in the database or Redis (queue depths, emails by status, the cache's
own counters) are read by collectors that apps register here, at scrape time only: nothing
is computed per request, and nothing is counted twice. A collector that fails (its
database or Redis is out) leaves its metrics out of that scrape and sets
`vividly_collector_up{collector}` to 0 instead of failing the scrape.
"""

import logging
import os
from collections.abc import Iterable, Iterator
from typing import Protocol

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger("vividly.observability")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A route label names the URL pattern; requests that match none share this one.
UNMATCHED_ROUTE = "<unmatched>"

REQUEST_DURATION = Histogram(
    "vividly_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by URL pattern and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REDIS_ERRORS = Counter(
    "vividly_redis_errors_total",
    "Redis outages seen by the circuit breaker (a refused call counts too), by cache alias.",
    ["alias"],
)
DATABASE_ERRORS = Counter(
    "vividly_database_errors_total",
    "Database errors that reached the API's exception handler, by kind (unavailable, error).",
    ["kind"],
)
EMAIL_PROVIDER_EVENTS = Counter(
    "vividly_email_provider_events_total",
    "Tracking events recorded from the email provider's webhook, by anymail's event type.",
    ["event_type"],
)


class Collector(Protocol):
    """What prometheus-client calls at scrape time: `collect()` yields metric families."""

    name: str

    def collect(self) -> Iterable[Metric]: ...


_collectors: dict[str, Collector] = {}


def collector_register(collector: Collector) -> Collector:
    """Add a scrape-time collector (apps call this from their metrics module); return it."""
    _collectors[collector.name] = collector
    return collector


def registered_collectors() -> list[Collector]:
    return list(_collectors.values())


class _ThisProcess:
    """The default registry's metrics (this process's counters, process_* and python_*)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class _Guarded:
    """Run the app collectors, each on its own: one failing leaves the others' metrics in."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "vividly_collector_up", "1 when the collector could read its source.", labels=["collector"]
        )
        for collector in registered_collectors():
            try:
                families = list(collector.collect())
            except Exception as exc:  # noqa: BLE001 - a scrape must still answer when a backing service is out
                logger.warning("metrics collector %s failed: %s", collector.name, exc)
                up.add_metric([collector.name], 0)
                continue
            up.add_metric([collector.name], 1)
            yield from families
        yield up


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def exposition() -> bytes:
    """Return every metric in Prometheus' text format (the collectors run now)."""
    # The core's own collectors (RQ, Redis) import this module: registered on first use.
    from vividly.observability import collectors  # noqa: F401

    # auto_describe off: registering must not run the collectors' queries.
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_Guarded())
    return generate_latest(registry)


def mark_process_dead(pid: int) -> None:
    """Drop a dead process's live gauges (gunicorn's child_exit hook); nothing in one-process mode."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
