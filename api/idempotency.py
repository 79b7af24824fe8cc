"""The request's one commit, and Idempotency-Key replay for POST.

`@idempotent` wraps every write route. Without the header it runs the route and commits. With it:
the key is claimed (its own short transaction, so a concurrent duplicate sees it and gets 409),
the route runs, and the response is stored in the *same* transaction as the work, so a
replayed key always finds the response of work that landed, and never work without a response.
A request that fails releases its key: nothing was recorded, so a corrected retry may reuse it.
"""

import hashlib
import json
import uuid
from datetime import timedelta
from functools import wraps

from flask import Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy import bindparam, select, update

from .auth import current_actor
from .db import insert_unless_present, not_synced, session
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
_TAKE_OVER = (
    update(_RECORDS)
    .where(
        _RECORDS.c.id == bindparam("record_id"),
        _RECORDS.c.locked_at == bindparam("held_since"),
        _RECORDS.c.state == "in_progress",
    )
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
    """('replay', record) for a completed key, or ('run', record_id) once this request holds it."""
    new_session = current_app.extensions["db"].sessionmaker
    lock_for = timedelta(seconds=current_app.config["IDEMPOTENCY_LOCK_SECONDS"])
    for _attempt in range(3):
        with new_session() as claim:
            # The claim acknowledges nothing: lost in a crash, the key is free again and the work
            # (committed after it, waiting for the disk) was not done either. So its commit does
            # not wait for the disk; the work's commit makes it durable as well.
            connection = not_synced(claim)
            current = now()
            record_id = uuid.uuid4()
            # A new key is claimed by one INSERT; one already there is left as it is, and read.
            claimed = insert_unless_present(connection, _RECORDS, {
                "id": record_id, "scope": scope, "key": key, "request_hash": fingerprint,
                "state": "in_progress", "locked_at": current,
            }, conflict_on=("scope", "key"))
            if claimed:
                claim.commit()
                return "run", record_id
            # The key is on record (the INSERT waited for a concurrent claim of it to land).
            record = connection.execute(_FIND, {"claim_scope": scope, "claim_key": key}).first()
            if record is None:  # released a moment ago by a request that failed: claim again
                continue
            if record.request_hash != fingerprint:
                raise KeyReused(
                    "This Idempotency-Key was first used with a different request; "
                    "use a new key for a new request.",
                    errors={HEADER: ["Already used with a different request body or path."]},
                )
            if record.state == "completed":
                return "replay", record
            if current - record.locked_at < lock_for:
                raise KeyInUse(
                    "The first request with this Idempotency-Key has not finished; retry shortly.",
                    headers={"Retry-After": "2"},
                )
            # The holder vanished (crash) without landing anything: take the key over.
            taken = connection.execute(_TAKE_OVER, {
                "record_id": record.id, "held_since": record.locked_at, "taken_at": current,
            }).rowcount
            claim.commit()
            if taken:
                return "run", record.id
    raise KeyInUse("This Idempotency-Key is contended; retry shortly.", headers={"Retry-After": "2"})


def _release(record_id):
    with current_app.extensions["db"].sessionmaker() as release:
        release.execute(
            IdempotencyRecord.__table__.delete().where(
                IdempotencyRecord.id == record_id, IdempotencyRecord.state == "in_progress"
            )
        )
        release.commit()


def _replay(record):
    response = Response(record.response_body, status=record.response_status)
    for name, value in json.loads(record.response_headers or "{}").items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(func):
    """Run a write route as one transaction; honour Idempotency-Key."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            response = func(*args, **kwargs)
            session.commit()
            return response
        if not _valid_key(key):
            raise RuleViolation(HEADER, "Must be 1 to 255 printable ASCII characters.")
        outcome, claimed = _claim(current_actor().sub, key, request_fingerprint())
        if outcome == "replay":
            return _replay(claimed)
        try:
            response = func(*args, **kwargs)
            if response.status_code >= 400:
                session.rollback()
                _release(claimed)
                return response
            # Completed in the work's own transaction: the record and the response land together.
            session.connection().execute(_COMPLETE, {
                "record_id": claimed,
                "status": response.status_code,
                "body": response.get_data(as_text=True),
                "headers": json.dumps(
                    {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
                ),
                "completed": now(),
            })
            session.commit()
        except BaseException:
            session.rollback()
            _release(claimed)
            raise
        return response

    wrapper._idempotent = True
    return Blueprint.doc(
        parameters=[
            {
                "in": "header",
                "name": HEADER,
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
                "description": "Makes a retry safe: the same key with the same body replays the "
                "first response (same id, same status, header Idempotent-Replayed: true); with a "
                "different body, 422; while the first request is still running, 409. Keys are "
                "scoped to the calling client and kept for replay. A request that failed leaves "
                "no trace, so its key may be used again.",
            }
        ],
        # Every write can meet a rule of the front door (422) or the record's current state or a
        # concurrent write (409), besides the key's own 422 and 409.
        responses={"409": "CONFLICT", "422": "UNPROCESSABLE_ENTITY"},
    )(wrapper)
