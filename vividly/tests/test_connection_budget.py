"""The database pool of the production settings, and the connection budget `check --deploy` enforces."""

import ast

import pytest

from vividly.checks import connection_budget, database_connections_fit
from vividly.tests.test_settings_production import production, setting

POSTGRES = "postgres://vividly@db.internal:5432/vividly"
POSTGRESQL = "django.db.backends.postgresql"
# The checks only read DATABASES; no connection is opened with the overridden one.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

DEPLOYMENT = {
    "DEPLOY_WEB_INSTANCES": 4,
    "DEPLOY_WEB_WORKERS": 2,
    "DEPLOY_WEB_THREADS": 64,
    "DEPLOY_RQ_WORKERS": 6,
    "DEPLOY_OTHER_PROCESSES": 2,
    "DB_MAX_CONNECTIONS": 100,
    "DB_CONNECTION_BUDGET": 0.8,
}


def pooled(settings, *, min_size: int = 2, max_size: int = 8, **deployment) -> None:
    for name, value in {**DEPLOYMENT, **deployment}.items():
        setattr(settings, name, value)
    pool = {"min_size": min_size, "max_size": max_size}
    settings.DATABASES = {"default": {**settings.DATABASES["default"], "ENGINE": POSTGRESQL, "OPTIONS": {"pool": pool}}}


def test_a_deployment_within_the_budget_passes(settings):
    pooled(settings)  # 4 x 2 x 8 + (6 + 2) x 2 = 80 = 80% of 100
    budget = connection_budget()
    assert (budget.web, budget.single_threaded, budget.limit) == (64, 16, 80)
    assert database_connections_fit() == []


def test_one_connection_over_the_budget_fails(settings):
    pooled(settings, min_size=1, DEPLOY_RQ_WORKERS=15)  # 4 x 2 x 8 + (15 + 2) x 1 = 81
    (error,) = database_connections_fit()
    assert error.id == "vividly.E002"
    assert "81 database connections" in error.msg and "80" in error.msg


def test_larger_pools_or_more_instances_fail(settings):
    pooled(settings, max_size=10)  # 4 x 2 x 10 = 80 from the web alone, + 16
    assert [error.id for error in database_connections_fit()] == ["vividly.E002"]
    pooled(settings, DEPLOY_WEB_INSTANCES=5)
    assert [error.id for error in database_connections_fit()] == ["vividly.E002"]


def test_sqlite_has_no_connection_budget(settings):
    pooled(settings, DEPLOY_WEB_INSTANCES=50)
    settings.DATABASES = {"default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"}}
    assert connection_budget().total > connection_budget().limit
    assert database_connections_fit() == []


def test_a_bigger_database_makes_room(settings):
    pooled(settings, max_size=10, DB_MAX_CONNECTIONS=200)
    assert database_connections_fit() == []


def test_without_a_pool_every_web_thread_may_hold_a_connection(settings):
    for name, value in DEPLOYMENT.items():
        setattr(settings, name, value)
    settings.DATABASES = {"default": {**settings.DATABASES["default"], "ENGINE": POSTGRESQL, "OPTIONS": {}}}
    budget = connection_budget()
    assert (budget.web, budget.single_threaded) == (4 * 2 * 64, 8)
    assert [error.id for error in database_connections_fit()] == ["vividly.E002"]


def test_production_pools_postgresql_connections_from_the_environment(tmp_path):
    database = ast.literal_eval(
        setting(tmp_path, "DATABASES['default']", DATABASE_URL=POSTGRES, DB_POOL_MIN_SIZE="3", DB_POOL_MAX_SIZE="12")
    )
    assert database["OPTIONS"]["pool"] == {"min_size": 3, "max_size": 12, "timeout": 5.0}
    assert database["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool


def test_production_without_the_pool_for_pgbouncer(tmp_path):
    database = ast.literal_eval(
        setting(
            tmp_path, "DATABASES['default']", DATABASE_URL=POSTGRES, DB_POOL="false", DB_DISABLE_SERVER_SIDE_CURSORS="1"
        )
    )
    assert "pool" not in database.get("OPTIONS", {})
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_sqlite_is_never_pooled(tmp_path):
    database = ast.literal_eval(setting(tmp_path, "DATABASES['default']"))
    assert "pool" not in database["OPTIONS"]


@pytest.mark.parametrize(
    ("environment", "fails"),
    [
        ({}, False),  # the defaults pass: 2 x 2 x 8 + (2 + 2) x 2 = 40 <= 80
        ({"DEPLOY_WEB_INSTANCES": "10"}, True),  # 160 + 8
        ({"DEPLOY_WEB_INSTANCES": "10", "DB_MAX_CONNECTIONS": "300"}, False),
    ],
)
def test_check_deploy_enforces_the_budget(tmp_path, environment, fails):
    result = production(
        tmp_path,
        "manage.py",
        "check",
        "--deploy",
        DATABASE_URL=POSTGRES,
        SENDGRID_API_KEY="SG.test",
        SENDGRID_WEBHOOK_SECRET="sendgrid:secret",
        **environment,
    )
    assert ("vividly.E002" in result.stderr) is fails, result.stderr
