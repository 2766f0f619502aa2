"""The database unavailable for a moment: JSON 503s meanwhile, recovery by itself after."""

import sqlite3

import psycopg
import pytest
from django.db import connection

from cache_app.tests.factories import store_body

pytestmark = pytest.mark.django_db(transaction=True)

STORE = "/internal/v1/cache/store"


class Outage:
    """Make the test database refuse work, the way each engine really fails."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.holder: sqlite3.Connection | None = None

    def begin(self) -> None:
        if self.vendor == "sqlite":
            # Another process holding the write lock: writers time out with "database is locked".
            connection.close()
            connection.settings_dict["OPTIONS"]["timeout"] = 0.2
            self.holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
            self.holder.execute("BEGIN EXCLUSIVE")
        else:
            self.admin("ALTER DATABASE {db} ALLOW_CONNECTIONS false")
            self.admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' "
                "AND pid <> pg_backend_pid()"
            )
        connection.close()

    def end(self) -> None:
        if self.vendor == "sqlite":
            self.holder.execute("ROLLBACK")
            self.holder.close()
            connection.settings_dict["OPTIONS"]["timeout"] = 20
        else:
            self.admin("ALTER DATABASE {db} ALLOW_CONNECTIONS true")

    def admin(self, statement: str) -> None:
        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"],
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(statement.format(db=settings["NAME"]))


def test_requests_fail_with_json_503_then_recover(service_client):
    assert service_client.post(STORE, store_body(), format="json").status_code == 201
    outage = Outage()
    outage.begin()
    try:
        response = service_client.post(STORE, store_body(), format="json")
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "database_unavailable"
        assert int(response["Retry-After"]) > 0
    finally:
        outage.end()
    assert service_client.post(STORE, store_body(), format="json").status_code == 201
