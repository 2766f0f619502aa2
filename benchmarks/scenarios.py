"""The benchmark scenarios; each app adds its own in a `scenarios_<app>.py` module."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Scenario:
    name: str
    path: str = ""
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    # Extra Lua for wrk (a request() function that varies the requests, say).
    lua: str = ""
    # Run before the warm-up and again before the measured run.
    setup: Callable[[], None] | None = None
    # For scenarios that are not HTTP: return {"summary": str, ...} instead of running wrk.
    measure: Callable[[], dict] | None = None
    target: str = ""
    check: Callable[[dict], bool] | None = None
    # Environment the server runs with for this scenario (another signer, say).
    server_env: dict[str, str] = field(default_factory=dict)
    # The name of the scenario measuring this one's floor (benchmarks/floors.py), if any.
    floor: str = ""
    # Scenarios this one's check compares with (measured before it), run with it under --only.
    needs: tuple[str, ...] = ()
    # For `benchmarks.profile`, when the wrk Lua varies the request: one fixed request standing
    # for them ({"path", "body", "headers"}, each optional).
    profile: dict = field(default_factory=dict)


def floor_ratio_at_least(minimum: float, *, p99_times_baseline: float | None = None) -> Callable[[dict], bool]:
    """Return a check: ratio to its floor ≥ minimum (and p99 within a multiple of the baseline's p99)."""

    def check(row: dict) -> bool:
        if row.get("floor_ratio") is None:
            return False
        within = p99_times_baseline is None or row["p99_ms"] <= p99_times_baseline * row["baseline_p99_ms"]
        return row["floor_ratio"] >= minimum and within

    return check


def ratio_at_least(minimum: float, **latency_limits: float) -> Callable[[dict], bool]:
    """Return a check: ratio to baseline ≥ minimum and each given latency (ms) within its limit."""

    def check(row: dict) -> bool:
        return row["ratio"] >= minimum and all(row[key] <= limit for key, limit in latency_limits.items())

    return check


def foundation_scenarios(url: str) -> list[Scenario]:
    from vividly.accounts.tests.factories import StudentFactory, user_token

    student = StudentFactory(username="bench-student")
    token = user_token(student)
    return [
        Scenario("baseline", "/bench/baseline"),
        Scenario("drf authenticated no-op", "/api/bench/noop", headers={"Authorization": f"Token {token}"}),
    ]


def build_scenarios(url: str) -> list[Scenario]:
    """Return every scenario, baseline first."""
    from benchmarks.scenarios_cache import cache_scenarios
    from benchmarks.scenarios_delivery import delivery_scenarios
    from benchmarks.scenarios_generation import generation_scenarios
    from benchmarks.scenarios_notifications import notification_scenarios
    from benchmarks.scenarios_postoffice import postoffice_scenarios
    from vividly.accounts.services import service_token_create

    _, service_key = service_token_create(name="bench")
    scenarios = [
        *foundation_scenarios(url),
        *cache_scenarios(url, service_key),
        # The peer first: our worker's rows are checked against what it sent in this run.
        *postoffice_scenarios(url),
        *notification_scenarios(url),
        *delivery_scenarios(url),
        *generation_scenarios(url),
    ]
    planner_statistics_gathered()
    return scenarios


def planner_statistics_gathered() -> None:
    """On PostgreSQL, ANALYZE the freshly seeded tables, as autovacuum keeps a live database analyzed.

    Measured right after seeding, with no statistics, the planner took every table for one
    row: the class-progress query ran 1.16 ms instead of 0.37 ms (EXPLAIN ANALYZE on the
    bench's data), which is a fresh bench database's cost, not production's. SQLite has no
    autovacuum to imitate and is left as Django leaves it.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
