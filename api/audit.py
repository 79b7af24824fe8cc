"""The append-only, hash-chained audit trail.

hash = sha256(prev_hash + canonical JSON of the event); the first event's prev_hash is 64 zeros.
Events are appended under a lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: the
write lock every write transaction takes at BEGIN), so two writers cannot fork the chain.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import inspect, select, text

from .db import session
from .models import AuditEvent
from .pages import keyset_page
from .timescales import now

GENESIS_HASH = "0" * 64
# Any constant will do; it names "the audit chain" among PostgreSQL advisory locks.
CHAIN_LOCK_KEY = 7_426_001


def iso_utc(value):
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _json_default(value):
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} in an audit event")


def canonical_json(value):
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def snapshot(record, exclude=()):
    """The columns of a model instance, as audit data."""
    return {
        attr.key: getattr(record, attr.key)
        for attr in inspect(record).mapper.column_attrs
        if attr.key not in exclude
    }


def _payload(seq, at, actor, action, entity_type, entity_id, data):
    return {
        "seq": seq,
        "at": iso_utc(at),
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "data": data,
    }


def compute_hash(prev_hash, payload):
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode()).hexdigest()


def _event_actor(event):
    return {
        "sub": event.actor_sub,
        "role": event.actor_role,
        "agency": event.actor_agency,
        "service": event.actor_service,
    }


def _lock_chain():
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def record(actor, action, entity_type, entity_id, data):
    """Append one event in the current transaction. Call it last in a write: it holds the lock."""
    # Normalise through JSON once, so what is stored is exactly what is hashed.
    data_text = canonical_json(data)
    data = json.loads(data_text)
    _lock_chain()
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS_HASH)
    at = now()
    actor_fields = actor.as_dict()
    event = AuditEvent(
        seq=seq,
        at=at,
        actor_sub=actor.sub,
        actor_role=actor.role,
        actor_agency=actor.agency,
        actor_service=actor.service,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        data=data_text,
        prev_hash=prev_hash,
        hash=compute_hash(
            prev_hash,
            _payload(seq, at, actor_fields, action, entity_type, str(entity_id), data),
        ),
    )
    session.add(event)
    session.flush()
    return event


@dataclass
class Verification:
    valid: bool
    length: int
    head_hash: str
    first_bad_seq: int | None

    def as_dict(self):
        return {
            "valid": self.valid,
            "length": self.length,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
        }


def verify(batch_size=2000):
    """Recompute the whole chain in seq order, streaming; report the first event that breaks it."""
    table = AuditEvent.__table__
    rows = session.execute(
        select(table).order_by(table.c.seq).execution_options(yield_per=batch_size)
    )
    expected_seq, expected_prev = 1, GENESIS_HASH
    length, first_bad, head_hash = 0, None, GENESIS_HASH
    for row in rows:
        length += 1
        if first_bad is None:
            try:
                data = json.loads(row.data)
                recomputed = compute_hash(
                    row.prev_hash,
                    _payload(
                        row.seq,
                        row.at,
                        _event_actor(row),
                        row.action,
                        row.entity_type,
                        row.entity_id,
                        data,
                    ),
                )
            except (TypeError, ValueError):
                recomputed = None
            if row.seq != expected_seq or row.prev_hash != expected_prev or recomputed != row.hash:
                first_bad = row.seq
        expected_seq, expected_prev, head_hash = row.seq + 1, row.hash, row.hash
    rows.close()
    return Verification(first_bad is None, length, head_hash, first_bad)


def list_events(args):
    stmt = select(AuditEvent)
    if "entity_type" in args:
        stmt = stmt.where(AuditEvent.entity_type == args["entity_type"])
    if "entity_id" in args:
        stmt = stmt.where(AuditEvent.entity_id == args["entity_id"])
    if "actor" in args:
        stmt = stmt.where(AuditEvent.actor_sub == args["actor"])
    if "since" in args:
        stmt = stmt.where(AuditEvent.at >= args["since"])
    return keyset_page(stmt, [AuditEvent.seq], limit=args["limit"], cursor=args.get("cursor"))
