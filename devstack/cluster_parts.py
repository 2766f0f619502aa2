"""The pieces of `make cluster` that are not our own code: the balancer's configuration, the two
Redis servers' policies and a throwaway PostgreSQL made with `initdb` + `pg_ctl`."""

import glob
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from devstack.launcher import redis_server_binary

# Idempotent methods (RFC 9110 9.2.2): only these may be sent again to another instance after
# the first one failed mid-request; a POST may already have taken effect there.
IDEMPOTENT_METHODS = "GET HEAD OPTIONS PUT DELETE"


@dataclass(frozen=True)
class Ports:
    """Every port the topology listens on, from one base (a range of 50 is reserved per cluster)."""

    base: int

    @property
    def balancer(self) -> int:
        return self.base

    def web(self, index: int) -> int:
        return self.base + 1 + index

    @property
    def stats(self) -> int:
        return self.base + 9

    @property
    def hot_redis(self) -> int:
        return self.base + 11

    @property
    def queue_redis(self) -> int:
        return self.base + 12

    @property
    def sendgrid(self) -> int:
        return self.base + 20

    @property
    def postgres(self) -> int:
        return self.base + 30


def haproxy_config(ports: Ports, web_count: int) -> str:
    """Return HAProxy's configuration: health-checked round robin over the gunicorn instances.

    A connection that fails before the request was sent is retried (on another instance:
    `redispatch 1` moves every retry); a request that was sent and got no answer is retried only
    when its method is idempotent (`disable-l7-retry` for the rest), so a POST is never doubled.
    """
    servers = "\n".join(f"    server web{index + 1} 127.0.0.1:{ports.web(index)} check" for index in range(web_count))
    return f"""global
    maxconn 4096

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 5s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 502 503 504
    option forwardfor

frontend entry
    bind 127.0.0.1:{ports.balancer}
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    # A dead instance is out after two failed checks 0.5 s apart; back after two good ones.
    default-server inter 500ms fall 2 rise 2 maxconn 64
    http-request disable-l7-retry unless {{ method {IDEMPOTENT_METHODS} }}
{servers}

listen stats
    bind 127.0.0.1:{ports.stats}
    stats enable
    stats uri /
    stats refresh 2s
"""


def nginx_config(ports: Ports, web_count: int, folder: Path) -> str:
    """Return an nginx configuration doing what the HAProxy one does, for machines without HAProxy.

    nginx has no active health checks (that is nginx Plus); `max_fails`/`fail_timeout` take a
    failing instance out passively, and `proxy_next_upstream` is idempotent-only by default.
    """
    servers = "\n".join(
        f"        server 127.0.0.1:{ports.web(index)} max_fails=1 fail_timeout=5s;" for index in range(web_count)
    )
    return f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    upstream web {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{ports.balancer};
        location / {{
            proxy_pass http://web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_connect_timeout 1s;
        }}
    }}
}}
"""


def balancer_command(ports: Ports, web_count: int, folder: Path) -> tuple[str, list[str]]:
    """Write the balancer's configuration; return its name and the command that runs it in the foreground."""
    folder.mkdir(parents=True, exist_ok=True)
    if haproxy := shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin"):
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(ports, web_count))
        return "haproxy", [haproxy, "-db", "-f", str(config)]
    if nginx := shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin"):
        config = folder / "nginx.conf"
        config.write_text(nginx_config(ports, web_count, folder))
        return "nginx", [nginx, "-p", str(folder), "-c", str(config), "-g", "daemon off;"]
    raise SystemExit("no load balancer: apt-get install haproxy (or nginx)")


def redis_command(port: int, folder: Path, *, hot: bool, maxmemory: str) -> list[str]:
    """Return a redis-server command line with the production policy of its role.

    The hot tier may forget anything (`allkeys-lru` under `maxmemory`); the queue Redis holds
    jobs, rate limits and counters, so it refuses writes rather than evict (`noeviction`) and
    logs every write to its append-only file, fsynced each second.
    """
    folder.mkdir(parents=True, exist_ok=True)
    policy = (
        ["--maxmemory-policy", "allkeys-lru", "--appendonly", "no"]
        if hot
        else [
            "--maxmemory-policy",
            "noeviction",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
        ]
    )
    return [
        redis_server_binary(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(folder),
        "--save",
        "",
        "--maxmemory",
        maxmemory,
        *policy,
        "--logfile",
        str(folder / "redis.log"),
    ]


def postgres_binary(name: str) -> str:
    """Return `initdb` or `pg_ctl` from the distribution's PostgreSQL (newest first), else from PATH."""
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    if found := shutil.which(name):
        return found
    raise SystemExit(f"no {name}: set DATABASE_URL, or apt-get install postgresql")


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own under `folder`, on loopback `port`, trusting local connections."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.url = f"postgres://postgres@127.0.0.1:{port}/vividly"

    def start(self) -> "ThrowawayPostgres":
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            subprocess.run(
                as_postgres_user(
                    [postgres_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            as_postgres_user(
                [
                    postgres_binary("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.folder / "pg.log"),
                    "-o",
                    options,
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.create_database("vividly")
        return self

    def create_database(self, name: str) -> None:
        """Create database `name` unless it exists (createdb says so on stderr; nothing to do then)."""
        done = subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            capture_output=True,
            text=True,
        )
        if done.returncode and "already exists" not in done.stderr:
            raise RuntimeError(f"createdb {name} failed: {done.stderr}")

    def stop(self) -> None:
        subprocess.run(
            as_postgres_user([postgres_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    """Return once `condition()` is true; raise after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:g} s")
        time.sleep(0.1)
