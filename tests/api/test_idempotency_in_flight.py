"""A keyed write is one transaction: its Idempotency-Key is claimed inside the write's own
transaction, so it costs one commit, a duplicate sent while the first runs waits for it and
replays it, and a worker killed mid-request leaves nothing behind. On a database of its own:
these need real commits and real concurrency."""

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select, text

import api.domain.contacts as contacts_domain
from api.models import Contact, IdempotencyRecord
from tests.helpers import ApiClient, build_app, contact_body, only_on, token_for

ROOT = Path(__file__).resolve().parents[2]
CONTACTS = "/api/v1/contacts"
KEY = "Idempotency-Key"


def _count(app, model):
    with app.extensions["db"].engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar()


def _writer(app):
    return ApiClient(app, token_for(app, "agency", sub="wmp-client", agency="wmp"))


@pytest.fixture
def fresh_app(fresh_database_url):
    apps = []

    def make(**overrides):
        app = build_app(fresh_database_url, **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["db"].engine.dispose()


class _Transactions:
    """Counts the transactions begun and committed on an engine while in use."""

    def __init__(self, engine):
        self.engine, self.begun, self.committed = engine, [], []
        # One bound method each: removing a listener needs the very object that was added.
        self._listeners = {"begin": self.begun.append, "commit": self.committed.append}

    def __enter__(self):
        for name, listener in self._listeners.items():
            sqlalchemy_event.listen(self.engine, name, listener)
        return self

    def __exit__(self, *_exc):
        for name, listener in self._listeners.items():
            sqlalchemy_event.remove(self.engine, name, listener)

    @property
    def counts(self):
        return len(self.begun), len(self.committed)


# ---- one transaction, one commit ----------------------------------------------------------------


def test_a_keyed_post_is_one_transaction_and_one_commit_on_either_engine(fresh_app):
    app = fresh_app()
    writer, key = _writer(app), uuid.uuid4().hex

    with _Transactions(app.extensions["db"].engine) as first:
        created = writer.post(CONTACTS, json=contact_body(), headers={KEY: key})
    with _Transactions(app.extensions["db"].engine) as again:
        replayed = writer.post(CONTACTS, json=contact_body(), headers={KEY: key})

    assert created.status_code == 201, created.json
    assert first.counts == (1, 1)  # the key's claim, the work and the response: one commit
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert again.counts == (1, 0)  # a replay reads the response and commits nothing
    assert (_count(app, Contact), _count(app, IdempotencyRecord)) == (1, 1)


def test_a_post_without_a_key_is_one_transaction_and_one_commit_too(fresh_app):
    app = fresh_app()

    with _Transactions(app.extensions["db"].engine) as write:
        created = _writer(app).post(CONTACTS, json=contact_body())

    assert created.status_code == 201, created.json
    assert write.counts == (1, 1)
    assert _count(app, IdempotencyRecord) == 0


# ---- a duplicate while the first request runs ---------------------------------------------------


class _HeldWork:
    """Holds the first request inside its work (its key claimed, nothing committed) until
    released; later requests run the work as usual."""

    def __init__(self, monkeypatch):
        self.in_work, self.release = threading.Event(), threading.Event()
        real = contacts_domain.record_contact
        self.held = False

        def record_contact(actor, data):
            contact = real(actor, data)
            if not self.held:
                self.held = True
                self.in_work.set()
                assert self.release.wait(60), "the test never released the first request"
            return contact

        monkeypatch.setattr(contacts_domain, "record_contact", record_contact)


def _send(app, key, answers, name):
    answers[name] = _writer(app).post(CONTACTS, json=contact_body(), headers={KEY: key})


def _until(condition, what, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting until {what}"
        threading.Event().wait(0.02)


def _a_request_waits_for_a_lock(app):
    """PostgreSQL: some backend of this database is waiting on a lock (the duplicate, on the
    first request's claim of the key)."""
    with app.extensions["db"].engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'")).scalar() > 0


def _second_is_waiting(app, second):
    if app.extensions["db"].dialect == "postgresql":
        _until(lambda: _a_request_waits_for_a_lock(app), "the duplicate waits on the key")
    else:
        # SQLite: the duplicate queues for the one write lock, which the first request holds;
        # whether it got there before the first ends or not, it must replay the first's answer.
        second.join(0.3)
    assert second.is_alive(), "the duplicate answered while the first request was still running"


def test_a_duplicate_sent_while_the_first_runs_waits_for_it_and_replays_its_answer(
        fresh_app, monkeypatch):
    app = fresh_app()
    held, key, answers = _HeldWork(monkeypatch), uuid.uuid4().hex, {}
    first = threading.Thread(target=_send, args=(app, key, answers, "first"))
    first.start()
    assert held.in_work.wait(30)
    second = threading.Thread(target=_send, args=(app, key, answers, "second"))
    second.start()
    _second_is_waiting(app, second)

    held.release.set()
    first.join(60)
    second.join(60)

    assert answers["first"].status_code == 201, answers["first"].json
    assert answers["second"].status_code == 201, answers["second"].json
    assert answers["second"].headers["Idempotent-Replayed"] == "true"
    assert answers["second"].json["id"] == answers["first"].json["id"]
    assert _count(app, Contact) == 1


@only_on("postgresql", "LOCK_TIMEOUT_MS is PostgreSQL's: on SQLite a duplicate waits for the "
                       "write lock as every writer does")
def test_a_duplicate_that_waits_longer_than_the_bound_gets_409_and_changes_nothing(
        fresh_app, monkeypatch):
    app = fresh_app(LOCK_TIMEOUT_MS=300)
    held, key, answers = _HeldWork(monkeypatch), uuid.uuid4().hex, {}
    first = threading.Thread(target=_send, args=(app, key, answers, "first"))
    first.start()
    assert held.in_work.wait(30)

    _send(app, key, answers, "impatient")
    held.release.set()
    first.join(60)
    _send(app, key, answers, "retry")

    impatient = answers["impatient"]
    assert impatient.status_code == 409, impatient.json
    assert impatient.json["type"].endswith("idempotency-key-in-use")
    assert int(impatient.headers["Retry-After"]) >= 1
    assert answers["first"].status_code == 201
    assert answers["retry"].headers["Idempotent-Replayed"] == "true"
    assert answers["retry"].json["id"] == answers["first"].json["id"]
    assert _count(app, Contact) == 1


# ---- a worker killed mid-request ----------------------------------------------------------------

_HOLDER = """
import sys

import api.domain.contacts as domain
from api import create_app
from tests.helpers import ApiClient, FakeClock, app_config, contact_body, token_for

app = create_app(app_config(sys.argv[1], FakeClock()))
real = domain.record_contact


def record_contact(actor, data):
    contact = real(actor, data)
    print("holding", flush=True)
    sys.stdin.read()  # holds the claim and the work, uncommitted, until killed
    return contact


domain.record_contact = record_contact
ApiClient(app, token_for(app, "agency", sub="wmp-client", agency="wmp")).post(
    "/api/v1/contacts", json=contact_body(), headers={"Idempotency-Key": sys.argv[2]})
"""


def test_a_worker_killed_holding_a_key_leaves_it_free_for_a_retry_at_once(fresh_app):
    """A retry within a second of the kill runs: on PostgreSQL a claim still held would make it
    wait LOCK_TIMEOUT_MS (here 1 s) and get 409; on SQLite it would wait for the write lock."""
    app = fresh_app(LOCK_TIMEOUT_MS=1000)
    url = app.config["DATABASE_URL"]
    key = uuid.uuid4().hex
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, url, key], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
    finally:
        holder.kill()
        holder.wait(30)
        holder.stdin.close()
        holder.stdout.close()

    retry = _writer(app).post(CONTACTS, json=contact_body(), headers={KEY: key})

    assert retry.status_code == 201, retry.json
    assert "Idempotent-Replayed" not in retry.headers
    assert (_count(app, Contact), _count(app, IdempotencyRecord)) == (1, 1)
