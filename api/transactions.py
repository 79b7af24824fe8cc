"""The request's one transaction: how a read or a write transaction is chosen, where a write's one
commit is, and Idempotency-Key replay.

Every route runs in one transaction, begun by `begin` before its caller is proven (the account
lookup is its first statement):
- a **write** (a route declared `writes=True`) runs as a write transaction (SQLite: BEGIN
  IMMEDIATE, so writers queue for the one write lock instead of failing to upgrade) and is
  committed once, by `run_write`, after the route has answered. A keyed POST claims its
  Idempotency-Key inside that same transaction, with one INSERT on the keys' unique index, and
  stores its response beside the work: one commit, one wait for the disk. A request that fails,
  or a worker killed mid-request, rolls the claim back with the work, so a retry runs at once.
  A concurrent duplicate waits for the first (PostgreSQL: on the unique index, at most
  LOCK_TIMEOUT_MS, then 409; SQLite: for the write lock, as every writer does) and then replays
  its response.
- a **read** runs as a read-only transaction (SQLite: no write lock), never committed, except
  that its access event is appended after it has answered (`appending_after_read`).
"""

import hashlib
import json
import uuid
from contextlib import contextmanager

from flask import Response, current_app, request
from psycopg.errors import LockNotAvailable
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError

from .caller import current_actor
from .db import insert_unless_present, session
from .declarations import current_declaration
from .engines import READ_ONLY
from .errors import Conflict, DomainError, RuleViolation
from .models import IdempotencyRecord
from .timescales import now

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("Location", "ETag", "Content-Type")


class KeyReused(DomainError):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


class KeyInUse(Conflict):
    slug = "idempotency-key-in-use"
    title = "A request with this Idempotency-Key is still running"


# ---- choosing the transaction ------------------------------------------------------------------


def begin(writes):
    """Begin the request's transaction: a write transaction for a write, else a read-only one.
    Where a test or command has one open on this thread's session already, the request joins it."""
    if session().in_transaction():
        return
    session.connection(execution_options=None if writes else READ_ONLY)


@contextmanager
def reading_session():
    """A read-only session of its own, for a body streamed after the request has answered (the
    request's session has ended by then), or for a command. Closed when the block ends.

    Such a read runs one statement per batch (the Annex A lists' counts of the batch's children
    over a time range the batch sets). psycopg prepares a statement on the server once it has
    run five times on a connection, and PostgreSQL may then plan it once for any parameters: a
    plan that scans a whole year of decisions for every batch. So on PostgreSQL this transaction
    plans every statement for its own parameters (SET LOCAL: this transaction only, and allowed
    in a read-only one, since it writes nothing)."""
    with current_app.extensions["db"].sessionmaker() as own:
        plan_each_statement(own.connection(execution_options=READ_ONLY))
        yield own


def plan_each_statement(connection):
    """PostgreSQL: plan every statement of this transaction for its own parameters (see
    reading_session); a batched read that runs in a transaction of its own (a job's) calls it."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


@contextmanager
def appending_after_read():
    """A session in which to append a record once a read has answered (its access event),
    committed when the block ends.

    PostgreSQL: the read's own transaction, when it is still sound and changed nothing, takes
    the record and commits it: one transaction per read. SQLite cannot write in a read
    transaction (it would have to take the write lock, and fails if another writer committed
    meanwhile), so there the read's transaction is ended and the record written in a write
    transaction of its own, as it is on PostgreSQL after a read that failed in the database."""
    request_session = session()
    transaction = request_session.get_transaction()
    if (transaction is not None and transaction.is_active
            and not current_app.extensions["db"].writers_lock_at_begin
            and not (request_session.new or request_session.dirty or request_session.deleted)):
        yield request_session
        request_session.commit()
        return
    session.remove()
    with current_app.extensions["db"].sessionmaker() as own:
        yield own
        own.commit()


# ---- a write and its one commit ----------------------------------------------------------------


def run_write(view, *args, **kwargs):
    """Run a write route and commit its work once; with an Idempotency-Key, claim the key in the
    same transaction and keep the response with the work, or replay the response of the
    request that used the key first."""
    key = request.headers.get(HEADER)
    claimed = None
    if key is not None:
        if not _valid_key(key):
            raise RuleViolation(HEADER, "Must be 1 to 255 printable ASCII characters.")
        claimed = _claim(current_actor().sub, key, request_fingerprint())
        if isinstance(claimed, Response):
            session.rollback()  # nothing to keep: end the transaction (and free SQLite's lock)
            return claimed
    response = view(*args, **kwargs)
    if response.status_code >= 400:
        session.rollback()
        return response
    if claimed is not None:
        _complete(claimed, response)
    session.commit()
    return response


def _valid_key(key):
    return 1 <= len(key) <= 255 and key.isascii() and key.isprintable()


def request_fingerprint():
    body = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):  # the route's parser answers 400
        canonical = body
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


# Built once (building a statement costs more than running it): every keyed write runs them.
_RECORDS = IdempotencyRecord.__table__
_FIND = select(_RECORDS).where(
    _RECORDS.c.scope == bindparam("claim_scope"), _RECORDS.c.key == bindparam("claim_key")
)
# A claim left unfinished by an earlier version of the API, which committed claims on their own.
_TAKE_OVER = (
    update(_RECORDS)
    .where(_RECORDS.c.id == bindparam("record_id"), _RECORDS.c.state == "in_progress")
    .values(locked_at=bindparam("taken_at"))
)
_COMPLETE = (
    update(_RECORDS)
    .where(_RECORDS.c.id == bindparam("record_id"))
    .values(
        state="completed",
        response_status=bindparam("status"),
        response_body=bindparam("body"),
        response_headers=bindparam("headers"),
        completed_at=bindparam("completed"),
    )
)


def _claim(scope, key, fingerprint):
    """The claimed record's id, in the request's transaction; or the replayed Response of the
    request that completed with this key first."""
    connection = session.connection()
    for _attempt in range(3):
        record_id = uuid.uuid4()
        try:
            # A new key is claimed by one INSERT. On PostgreSQL a concurrent request holding the
            # same key makes it wait until that request ends (LOCK_TIMEOUT_MS at most).
            claimed = insert_unless_present(connection, _RECORDS, {
                "id": record_id, "scope": scope, "key": key, "request_hash": fingerprint,
                "state": "in_progress", "locked_at": now(),
            }, conflict_on=("scope", "key"))
        except OperationalError as error:
            if isinstance(error.orig, LockNotAvailable):
                raise KeyInUse(
                    "The first request with this Idempotency-Key has not finished; retry shortly.",
                    headers={"Retry-After": "2"},
                ) from error
            raise
        if claimed:
            return record_id
        record = connection.execute(_FIND, {"claim_scope": scope, "claim_key": key}).first()
        if record is None:  # the first request failed and left nothing: claim it again
            continue
        if record.request_hash != fingerprint:
            raise KeyReused(
                "This Idempotency-Key was first used with a different request; "
                "use a new key for a new request.",
                errors={HEADER: ["Already used with a different request body or path."]},
            )
        if record.state == "completed":
            return _replay(record)
        taken = connection.execute(_TAKE_OVER, {"record_id": record.id, "taken_at": now()})
        if taken.rowcount:
            return record.id
    raise KeyInUse("This Idempotency-Key is contended; retry shortly.", headers={"Retry-After": "2"})


def _kept_body(response):
    """The body kept for replay: without the fields the route shows once (a new secret), which
    are kept as null."""
    body = response.get_data(as_text=True)
    declaration = current_declaration()
    if declaration is None or not declaration.shown_once:
        return body
    document = json.loads(body)
    for name in declaration.shown_once:
        if name in document:
            document[name] = None
    return json.dumps(document)


def _complete(record_id, response):
    """Store the response in the work's own transaction: the record and the work land together."""
    session.connection().execute(_COMPLETE, {
        "record_id": record_id,
        "status": response.status_code,
        "body": _kept_body(response),
        "headers": json.dumps(
            {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
        ),
        "completed": now(),
    })


def _replay(record):
    response = Response(record.response_body, status=record.response_status)
    for name, value in json.loads(record.response_headers or "{}").items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


KEY_DOCUMENTATION = {
    "parameters": [{
        "in": "header",
        "name": HEADER,
        "required": False,
        # Printable ASCII, space to tilde: what _valid_key accepts.
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
        "description": "1 to 255 printable ASCII characters (space to `~`; anything else is a "
        "422). Makes a retry safe: the same key with the same body replays the first "
        "response (same id, same status, header Idempotent-Replayed: true); with a different "
        "body, 422; while the first request is still running, the retry waits for it and then "
        "replays it, or gets 409 if it waits too long. Keys are scoped to the calling client and "
        "kept for replay. A request that failed leaves no trace, so its key may be used again.",
    }],
    # Every write can meet a rule of the front door (422) or the record's current state or a
    # concurrent write (409), besides the key's own 422 and 409.
    "responses": {"409": "CONFLICT", "422": "UNPROCESSABLE_ENTITY"},
}
