"""One `make cluster` topology for the whole cluster test session (marked `cluster`, left out of `make test`).

Its database: CLUSTER_DATABASE_URL, else a fresh `<name>_cluster` database next to a PostgreSQL
DATABASE_URL, else a throwaway PostgreSQL under the cluster's folder (`initdb`).
"""

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from devstack.cluster import Cluster

# The cluster tests' own port range (make cluster uses 7100-7149): they may run beside it.
BASE_PORT = int(os.environ.get("CLUSTER_TEST_BASE_PORT", "7150"))
# Short enough that the tests see the limits and the sweeper act in seconds.
EMAIL_RATE_LIMIT_PER_MINUTE = 200
SWEEP_INTERVAL_SECONDS = 3


def fresh_database_url() -> str | None:
    """Return the URL of an empty PostgreSQL database for the cluster, or None (a throwaway server)."""
    if url := os.environ.get("CLUSTER_DATABASE_URL"):
        return url
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'vividly'}_cluster"
    server = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    subprocess.run(["dropdb", "--if-exists", "--force", *server, name], check=True)
    subprocess.run(["createdb", *server, name], check=True)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="vividly-cluster-"))
    topology = Cluster(
        folder=folder,
        base_port=BASE_PORT,
        database_url=fresh_database_url(),
        env={
            "EMAIL_RATE_LIMIT_PER_MINUTE": str(EMAIL_RATE_LIMIT_PER_MINUTE),
            "EMAIL_SWEEP_INTERVAL_SECONDS": str(SWEEP_INTERVAL_SECONDS),
            "GENERATION_SWEEP_INTERVAL_SECONDS": str(SWEEP_INTERVAL_SECONDS),
            # The tests send many emails to one template: not the per-recipient cap under test here.
            "EMAIL_RECIPIENT_LIMIT_PER_HOUR": "1000",
            # The revocation tests poll one user's token from three threads as fast as they can; the
            # per-user throttle (600/min by default, tested in vividly/api) would answer 429 instead.
            "API_USER_RATE": "1000000/min",
        },
    ).start()
    print(f"\ncluster logs: {topology.logs}")
    yield topology
    topology.stop()
