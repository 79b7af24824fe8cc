"""SQLite's writers queue on a lock file beside the database (api.engines._WriterQueue), so a waiting
writer is woken when the write lock is free instead of sleeping in SQLite's busy handler."""

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from api.db import Database
from tests.helpers import only_on

ROOT = Path(__file__).resolve().parents[2]
pytestmark = only_on("sqlite", "SQLite's write lock: PostgreSQL locks rows")


@pytest.fixture
def sqlite_url(fresh_database_url):
    """The fresh database's URL: a file, since this module runs on SQLite alone."""
    return fresh_database_url


@pytest.fixture
def database(sqlite_url):
    database = Database(sqlite_url)
    yield database
    database.engine.dispose()


def _queue_path(url):
    return os.path.abspath(make_url(url).database) + "-writers"


def _queue_is_free(url):
    """True if nobody holds the writers' queue (tried from a descriptor of its own)."""
    fd = os.open(_queue_path(url), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def _impatient(connection):
    """SQLite gives up at once on a locked database, instead of after the 30 s busy timeout."""
    connection.connection.dbapi_connection.execute("PRAGMA busy_timeout=0")
    return connection


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_write_transaction_holds_the_queue_until_it_ends(database, sqlite_url, end):
    with database.engine.connect() as connection:
        transaction = connection.begin()
        assert not _queue_is_free(sqlite_url)
        getattr(transaction, end)()
        assert _queue_is_free(sqlite_url)


def test_a_read_transaction_does_not_queue(database, sqlite_url):
    reader = database.engine.connect().execution_options(sqlite_begin="DEFERRED")
    with reader as connection, connection.begin():
        connection.exec_driver_sql("SELECT 1").scalar()
        assert _queue_is_free(sqlite_url)


def test_a_waiting_writer_waits_in_the_queue_not_in_sqlite(database):
    """With no busy timeout at all, a second writer still gets the lock once the first commits:
    it waited in the queue. (Without the queue, SQLite refuses it at once: database is locked.)"""
    outcome = {}

    def second_writer():
        try:
            with _impatient(database.engine.connect()) as connection, connection.begin():
                connection.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE took the write lock
            outcome["ok"] = True
        except OperationalError as error:
            outcome["error"] = str(error)

    with database.engine.connect() as first, first.begin():
        first.exec_driver_sql("SELECT 1")
        waiter = threading.Thread(target=second_writer, daemon=True)
        waiter.start()
        waiter.join(0.5)  # still waiting for this transaction
        assert waiter.is_alive(), outcome
    waiter.join(30)
    assert outcome == {"ok": True}


def test_a_second_writer_in_the_same_thread_does_not_wait_on_itself(database, sqlite_url):
    """The thread holding the queue through one connection is refused by SQLite on a second one
    (as without the queue), rather than waiting for ever on its own lock."""
    outcome = {}

    def nested():
        with database.engine.connect() as first, first.begin():
            try:
                with _impatient(database.engine.connect()) as second, second.begin():
                    pass
            except OperationalError as error:
                outcome["error"] = str(error)

    worker = threading.Thread(target=nested, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the second connection waited on its own thread's lock"
    assert "locked" in outcome["error"]
    assert _queue_is_free(sqlite_url)


def test_a_writer_refused_by_sqlite_leaves_the_queue(database, sqlite_url):
    """A writer outside the queue (another program on the file) holds SQLite's lock: ours takes
    the queue, is refused by SQLite, and gives the queue back."""
    import sqlite3

    outsider = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    try:
        outsider.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="locked"):
            with _impatient(database.engine.connect()) as connection, connection.begin():
                pass
        assert _queue_is_free(sqlite_url)
    finally:
        outsider.execute("ROLLBACK")
        outsider.close()


def test_a_lock_file_that_cannot_be_opened_leaves_writers_to_sqlite(database, monkeypatch):
    """No queue (another user's lock file, a read-only directory): the write goes ahead, waiting
    in SQLite's busy handler as it would without the queue."""
    import api.engines

    def refused(*_args, **_kwargs):
        raise PermissionError("lock file not ours")

    monkeypatch.setattr(api.engines.os, "open", refused)
    with database.engine.connect() as connection, connection.begin():
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        assert not connection.connection.dbapi_connection.writer_holding


def test_without_flock_writers_are_left_to_sqlite(sqlite_url, monkeypatch):
    """Where flock(2) is missing (Windows) there is no queue, and writes go ahead."""
    import api.engines

    monkeypatch.setattr(api.engines, "fcntl", None)
    database = Database(sqlite_url)
    try:
        with database.engine.connect() as connection, connection.begin():
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
            assert not hasattr(connection.connection.dbapi_connection, "writer_holding")
    finally:
        database.engine.dispose()


def test_a_killed_holder_leaves_the_queue(sqlite_url):
    """A process killed inside a write transaction (a gunicorn worker, SIGKILL) holds nothing."""
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys\n"
            "from api.db import Database\n"
            "connection = Database(sys.argv[1]).engine.connect()\n"
            "connection.begin()\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()  # holds until killed (its stdin never ends before)\n"
        ), sqlite_url],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert not _queue_is_free(sqlite_url)
    finally:
        holder.kill()
        holder.wait(30)
        holder.stdin.close()
        holder.stdout.close()
    assert _queue_is_free(sqlite_url)
