"""Liveness (/healthz) and readiness (/readyz) of the process and its backing services.

/readyz is public (load balancers call it without credentials), so anonymous callers get
only `{"status"}`; service tokens and staff tokens also get each check and its error.
Results are shared for `READY_CACHE_SECONDS` and at most one run of each check is in
flight per process, so a flood of /readyz calls costs one run a second, not one per call.
"""

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.exceptions
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from vividly.api.base import InternalAPIView
from vividly.api.permissions import is_service, is_staff_user
from vividly.process_state import process_wide
from vividly.redis_guard import client

# Readiness answers within this budget even if a dependency hangs.
CHECK_BUDGET_SECONDS = 3.0
# One run of the checks serves every /readyz call of this process for this long.
READY_CACHE_SECONDS = 1.0
# The queue Redis refuses writes (jobs, rate limits, logins) when it reaches maxmemory.
QUEUE_MEMORY_WARN_FRACTION = 0.8

clock: Callable[[], float] = time.monotonic


def check_database() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()  # the check runs in a pool thread; do not leave its connection open
    return []


def check_cache_redis() -> list[str]:
    client("hot").ping()
    return []


def check_queue_redis() -> list[str]:
    """Ping the queue Redis; warn when it could evict jobs or is close to refusing writes."""
    queue = client("state")
    queue.ping()
    memory = queue.info("memory")
    maxmemory = int(memory.get("maxmemory", 0) or 0)
    warnings = []
    if maxmemory > 0 and int(memory.get("used_memory", 0)) > QUEUE_MEMORY_WARN_FRACTION * maxmemory:
        warnings.append(
            f"queue redis uses {memory['used_memory']} of maxmemory {maxmemory} bytes "
            f"(over {QUEUE_MEMORY_WARN_FRACTION:.0%}): at 100% it refuses jobs, rate limits and logins"
        )
    try:
        policy = queue.config_get("maxmemory-policy").get("maxmemory-policy", "")
    except redis.exceptions.ResponseError:
        return [*warnings, "queue redis: CONFIG is disabled; cannot confirm maxmemory-policy noeviction"]
    if policy != "noeviction" and maxmemory > 0:
        warnings.append(
            f"queue redis evicts keys (maxmemory-policy {policy}, maxmemory {maxmemory}): "
            "jobs, rate limits and counters can be lost; use a Redis with noeviction"
        )
    return warnings


def check_storage(alias: str) -> Callable[[], list[str]]:
    def check() -> list[str]:
        storage = storages[alias]
        if isinstance(storage, FileSystemStorage):
            Path(storage.location).mkdir(parents=True, exist_ok=True)
            if not os.access(storage.location, os.W_OK):
                raise PermissionError(f"{storage.location} is not writable")
        elif not storage.exists(""):
            raise LookupError(f"bucket {storage.bucket_name!r} does not exist")
        return []

    return check


CHECKS: dict[str, Callable[[], list[str]]] = {
    "database": check_database,
    "cache_redis": check_cache_redis,
    "queue_redis": check_queue_redis,
    "cold_storage": check_storage("cache_cold"),
    "content_storage": check_storage("content"),
}

# One thread per check at most: a check still hanging from an earlier run is reported as
# such instead of queueing another copy behind it.
_pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
_in_flight: dict[str, Future] = {}


@dataclass
class Readiness:
    checks: dict[str, dict[str, Any]]
    warnings: list[str]

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.checks.items() if not result["ok"]]


@dataclass
class _Recent:
    lock: threading.Lock = field(default_factory=threading.Lock)
    at: float = float("-inf")
    value: Readiness | None = None


@process_wide()
def _recent() -> _Recent:
    """The last run of this process (forgotten when a setting changes)."""
    return _Recent()


def _submit(name: str, check: Callable[[], list[str]]) -> Future:
    running = _in_flight.get(name)
    if running is not None and not running.done():
        return running
    _in_flight[name] = future = _pool.submit(check)
    return future


def run_checks() -> Readiness:
    """Run every check concurrently within the budget; return per-check results and warnings."""
    started = time.monotonic()
    futures = {name: _submit(name, check) for name, check in CHECKS.items()}
    results: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for name, future in futures.items():
        remaining = max(0.0, CHECK_BUDGET_SECONDS - (time.monotonic() - started))
        try:
            warnings += future.result(timeout=remaining)
            results[name] = {"ok": True}
        except FutureTimeout:
            results[name] = {"ok": False, "error": f"no answer within {CHECK_BUDGET_SECONDS:g} s"}
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return Readiness(checks=results, warnings=warnings)


def readiness() -> Readiness:
    """Return the readiness of this process's dependencies, at most `READY_CACHE_SECONDS` old.

    Concurrent callers wait for the one run in progress rather than starting their own.
    """
    recent = _recent()
    with recent.lock:
        if recent.value is None or clock() - recent.at >= READY_CACHE_SECONDS:
            recent.value, recent.at = run_checks(), clock()
        return recent.value


def is_internal_caller(request: HttpRequest) -> bool:
    """Return True for a valid service token or staff user token (as /internal/ accepts them)."""
    api_request = Request(request, authenticators=[auth() for auth in InternalAPIView.authentication_classes])
    try:
        return is_service(api_request) or is_staff_user(api_request)
    except AuthenticationFailed:
        return False  # bad credentials are simply not internal ones here


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    ready = readiness()
    failing = ready.failing
    body: dict[str, Any] = {"status": "unavailable" if failing else "ok"}
    if is_internal_caller(request):
        body |= {"failing": failing, "checks": ready.checks, "warnings": ready.warnings}
    response = JsonResponse(body, status=503 if failing else 200)
    if failing:
        response["Retry-After"] = "5"
    return response
