"""api.engines: PostgreSQL pooled connections are pinged before use only after being idle a while."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from api.db import Database
from tests.helpers import only_on

pytestmark = only_on("postgresql", "pooled PostgreSQL connections: SQLite's are files, not sockets")


def _terminate(url, pid):
    killer = create_engine(url, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


def _backend_pid(database):
    with database.engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def test_an_idle_connection_found_dead_is_replaced_before_use(fresh_database_url):
    database = Database(fresh_database_url, ping_after_idle_seconds=0)
    try:
        first = _backend_pid(database)
        _terminate(fresh_database_url, first)

        second = _backend_pid(database)  # no error: the ping found it dead, the pool replaced it

        assert second != first
    finally:
        database.engine.dispose()


def test_a_connection_back_in_use_at_once_is_not_pinged(fresh_database_url):
    database = Database(fresh_database_url, ping_after_idle_seconds=3600)
    try:
        first = _backend_pid(database)
        _terminate(fresh_database_url, first)

        # Not pinged, so the dead connection is used and the statement fails (a request would
        # answer 503); the pool then drops it, and the next use gets a new one.
        with pytest.raises(OperationalError):
            _backend_pid(database)
        assert _backend_pid(database) != first
    finally:
        database.engine.dispose()
