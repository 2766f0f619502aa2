"""Deploy checks of the core: production must not fail open on its configuration."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

# Backends that keep mail on the machine (files, the console, memory) instead of sending it;
# the first is the local settings' default when SENDGRID_API_KEY is unset.
UNSENT_MAIL_BACKENDS = {
    "notifications_app.backends.EmlFileBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register("vividly", deploy=True)
def mail_is_really_sent(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Error when production would write each email to a file (or nowhere) instead of sending it."""
    if settings.EMAIL_BACKEND not in UNSENT_MAIL_BACKENDS:
        return []
    return [
        Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: emails would be kept on this machine, never sent.",
            hint="Set SENDGRID_API_KEY (and SENDGRID_WEBHOOK_SECRET or SENDGRID_WEBHOOK_VERIFICATION_KEY).",
            id="vividly.E001",
        )
    ]


@dataclass(frozen=True)
class ConnectionBudget:
    web: int  # every web instance's gunicorn workers, each with its pool (or one per thread)
    single_threaded: int  # RQ workers, the sweeper, CronJobs
    limit: int  # DB_CONNECTION_BUDGET of max_connections

    @property
    def total(self) -> int:
        return self.web + self.single_threaded


def connection_budget() -> ConnectionBudget:
    """Return the most connections the deployment described by the DEPLOY_* settings can hold."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if pool:
        # psycopg-pool's defaults when the pool is `True`: min_size 4, max_size = min_size.
        options = pool if isinstance(pool, dict) else {}
        min_size = options.get("min_size", 4)
        per_web_worker = options.get("max_size") or min_size
        # A single thread borrows one connection at a time, but the pool keeps min_size open.
        per_single_threaded = max(min_size, 1)
    else:
        # Without a pool every busy thread holds its own connection (kept for CONN_MAX_AGE).
        per_web_worker = settings.DEPLOY_WEB_THREADS
        per_single_threaded = 1
    return ConnectionBudget(
        web=settings.DEPLOY_WEB_INSTANCES * settings.DEPLOY_WEB_WORKERS * per_web_worker,
        single_threaded=(settings.DEPLOY_RQ_WORKERS + settings.DEPLOY_OTHER_PROCESSES) * per_single_threaded,
        limit=int(settings.DB_MAX_CONNECTIONS * settings.DB_CONNECTION_BUDGET),
    )


@register("vividly", deploy=True)
def database_connections_fit(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Error when every process at its most would need more connections than the database allows."""
    if not hasattr(settings, "DB_MAX_CONNECTIONS"):
        return []  # only the production settings describe a deployment
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        return []  # a file on one machine: no server whose connections could run out
    budget = connection_budget()
    if budget.total <= budget.limit:
        return []
    return [
        Error(
            f"The deployment may open {budget.total} database connections ({budget.web} from the web "
            f"processes, {budget.single_threaded} from workers, the sweeper and jobs), more than "
            f"{budget.limit} ({settings.DB_CONNECTION_BUDGET:.0%} of "
            f"DB_MAX_CONNECTIONS={settings.DB_MAX_CONNECTIONS}).",
            hint="Lower DB_POOL_MAX_SIZE, DEPLOY_WEB_INSTANCES or DEPLOY_WEB_WORKERS, raise PostgreSQL's "
            "max_connections, or put PgBouncer (transaction mode) in front; see the README's 'Operating it'.",
            id="vividly.E002",
        )
    ]
