"""The same-work baseline bench/load.py measures the API against: a minimal Flask app that does
by hand, in one transaction, what POST /api/v1/contacts and GET /api/v1/contacts/{id} must
store and read, on the app's own tables (built by its migrations), served the same way
(gunicorn, same workers) on the same engine with the same settings (api.db.Database: SQLite WAL
+ synchronous=FULL, writers queued on the lock file beside the database before BEGIN IMMEDIATE;
PostgreSQL synchronous_commit=on).

No flask-smorest, marshmallow, JWT or rate limiter: the caller is one fixed agency client
(SAME_WORK_ACTOR), the body is taken as sent. SQLAlchemy Core on the models' tables (so the
values are stored exactly as the app stores them), statements built once.

POST /same-work/contacts, one transaction, one commit:
  the Idempotency-Key claimed (INSERT ... ON CONFLICT DO NOTHING; a key on record is replayed);
  the child looked up by its identifiers; the child's and the contact's reference numbers (the
  counters' UPDATE ... RETURNING); the child, the contact, its first consent record and the
  contact-child link inserted; the chain's lock taken (PostgreSQL: the advisory transaction
  lock api/audit.py takes; SQLite: the write transaction holds it from BEGIN) and its head read;
  child.recorded and contact.recorded appended, each hashed as api/audit.py hashes it (sha256
  of the previous hash and the canonical event); the key's record completed with the response.
GET /same-work/contacts/<id>: the contact with its children and its first consent record (what
  an agency sees) in one query, then its access event and the event's per-record rows (the
  contact and each child), as api/access.py writes them. PostgreSQL: one transaction. SQLite: a
  read transaction, then a write transaction for the event, as the app must: a read transaction
  cannot become a write one (SQLite refuses the upgrade if another writer committed meanwhile),
  and taking the write lock for the read would queue every read behind the writers.

    DATABASE_URL=... gunicorn --workers 2 bench.same_work:app
"""

import hashlib
import json
import os
import uuid
from datetime import UTC, date, datetime

from flask import Flask, Response, request
from sqlalchemy import bindparam, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from api.audit import CHAIN_LOCK_KEY, GENESIS_HASH, canonical_json, compute_hash, iso_utc
from api.config import Config
from api.db import Database
from api.models import (
    AccessEvent, AccessEventRecord, AuditEvent, Child, ConsentRecord, Contact, ContactChild,
    IdempotencyRecord, ReferenceCounter,
)
from api.timescales import deadline_after, london_date

# The one caller: an agency client, as bench/load.py's speed clients are (its rows are counted by
# this subject afterwards, to check the baseline did the work).
SAME_WORK_ACTOR = {"sub": "bench-same-work", "role": "agency", "agency": "wmp", "service": None}
PREFIX = "/same-work"

_CONTACTS, _CHILDREN, _LINKS = Contact.__table__, Child.__table__, ContactChild.__table__
_CONSENTS, _EVENTS, _KEYS = ConsentRecord.__table__, AuditEvent.__table__, IdempotencyRecord.__table__
_COUNTERS = ReferenceCounter.__table__
_ACCESS, _ACCESS_RECORDS = AccessEvent.__table__, AccessEventRecord.__table__

_FIND_KEY = select(_KEYS.c.request_hash, _KEYS.c.state, _KEYS.c.response_status,
                   _KEYS.c.response_body, _KEYS.c.response_headers).where(
    _KEYS.c.scope == bindparam("scope"), _KEYS.c.key == bindparam("key"))
_COMPLETE_KEY = update(_KEYS).where(_KEYS.c.id == bindparam("record_id")).values(
    state="completed", response_status=bindparam("status"), response_body=bindparam("body"),
    response_headers=bindparam("headers"), completed_at=bindparam("completed"))
_FIND_CHILD = select(_CHILDREN.c.id).where(or_(
    _CHILDREN.c.nhs_number == bindparam("nhs_number"),
    _CHILDREN.c.local_child_id == bindparam("local_child_id")))
_NEXT_NUMBER = (update(_COUNTERS)
                .where(_COUNTERS.c.prefix == bindparam("series"),
                       _COUNTERS.c.year == bindparam("series_year"))
                .values(last=_COUNTERS.c.last + 1).returning(_COUNTERS.c.last))
_INSERT_CONTACT, _INSERT_CONSENT = insert(_CONTACTS), insert(_CONSENTS)
_INSERT_LINK, _INSERT_EVENTS = insert(_LINKS), insert(_EVENTS)
_CHAIN_HEAD = select(_EVENTS.c.seq, _EVENTS.c.hash).order_by(_EVENTS.c.seq.desc()).limit(1)
_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:key)")

# The contact as an agency sees it: its row, each child as the agency described it (the link's
# details) and the first consent record, in one query.
_FIRST_CONSENT = (select(_CONSENTS.c.id).where(_CONSENTS.c.contact_id == _CONTACTS.c.id)
                  .order_by(_CONSENTS.c.recorded_at).limit(1).correlate(_CONTACTS)
                  .scalar_subquery())
_READ_CONTACT = (
    select(_CONTACTS, _LINKS.c.child_id, _LINKS.c.first_child_id, _LINKS.c.details,
           _CONSENTS.c.status.label("first_status"), _CONSENTS.c.given_by.label("first_given_by"),
           _CONSENTS.c.reason.label("first_reason"))
    .select_from(_CONTACTS.join(_LINKS, _LINKS.c.contact_id == _CONTACTS.c.id)
                 .outerjoin(_CONSENTS, _CONSENTS.c.id == _FIRST_CONSENT))
    .where(_CONTACTS.c.id == bindparam("contact_id"),
           _CONTACTS.c.recorded_by_role == "agency",
           _CONTACTS.c.source_agency == bindparam("agency"))
    .order_by(_LINKS.c.position)
)
_INSERT_ACCESS = insert(_ACCESS).returning(_ACCESS.c.id)
_INSERT_ACCESS_RECORDS = insert(_ACCESS_RECORDS)


def _dialect_inserts(dialect):
    make = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    claim = make(_KEYS).on_conflict_do_nothing(index_elements=[_KEYS.c.scope, _KEYS.c.key])
    child = make(_CHILDREN).on_conflict_do_nothing().returning(_CHILDREN.c.id)
    # A counter's first use in a year starts it; a concurrent first use is harmless.
    start = make(_COUNTERS).on_conflict_do_nothing()
    return claim.returning(_KEYS.c.id), child, start


def request_fingerprint(method, path, body):
    """What the key's record remembers of the request, as api/transactions.py computes it."""
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()


def chained(prev_seq, prev_hash, at, actor, events):
    """Audit rows for `events` ((action, entity_type, entity_id, data), in order) appended after
    (prev_seq, prev_hash): each hash is sha256(previous hash + the canonical event), as
    api/audit.py computes it and its verify() recomputes it."""
    rows = []
    for action, entity_type, entity_id, data in events:
        seq = prev_seq + 1
        payload = {"seq": seq, "at": iso_utc(at), "actor": actor, "action": action,
                   "entity_type": entity_type, "entity_id": entity_id, "data": data}
        event_hash = compute_hash(prev_hash, payload)
        rows.append({"seq": seq, "at": at, "actor_sub": actor["sub"], "actor_role": actor["role"],
                     "actor_agency": actor["agency"], "actor_service": actor["service"],
                     "action": action, "entity_type": entity_type, "entity_id": entity_id,
                     "data": canonical_json(data), "prev_hash": prev_hash, "hash": event_hash})
        prev_seq, prev_hash = seq, event_hash
    return rows


def _date(value):
    return date.fromisoformat(value) if value else None


def _json(value):
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, (date, uuid.UUID)):
        return str(value)
    raise TypeError(type(value).__name__)


def _agency_view(contact, children, consent):
    """The contact as the app shows it to the agency that sent it."""
    return {
        "id": contact["id"], "reference": contact["reference"], "status": contact["status"],
        "received_at": contact["received_at"], "recorded_at": contact["recorded_at"],
        "decision_due_at": contact["decision_due_at"], "source_agency": contact["source_agency"],
        "source_reference": contact["source_reference"], "referrer": contact["referrer"],
        "channel": contact["channel"],
        "concerns": {"categories": contact["concern_categories"],
                     "summary": contact["concern_summary"]},
        "current_outcome": None, "feedback": [], "children": children, "consent": consent,
    }


def create_same_work_app(url):
    app = Flask(__name__)
    database = Database(url, statement_timeout_ms=Config.STATEMENT_TIMEOUT_MS,
                        lock_timeout_ms=Config.LOCK_TIMEOUT_MS,
                        ping_after_idle_seconds=Config.DB_PING_AFTER_IDLE_SECONDS)
    engine = database.engine
    on_postgresql = database.dialect == "postgresql"
    claim_key, insert_child, start_counter = _dialect_inserts(database.dialect)
    actor = SAME_WORK_ACTOR

    def next_number(connection, series, year):
        values = {"series": series, "series_year": year}
        number = connection.execute(_NEXT_NUMBER, values).scalar()
        if number is None:
            connection.execute(start_counter, {"prefix": series, "year": year, "last": 0})
            number = connection.execute(_NEXT_NUMBER, values).scalar()
        return f"{series}-{year}-{number:06d}"

    @app.post(f"{PREFIX}/contacts")
    def record_contact():
        body = request.get_json()
        key = request.headers.get("Idempotency-Key")
        fingerprint = request_fingerprint(request.method, request.path, body)
        current = datetime.now(UTC)
        year = london_date(current).year
        received_at = datetime.fromisoformat(body["received_at"])
        given = body["children"][0]
        consent = body["consent"]
        with engine.begin() as connection:
            record_id = None
            if key is not None:
                record_id = connection.execute(claim_key, {
                    "id": uuid.uuid4(), "scope": actor["sub"], "key": key,
                    "request_hash": fingerprint, "state": "in_progress", "locked_at": current,
                }).scalar()
                if record_id is None:  # on record: a concurrent first waited for, or a retry
                    found = connection.execute(_FIND_KEY, {"scope": actor["sub"], "key": key}).one()
                    if found.request_hash != fingerprint:
                        return {"title": "Idempotency-Key reused with a different request"}, 422
                    if found.state != "completed":
                        return {"title": "A request with this Idempotency-Key is running"}, 409
                    replay = Response(found.response_body, status=found.response_status,
                                      headers=json.loads(found.response_headers or "{}"))
                    replay.headers["Idempotent-Replayed"] = "true"
                    return replay
            events = []
            identifiers = {"nhs_number": given.get("nhs_number"),
                           "local_child_id": given.get("local_child_id")}
            child_id = connection.execute(_FIND_CHILD, identifiers).scalar()
            if child_id is None:
                child = {
                    "id": uuid.uuid4(), "reference": next_number(connection, "CH", year),
                    "given_name": given["given_name"], "family_name": given["family_name"],
                    "date_of_birth": _date(given.get("date_of_birth")),
                    "expected_date_of_birth": _date(given.get("expected_date_of_birth")),
                    "sex": given.get("sex", "unknown"),
                    "ethnicity": given.get("ethnicity"), "nhs_number": given.get("nhs_number"),
                    "local_child_id": given.get("local_child_id"), "created_at": current,
                    "merged_into_id": None,
                }
                child_id = connection.execute(insert_child, child).scalar()
                if child_id is None:  # a concurrent contact recorded them a moment ago
                    child_id = connection.execute(_FIND_CHILD, identifiers).scalar_one()
                else:
                    events.append(("child.recorded", "child", str(child_id), child))
            contact = {
                "id": uuid.uuid4(), "reference": next_number(connection, "C", year),
                "received_at": received_at, "recorded_at": current,
                "source_agency": body["source_agency"],
                "source_reference": body.get("source_reference"), "channel": body.get("channel"),
                "referrer": body.get("referrer"),
                "concern_categories": body["concerns"].get("categories", []),
                "concern_summary": body["concerns"]["summary"],
                "consent_status": consent["status"], "consent_given_by": consent.get("given_by"),
                "consent_reason": consent.get("reason"), "status": "awaiting_decision",
                "decision_due_at": deadline_after(received_at, Config.DECISION_WORKING_DAYS,
                                                  Config.HOLIDAY_COUNTRY,
                                                  Config.HOLIDAY_SUBDIVISION),
                "feedback_given_at": None, "recorded_by_sub": actor["sub"],
                "recorded_by_role": actor["role"], "version": 1,
            }
            connection.execute(_INSERT_CONTACT, contact)
            connection.execute(_INSERT_CONSENT, {
                "id": uuid.uuid4(), "contact_id": contact["id"], "status": consent["status"],
                "given_by": consent.get("given_by"), "reason": consent.get("reason"),
                "recorded_at": current, "recorded_by_sub": actor["sub"],
                "recorded_by_role": actor["role"]})
            connection.execute(_INSERT_LINK, {"contact_id": contact["id"], "child_id": child_id,
                                              "first_child_id": child_id,
                                              "position": 0, "details": given})
            events.append(("contact.recorded", "contact", str(contact["id"]),
                           {**contact, "children": [str(child_id)]}))
            # The chain last, so its lock is held only for its own statements.
            if on_postgresql:
                connection.execute(_LOCK_CHAIN, {"key": CHAIN_LOCK_KEY})
            head = connection.execute(_CHAIN_HEAD).first()
            prev_seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
            connection.execute(_INSERT_EVENTS, chained(prev_seq, prev_hash, current, actor, events))
            location = f"{PREFIX}/contacts/{contact['id']}"
            first_consent = {"status": consent["status"], "given_by": consent.get("given_by"),
                             "reason": consent.get("reason")}
            answer = json.dumps(_agency_view(contact, [{"id": child_id, **given}], first_consent),
                                default=_json)
            headers = {"Location": location, "Content-Type": "application/json"}
            if record_id is not None:
                connection.execute(_COMPLETE_KEY, {
                    "record_id": record_id, "status": 201, "body": answer,
                    "headers": json.dumps(headers), "completed": current})
        return Response(answer, status=201, headers=headers)

    @app.get(f"{PREFIX}/contacts/<uuid:contact_id>")
    def read_contact(contact_id):
        at = datetime.now(UTC)
        read = {"contact_id": contact_id, "agency": actor["agency"]}
        if on_postgresql:
            with engine.begin() as connection:
                rows = connection.execute(_READ_CONTACT, read).all()
                _record_access(connection, contact_id, rows, at)
        else:
            reader = engine.connect().execution_options(sqlite_begin="DEFERRED")
            with reader as connection, connection.begin():
                rows = connection.execute(_READ_CONTACT, read).all()
            with engine.begin() as connection:
                _record_access(connection, contact_id, rows, at)
        if not rows:
            return {"title": "Not Found"}, 404
        first = rows[0]._mapping
        children = [{"id": row.first_child_id, **(row.details or {})} for row in rows]
        consent = ({"status": first["first_status"], "given_by": first["first_given_by"],
                    "reason": first["first_reason"]} if first["first_status"] else None)
        answer = json.dumps(_agency_view(first, children, consent), default=_json)
        return Response(answer, status=200, content_type="application/json")

    def _record_access(connection, contact_id, rows, at):
        child_ids = sorted({str(row.child_id) for row in rows})
        entity_id = str(contact_id)
        event_id = connection.execute(_INSERT_ACCESS, {
            "at": at, "actor_sub": actor["sub"], "actor_role": actor["role"],
            "actor_agency": actor["agency"], "actor_service": actor["service"], "token": "valid",
            "method": "GET", "endpoint": "same_work.read_contact", "path": request.path,
            "query": None, "status": 200 if rows else 404, "entity_type": "contact",
            "entity_id": entity_id, "record_ids": None, "child_ids": child_ids,
        }).scalar_one()
        connection.execute(_INSERT_ACCESS_RECORDS, [
            {"event_id": event_id, "record_id": record_id, "at": at}
            for record_id in sorted({entity_id, *child_ids})
        ])

    @app.get("/health")
    def health():
        return {"status": "ok"}

    app.extensions["same_work_engine"] = engine
    return app


app = create_same_work_app(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
