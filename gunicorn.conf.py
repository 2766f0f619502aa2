"""gunicorn's configuration, read by default from the working directory: `gunicorn vividly.wsgi:application`.

Why threads: a sync worker is held by one connection from accept to the last byte of the
response, so two slow or idle clients tied up both workers of `make run` and /healthz
stopped answering. A gthread worker waits for a request's first bytes in its poller and
gives each request being read its own thread, so a slow client holds one thread, not the
worker. Threads are bounded (`GUNICORN_THREADS` per worker): past that many clients that
trickle their headers, requests queue. Exposed to the internet, run behind a buffering
reverse proxy (nginx, a cloud load balancer) that only passes on complete requests; see
the README's "Running it for real".

Metrics: every worker is a process of its own, so they keep their metrics in files under
PROMETHEUS_MULTIPROC_DIR and /metrics sums them (vividly/observability/metrics.py). Unset,
this file makes a fresh temporary folder per run; set, the folder is emptied at start (never
share one between two gunicorn masters).

Every value can be overridden on the command line or by gunicorn's own GUNICORN_CMD_ARGS.
"""

import os
import shutil
import tempfile

# A plain `gunicorn vividly.wsgi:application` is the production recipe; `make run` and the
# test stack choose the local settings explicitly.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vividly.settings.production")

# Before any worker imports prometheus-client, which reads it once.
_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="vividly-prometheus-")

bind = os.environ.get("VIVIDLY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# Enough for 50 clients that trickle one byte a second to land on one worker and still
# leave threads for /healthz. Each busy thread may hold one database connection.
threads = int(os.environ.get("GUNICORN_THREADS", "64"))
# Connections a worker keeps (requests being read, answered or kept alive) before it stops
# accepting and leaves new ones to the other workers.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
# A request that keeps a thread this long gets its worker restarted (a hung dependency):
# every backing call here has a timeout of a few seconds, so 30 s is far past a healthy one.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# An idle kept-alive connection waits in the poller, not in a thread, and is closed after this.
keepalive = 5
# Bounded request heads: line, number of headers, size of each.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Signed links carry their signature in the query string: log the path only (%(U)s), never
# the request line (%(r)s) or the query (%(q)s).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
# The response's X-Request-ID ties each access line to the application's log lines.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s" %({x-request-id}o)s'


def on_starting(server) -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR: a previous run's files would be summed with this run's."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.unlink(os.path.join(directory, name))


def child_exit(server, worker) -> None:
    """Mark a dead worker's metric files (PROMETHEUS_MULTIPROC_DIR) so its live gauges leave the sums."""
    from vividly.observability.metrics import mark_process_dead

    mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """Remove the metrics folder this file made for the run (a given one is the caller's)."""
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
