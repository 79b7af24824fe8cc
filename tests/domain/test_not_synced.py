"""api.db.not_synced: a transaction whose commit does not wait for the disk, and only that one."""

from api.db import Database, not_synced


def _setting(connection):
    if connection.dialect.name == "sqlite":
        return {1: "normal", 2: "full"}[connection.exec_driver_sql("PRAGMA synchronous").scalar()]
    return connection.exec_driver_sql("SHOW synchronous_commit").scalar()


def test_only_the_not_synced_transaction_skips_waiting_for_the_disk(fresh_database_url):
    database = Database(fresh_database_url)
    try:
        with database.sessionmaker() as claim:
            connection = not_synced(claim)
            used = connection.connection.dbapi_connection
            assert _setting(connection) in ("normal", "off")
            claim.commit()
        # The same pooled connection, next used for work that must wait for the disk.
        with database.sessionmaker() as work:
            connection = work.connection()
            assert connection.connection.dbapi_connection is used
            assert _setting(connection) in ("full", "on")
    finally:
        database.engine.dispose()
