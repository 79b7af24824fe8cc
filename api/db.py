"""The request's session, the declarative base, the UTC timestamp type, and writing records
without the unit of work. Each engine's own settings are in api/engines.py; which transaction a
request runs in, and its commit, in api/transactions.py."""

from datetime import UTC

from flask import current_app
from sqlalchemy import DateTime, MetaData, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import (
    DeclarativeBase, make_transient_to_detached, scoped_session, sessionmaker,
)
from sqlalchemy.types import TypeDecorator

from .engines import PING_AFTER_IDLE_SECONDS, create_tuned_engine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """An instant, stored in UTC. A naive datetime is refused rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused: {value!r}; give an offset")
        value = value.astimezone(UTC)
        # SQLite has no zone-aware type: keep UTC wall time, which sorts correctly as text.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url, migration_url=None, **tuning):
        """`tuning`: create_tuned_engine's settings (timeouts, the idle ping). `migration_url`:
        where migrations connect, as the role owning the tables (default: `url`)."""
        self.url = make_url(url)
        self.tuning = tuning
        self.engine = create_tuned_engine(self.url, **tuning)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.migration_url = make_url(migration_url) if migration_url else None
        self._migration_engine = None

    @property
    def migration_engine(self):
        """The engine migrations run on: the owner's, made on first use (no pool: a migration
        is rare, and leaves no connection behind), or the app's own."""
        if self.migration_url is None:
            return self.engine
        if self._migration_engine is None:
            # The app's timeouts too: migrations lift them (migrations/env.py), as on its own.
            self._migration_engine = create_tuned_engine(self.migration_url, pooled=False,
                                                         **self.tuning)
        return self._migration_engine

    @property
    def dialect(self):
        return self.engine.dialect.name

    @property
    def writers_lock_at_begin(self):
        """SQLite: a write transaction takes the one write lock at BEGIN, and a read transaction
        cannot become a write one. PostgreSQL: any transaction may write, and locks only rows."""
        return self.dialect == "sqlite"

    def bind_to(self, connection):
        """Run every session inside `connection`'s transaction, each commit a savepoint (tests)."""
        self.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")

    def unbind(self):
        self.sessionmaker.configure(bind=self.engine, join_transaction_mode="conservative_savepoint")


def _app_session():
    return current_app.extensions["db"].sessionmaker()


# The request's session: one per thread, removed when the app context ends.
session = scoped_session(_app_session)


def lock(record):
    """Re-read `record` under a row lock held to the end of the transaction (PostgreSQL FOR UPDATE;
    SQLite's write transaction already excludes other writers), so rules judge it as it now stands."""
    session.refresh(record, with_for_update=True)
    return record


_INSERTS = {}
_INSERTS_UNLESS_PRESENT = {}
_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _row(record, mapper):
    row = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        value = getattr(record, attr.key)
        if value is None and column.default is not None:
            # The model's default is not applied here: a record written this way sets it.
            raise ValueError(f"{mapper.class_.__name__}.{attr.key} must be set to be inserted")
        row[column.key] = value
    return row


def attach_as_stored(*records):
    """Records whose rows were just written by a statement join the session as stored, as if
    loaded by a query: no flush writes them again, and what they hold is what was written."""
    for record in records:
        make_transient_to_detached(record)
    for record in records:
        session.add(record)


def insert_records(*records):
    """Write new records with one INSERT per table (several rows: one executemany) on the
    session's connection, in the order their tables first appear, without the unit of work,
    whose bookkeeping costs more than the writes on a request's hot path; then attach them
    (attach_as_stored). Every column with a model default must be set on them, and their
    relationships to each other set as loaded (set_committed_value)."""
    connection = session.connection()
    rows = {}
    for record in records:
        mapper = type(record).__mapper__
        rows.setdefault(mapper.local_table, []).append(_row(record, mapper))
    for table, table_rows in rows.items():
        statement = _INSERTS.get(table)
        if statement is None:
            statement = _INSERTS[table] = insert(table)
        connection.execute(statement, table_rows if len(table_rows) > 1 else table_rows[0])
    attach_as_stored(*records)


def insert_unless_present(connection, table, values, conflict_on=()):
    """INSERT one row unless a row with the same unique values is there, or lands meanwhile
    from a concurrent transaction (ON CONFLICT DO NOTHING; on `conflict_on`'s columns if given,
    else on any unique constraint). True if this row was written. No savepoint is needed to
    survive the race: nothing fails. (RETURNING tells: psycopg gives no rowcount for it.)"""
    key = (table, connection.dialect.name, tuple(conflict_on))
    statement = _INSERTS_UNLESS_PRESENT.get(key)
    if statement is None:
        statement = _DIALECT_INSERT[connection.dialect.name](table).on_conflict_do_nothing(
            index_elements=[table.c[name] for name in conflict_on] or None
        ).returning(*table.primary_key.columns)
        _INSERTS_UNLESS_PRESENT[key] = statement
    return connection.execute(statement, values).first() is not None


def init_app(app):
    config = app.config
    database = Database(
        config["DATABASE_URL"],
        migration_url=config.get("MIGRATION_DATABASE_URL"),
        statement_timeout_ms=config.get("STATEMENT_TIMEOUT_MS", 0),
        lock_timeout_ms=config.get("LOCK_TIMEOUT_MS", 0),
        ping_after_idle_seconds=config.get("DB_PING_AFTER_IDLE_SECONDS", PING_AFTER_IDLE_SECONDS),
    )
    app.extensions["db"] = database

    # Each request gets a fresh session, even when an app context outlives it (tests, CLI).
    @app.teardown_request
    def remove_request_session(_exc):
        session.remove()

    @app.teardown_appcontext
    def remove_session(_exc):
        session.remove()

    return database

