"""Liveness (/healthz) and readiness (/readyz) of the process and its backing services."""

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import redis.exceptions
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from vividly.redis_guard import client

# Readiness answers within this budget even if a dependency hangs.
CHECK_BUDGET_SECONDS = 3.0

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")


def check_database() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()  # the check runs in a pool thread; do not leave its connection open
    return []


def check_cache_redis() -> list[str]:
    client("hot").ping()
    return []


def check_queue_redis() -> list[str]:
    """Ping the queue Redis and warn when its eviction policy could drop jobs."""
    queue = client("state")
    queue.ping()
    try:
        policy = queue.config_get("maxmemory-policy").get("maxmemory-policy", "")
        maxmemory = int(queue.config_get("maxmemory").get("maxmemory", 0) or 0)
    except redis.exceptions.ResponseError:
        return ["queue redis: CONFIG is disabled; cannot confirm maxmemory-policy noeviction"]
    if policy != "noeviction" and maxmemory > 0:
        return [
            f"queue redis evicts keys (maxmemory-policy {policy}, maxmemory {maxmemory}): "
            "jobs, rate limits and counters can be lost; use a Redis with noeviction"
        ]
    return []


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


def run_checks() -> tuple[dict[str, dict], list[str]]:
    """Run every check concurrently; return per-check results and warnings."""
    started = time.monotonic()
    futures = {name: _pool.submit(check) for name, check in CHECKS.items()}
    results: dict[str, dict] = {}
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
    return results, warnings


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results, warnings = run_checks()
    failing = [name for name, result in results.items() if not result["ok"]]
    response = JsonResponse(
        {"status": "unavailable" if failing else "ok", "failing": failing, "checks": results, "warnings": warnings},
        status=503 if failing else 200,
    )
    if failing:
        response["Retry-After"] = "5"
    return response
