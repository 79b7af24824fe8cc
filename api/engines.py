"""Each engine's tuning: SQLite's settings and its writers' queue, PostgreSQL's timeouts and the
ping of a pooled connection that has been idle.

Nothing here knows about requests: api/db.py builds the app's engine with `create_tuned_engine`,
and api/transactions.py chooses each transaction's kind with `READ_ONLY`.
"""

import os
import sqlite3
import threading
import time

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool

try:
    import fcntl  # POSIX: the SQLite writers' queue (_WriterQueue) uses flock(2)
except ImportError:  # Windows: no queue; writers wait in SQLite's busy handler
    fcntl = None

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled PostgreSQL connection idle longer than this is checked (one round trip) before use.
PING_AFTER_IDLE_SECONDS = 10.0
# Execution options that begin a transaction as a reader: SQLite takes no write lock (BEGIN
# DEFERRED). PostgreSQL needs nothing: any transaction may write, and locks only rows.
READ_ONLY = {"sqlite_begin": "DEFERRED"}


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
        # Writers take the write lock up front, so a concurrent writer waits (in the queue, then
        # the busy timeout) instead of failing when it tries to upgrade a read snapshot. Reads
        # opt out (READ_ONLY).
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        queue = writer_queue if mode == "IMMEDIATE" else None
        if queue is not None:
            queue.take(connection.connection.dbapi_connection)
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            if queue is not None:
                queue.give(connection.connection.dbapi_connection)
            raise


def _ping_idle_connections(engine, idle_seconds):
    """SQLAlchemy's pool_pre_ping, for connections that have been idle a while only.

    pool_pre_ping pings a connection every time it is taken from the pool: one round trip per
    session, which cost a quarter of a contact's CPU on a busy server. Under load a connection
    is back in use within milliseconds, and a server restart or a dropped idle connection is
    what a ping is for: so a connection idle more than `idle_seconds` is pinged, and a dead one
    replaced (DisconnectionError: the pool retries with a new one). A connection that dies while
    in use still fails that request (a 503, nothing recorded) and the pool then drops its other
    connections, as SQLAlchemy does without pre-ping."""

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


def create_tuned_engine(url, *, statement_timeout_ms=0, lock_timeout_ms=0,
                        ping_after_idle_seconds=PING_AFTER_IDLE_SECONDS, pooled=True):
    """The engine for `url` (a SQLAlchemy URL object), with its engine's settings.

    PostgreSQL: `statement_timeout_ms` cancels a statement that runs longer (0: never), and
    `lock_timeout_ms` one that waits longer for a lock another transaction holds, such as a
    duplicate Idempotency-Key waiting for the first request to end (0: never). SQLite has
    neither: its writers queue (see _WriterQueue) and then wait up to its busy timeout.
    `pooled=False`: each connection is closed when given back (an engine used once in a while)."""
    options = {} if pooled else {"poolclass": NullPool}
    connection_class = None
    backend = url.get_backend_name()
    if backend == "sqlite":
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        connection_class = _sqlite_writer_queue(url)
        if connection_class is not None:
            options["connect_args"]["factory"] = connection_class
    elif backend == "postgresql":
        # Set once per connection, so it costs no round trip per request.
        options["connect_args"] = {
            "options": "-c synchronous_commit=on -c timezone=UTC "
            f"-c statement_timeout={int(statement_timeout_ms)} "
            f"-c lock_timeout={int(lock_timeout_ms)}"
        }
    # An error's message must not carry the statement's parameters: they are personal data,
    # and error messages end up in logs.
    engine = create_engine(url, hide_parameters=True, **options)
    if backend == "sqlite":
        _configure_sqlite(engine, connection_class and connection_class.writer_queue)
    else:
        _ping_idle_connections(engine, ping_after_idle_seconds)
    return engine


def lift_timeouts(connection):
    """No statement or lock timeout for the rest of this transaction (PostgreSQL; a no-op on
    SQLite): for operator jobs and migrations, which may rightly run long. SET LOCAL ends with
    the transaction, so a pooled connection goes back with the web requests' timeouts."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
