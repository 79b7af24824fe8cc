"""Engine, session, declarative base, the UTC timestamp type and SQLite's settings."""

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import UTC

from flask import current_app
from sqlalchemy import DateTime, MetaData, create_engine, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import (
    DeclarativeBase, make_transient_to_detached, scoped_session, sessionmaker,
)
from sqlalchemy.types import TypeDecorator

try:
    import fcntl  # POSIX: the SQLite writers' queue (_WriterQueue) uses flock(2)
except ImportError:  # Windows: no queue; writers wait in SQLite's busy handler
    fcntl = None

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


SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option for a transaction whose commit need not wait for the disk: its record
# acknowledges nothing and is harmless to lose in a power cut (an Idempotency-Key's claim). Every
# later commit that does wait (all the others) makes it durable too, since both engines write one
# log in order: SQLite's WAL, PostgreSQL's WAL. See not_synced().
NOT_SYNCED = "mash_not_synced"


def not_synced(session):
    """Begin `session`'s transaction so that its commit does not wait for the disk (SQLite
    synchronous=NORMAL for it; PostgreSQL synchronous_commit=off for it). Returns its connection.
    Only for records whose loss in a crash changes nothing that was acknowledged."""
    connection = session.connection(execution_options={NOT_SYNCED: True})
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
    return connection


class _WriterQueue:
    """Writers to one SQLite file queue on an advisory lock file beside it (`<file>-writers`)
    before they take SQLite's write lock, and are woken by the kernel the moment it is free.

    Without it, a writer that finds the database locked sleeps in SQLite's busy handler (1, 2,
    5, 10 ... 100 ms steps) and looks again: the lock is free most of that time, so with two
    gunicorn workers the second writer waited several times as long as the first held the lock.
    SQLite's own lock stays the authority; this only orders the waiting. flock(2) is tied to the
    open file, so a killed holder's lock goes with it, each connection opens its own (threads
    queue as processes do), and a connection never carries one across a fork.
    A thread that already holds it through another connection does not queue behind itself, and
    a lock file that cannot be opened (another user's, a read-only directory) is not waited on:
    both fall back to SQLite's busy handler, as before."""

    def __init__(self, path):
        self.path = path
        self._this_thread = threading.local()

    def take(self, dbapi_connection):
        if getattr(self._this_thread, "holds", False):
            return
        fd = dbapi_connection.writer_fd
        if fd is None or dbapi_connection.writer_pid != os.getpid():
            try:
                # flock needs no write access: any user who may read the file may queue.
                fd = os.open(self.path, os.O_RDONLY | os.O_CREAT, 0o644)
            except OSError:
                return
            dbapi_connection.writer_fd, dbapi_connection.writer_pid = fd, os.getpid()
        fcntl.flock(fd, fcntl.LOCK_EX)
        dbapi_connection.writer_holding = True
        self._this_thread.holds = True

    def give(self, dbapi_connection):
        if dbapi_connection.writer_holding:
            dbapi_connection.writer_holding = False
            self._this_thread.holds = False
            fcntl.flock(dbapi_connection.writer_fd, fcntl.LOCK_UN)


class _QueuedConnection(sqlite3.Connection):
    """pysqlite's connection, giving the writers' queue back once its transaction has ended."""

    writer_queue = None  # set per database (a subclass each)
    writer_fd = writer_pid = None
    writer_holding = False

    def commit(self):
        try:
            super().commit()
        finally:
            self.writer_queue.give(self)

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.writer_queue.give(self)

    def close(self):
        try:
            self.writer_queue.give(self)
            if self.writer_fd is not None and self.writer_pid == os.getpid():
                os.close(self.writer_fd)
            self.writer_fd = None
        finally:
            super().close()


def _sqlite_writer_queue(url):
    """The connection class for a file database (None for an in-memory one, which has one
    process, and where flock(2) is missing)."""
    database = url.database
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    queue = _WriterQueue(os.path.abspath(database) + "-writers")
    return type("QueuedConnection", (_QueuedConnection,), {"writer_queue": queue})


def _configure_sqlite(engine, writer_queue=None):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Take transaction control away from pysqlite so SAVEPOINT works and BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged record survives a power cut
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        options = connection.get_execution_options()
        if options.get(NOT_SYNCED):
            # See NOT_SYNCED. SQLite takes the setting only outside a transaction, so it is set
            # before BEGIN, and put back when the connection returns to the pool.
            connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
            connection.info[NOT_SYNCED] = True
        # Writers take the write lock up front, so a concurrent writer waits (busy timeout)
        # instead of failing when it tries to upgrade a read snapshot. Reads opt out.
        mode = options.get("sqlite_begin", "IMMEDIATE")
        queue = writer_queue if mode == "IMMEDIATE" else None
        if queue is not None:
            queue.take(connection.connection.dbapi_connection)
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            if queue is not None:
                queue.give(connection.connection.dbapi_connection)
            raise

    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection, connection_record):
        if connection_record.info.pop(NOT_SYNCED, False):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()


# A pooled PostgreSQL connection idle longer than this is checked (one round trip) before use.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_idle_connections(engine, idle_seconds):
    """SQLAlchemy's pool_pre_ping, for connections that have been idle a while only.

    pool_pre_ping pings a connection every time it is taken from the pool: one round trip per
    session, three for a keyed write, which cost a quarter of a contact's CPU on a busy server.
    Under load a connection is back in use within milliseconds, and a server restart or a
    dropped idle connection is what a ping is for: so a connection idle more than `idle_seconds`
    is pinged, and a dead one replaced (DisconnectionError: the pool retries with a new one). A
    connection that dies while in use still fails that request (a 503, nothing recorded) and the
    pool then drops its other connections, as SQLAlchemy does without pre-ping."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, connection_record):
        connection_record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, connection_record, _proxy):
        idle_since = connection_record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # new, or back in use at once
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("pooled connection found dead") from error


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url, statement_timeout_ms=0, ping_after_idle_seconds=PING_AFTER_IDLE_SECONDS):
        self.url = make_url(url)
        options = {}
        connection_class = None
        if self.url.get_backend_name() == "sqlite":
            options = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
            connection_class = _sqlite_writer_queue(self.url)
            if connection_class is not None:
                options["connect_args"]["factory"] = connection_class
        elif self.url.get_backend_name() == "postgresql":
            # Set once per connection, so it costs no round trip per request.
            options["connect_args"] = {
                "options": "-c synchronous_commit=on -c timezone=UTC "
                f"-c statement_timeout={int(statement_timeout_ms)}"
            }
        # An error's message must not carry the statement's parameters: they are personal data,
        # and error messages end up in logs.
        self.engine = create_engine(self.url, hide_parameters=True, **options)
        if self.url.get_backend_name() == "sqlite":
            _configure_sqlite(self.engine, connection_class and connection_class.writer_queue)
        else:
            _ping_idle_connections(self.engine, ping_after_idle_seconds)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

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


def lift_statement_timeout(connection):
    """No statement timeout for the rest of this transaction (PostgreSQL; a no-op on SQLite): for
    operator jobs and migrations, which may rightly run long. SET LOCAL ends with the transaction,
    so a pooled connection goes back with the web requests' timeout."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")


def begin_read_only():
    """Start this session's transaction as a reader (SQLite: no write lock)."""
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})


@contextmanager
def reading_session():
    """A read-only session of its own, for a body streamed after the request has answered (the
    request's session has ended by then: see api/access.py). Closed when the body ends or the
    client goes away."""
    with current_app.extensions["db"].sessionmaker() as own:
        own.connection(execution_options={"sqlite_begin": "DEFERRED"})
        yield own


def init_app(app):
    database = Database(app.config["DATABASE_URL"], app.config.get("STATEMENT_TIMEOUT_MS", 0),
                        app.config.get("DB_PING_AFTER_IDLE_SECONDS", PING_AFTER_IDLE_SECONDS))
    app.extensions["db"] = database

    # Each request gets a fresh session, even when an app context outlives it (tests, CLI).
    @app.teardown_request
    def remove_request_session(_exc):
        session.remove()

    @app.teardown_appcontext
    def remove_session(_exc):
        session.remove()

    return database

