"""The append-only, hash-chained audit trail.

hash = sha256(prev_hash + canonical JSON of the event); the first event's prev_hash is 64 zeros.
Events are appended under a lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: the
write lock every write transaction takes at BEGIN), so two writers cannot fork the chain.

A chain checked only against itself can be recomputed wholesale by anyone who can write to the
database, so the server also signs checkpoints ({length, head_hash, at}) with its token key, for
auditors to keep outside the system; verify_against() tells whether the chain, recomputed, still
reaches each one.
"""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import jwt
from flask import current_app
from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from . import record_state
from .db import session
from .keys import CHECKPOINT_KEYS, SIGNING_KID
from .models import AuditEvent
from .pages import filtered, keyset_page
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


def _payload(seq, at, actor, action, entity_type, entity_id, data, state_hash=None):
    payload = {
        "seq": seq,
        "at": iso_utc(at),
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "data": data,
    }
    # Absent (not null) when there is none, so events appended before it existed hash as before.
    if state_hash is not None:
        payload["state_hash"] = state_hash
    return payload


def compute_hash(prev_hash, payload):
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode()).hexdigest()


def _event_actor(event):
    return {
        "sub": event.actor_sub,
        "role": event.actor_role,
        "agency": event.actor_agency,
        "service": event.actor_service,
    }


def lock_chain():
    """Hold the chain's lock to the end of the transaction (PostgreSQL; SQLite's write
    transaction holds the write lock already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


_EVENTS = AuditEvent.__table__
# Built once (building a statement costs more than running it): every write appends an event.
_HEAD = select(_EVENTS.c.seq, _EVENTS.c.hash).order_by(_EVENTS.c.seq.desc()).limit(1)
_APPEND = insert(_EVENTS)
# session.info key: (transaction, seq, hash) of the last event this transaction appended.
_APPENDED = "mash.audit_appended"


def _head():
    return session.execute(_HEAD).first()


@event.listens_for(Session, "after_transaction_end")
def _forget_appended(ended_session, transaction):
    """The transaction or savepoint that appended ending (committed or rolled back) drops the
    remembered head. (A flush's own sub-transaction ending leaves it.)"""
    appended = ended_session.info.get(_APPENDED)
    if appended is not None and appended[0] is transaction:
        del ended_session.info[_APPENDED]


def _innermost_transaction():
    own = session()
    return own.get_nested_transaction() or own.get_transaction()


def _chain_head():
    """(seq, hash) to append after. Once this transaction has appended an event it holds the
    chain's lock, so its own last event is the head: no need to lock and read it again. Only
    within the same (innermost) transaction: a savepoint begun or ended since reads it afresh."""
    current = _innermost_transaction()
    appended = session.info.get(_APPENDED)
    if appended is not None and appended[0] is current:
        return appended[1], appended[2]
    lock_chain()
    head = _head()
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def record(actor, action, entity_type, entity_id, data):
    """Append one event in the current transaction. Call it last in a write: it holds the lock.

    The event carries the hash of the named record's state as the transaction now sees it
    (api/record_state.py: the session is flushed first); an entity type that module does not
    know is refused. The event is written with one INSERT on the session's connection. The
    returned AuditEvent is a copy of what was written, not attached to the session."""
    # Normalise through JSON once, so what is stored is exactly what is hashed.
    data_text = canonical_json(data)
    data = json.loads(data_text)
    kind = record_state.kind_of(entity_type)
    state_hash = None if kind is None else record_state.current_state_hash(kind, entity_id)
    head_seq, prev_hash = _chain_head()
    seq = head_seq + 1
    at = now()
    actor_fields = actor.as_dict()
    values = {
        "seq": seq,
        "at": at,
        "actor_sub": actor.sub,
        "actor_role": actor.role,
        "actor_agency": actor.agency,
        "actor_service": actor.service,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "data": data_text,
        "prev_hash": prev_hash,
        "hash": compute_hash(
            prev_hash,
            _payload(seq, at, actor_fields, action, entity_type, str(entity_id), data, state_hash),
        ),
        "state_hash": state_hash,
    }
    connection = session.connection()
    connection.execute(_APPEND, values)
    session.info[_APPENDED] = (_innermost_transaction(), seq, values["hash"])
    return AuditEvent(**values)


@dataclass
class Verification:
    valid: bool
    length: int
    head_hash: str
    first_bad_seq: int | None
    # The recomputed hash at each length asked for, while the chain up to it still verified.
    hashes_at: dict = field(default_factory=dict, repr=False, compare=False)
    # The access log against the seals in the chain (api/sealing.py).
    access_log: object = None

    def as_dict(self):
        return {
            "valid": self.valid,
            "length": self.length,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "access_log": self.access_log.as_dict() if self.access_log else None,
        }


def verify(batch_size=2000, lengths=(), progress=None, start=None, reached=None):
    """Recompute the whole chain in seq order, streaming; report the first event that breaks it.
    Then recompute every seal of the access log over the access events now present.

    For each of `lengths`, also keep the hash the chain reaches there, so checking any number
    of checkpoints costs this one pass. `progress(n)` is told of the events read, batch by batch.

    `start` ({"length", "head_hash"}: a signed checkpoint's, or where an earlier verification
    got to) recomputes only the events after it, and only the seals after it: the event at that
    length must still hold that hash, and every later one chain from it. What came before is
    taken on the checkpoint's word (a checkpoint is signed; a position a job recorded is as
    trustworthy as the database it is in). `reached(length, head_hash)` is told, batch by batch,
    how far the chain has verified so far.
    """
    from .sealing import check_seals

    table = AuditEvent.__table__
    after = int(start["length"]) if start else 0
    stmt = select(table).where(table.c.seq > after) if after else select(table)
    rows = session.execute(
        stmt.order_by(table.c.seq).execution_options(yield_per=batch_size)
    )
    wanted = set(lengths)
    hashes_at = {0: GENESIS_HASH} if 0 in wanted else {}
    expected_seq, expected_prev = 1, GENESIS_HASH
    length, first_bad, head_hash = 0, None, GENESIS_HASH
    if after:
        expected_seq, expected_prev, length = after + 1, start["head_hash"], after
        head_hash = expected_prev
        stored = session.scalar(select(table.c.hash).where(table.c.seq == after))
        if stored != start["head_hash"]:
            first_bad = after
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
                        row.state_hash,
                    ),
                )
            except (TypeError, ValueError):
                recomputed = None
            if row.seq != expected_seq or row.prev_hash != expected_prev or recomputed != row.hash:
                first_bad = row.seq
            elif length in wanted:
                # Every event so far recomputes to its stored hash, so this is the recomputed one.
                hashes_at[length] = row.hash
        expected_seq, expected_prev, head_hash = row.seq + 1, row.hash, row.hash
        if (length - after) % batch_size == 0:
            if progress:
                progress(batch_size)
            if reached and first_bad is None:
                reached(length, head_hash)
    rows.close()
    if progress and (length - after) % batch_size:
        progress((length - after) % batch_size)
    seals = check_seals(progress=progress, after_seq=after)
    return Verification(first_bad is None and seals.valid, length, head_hash, first_bad, hashes_at,
                        seals)


# ---- signed checkpoints --------------------------------------------------------------------------

# Explicit typing (RFC 8725 section 3.11): an access token signed with the same key is never taken
# for a checkpoint, and a checkpoint (no sub, no role) is never accepted as an access token.
CHECKPOINT_TYPE = "mash-audit-checkpoint+jwt"
BAD_SIGNATURE = "bad signature"
NOT_A_CHECKPOINT = "not a checkpoint"
CHAIN_SHORTER = "chain shorter than checkpoint"
HASH_DIFFERS = "hash at length differs"
_HASH_TEXT = re.compile(r"[0-9a-f]{64}")


def chain_length():
    """How many events the chain holds (its head's seq)."""
    head = _head()
    return head.seq if head else 0


def sign_checkpoint():
    """A JWS of {length, head_hash, at, iss} for the chain's head now, signed with the token key.
    The seals of the access log are events of the chain, so a checkpoint covers them too.

    It signs the head as stored, in one indexed read, without recomputing the chain: checking a
    checkpoint recomputes the chain, and a head already tampered with never verifies against its
    own checkpoint, so signing one vouches for nothing.
    """
    config = current_app.config
    if not config.get("JWT_PRIVATE_KEY"):
        raise RuntimeError("No signing key: set JWT_PRIVATE_KEY to sign audit checkpoints.")
    head = _head()
    length, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    claims = {"length": length, "head_hash": head_hash, "at": iso_utc(now()),
              "iss": config["JWT_ISSUER"]}
    kid = current_app.extensions[SIGNING_KID]
    return jwt.encode(claims, config["JWT_PRIVATE_KEY"], algorithm=config["JWT_ALGORITHM"],
                      headers={"typ": CHECKPOINT_TYPE, **({"kid": kid} if kid else {})})


@dataclass(frozen=True)
class CheckpointCheck:
    valid: bool
    length: int | None
    reason: str | None

    def as_dict(self):
        return {"valid": self.valid, "length": self.length, "reason": self.reason}


def read_checkpoint(token):
    """(length, head_hash) of a checkpoint this server signed, or (None, reason) if it is not one.

    Only the signature is trusted: it is checked with the configured keys (the current ones and
    those retired for tokens, JWT_RETIRED_PUBLIC_KEYS, so a checkpoint outlives a key rotation)
    and algorithm, whatever the token's header says but its key id; then the type and claims,
    which only a signature makes worth reading.
    """
    config = current_app.config
    keys = current_app.extensions[CHECKPOINT_KEYS]
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None, BAD_SIGNATURE
    signed = None
    for key in ([keys[kid]] if kid in keys else [] if kid else list(keys.values())):
        try:
            signed = jwt.api_jws.decode_complete(token, key, algorithms=[config["JWT_ALGORITHM"]])
            break
        except jwt.PyJWTError:
            continue
    if signed is None:
        return None, BAD_SIGNATURE
    if str(signed["header"].get("typ", "")).lower() != CHECKPOINT_TYPE:
        return None, NOT_A_CHECKPOINT
    try:
        claims = json.loads(signed["payload"])
    except ValueError:
        return None, NOT_A_CHECKPOINT
    if not isinstance(claims, dict):
        return None, NOT_A_CHECKPOINT
    length, head_hash = claims.get("length"), claims.get("head_hash")
    if (
        claims.get("iss") != config["JWT_ISSUER"]
        or not isinstance(length, int) or isinstance(length, bool) or length < 0
        or not isinstance(head_hash, str) or not _HASH_TEXT.fullmatch(head_hash)
    ):
        return None, NOT_A_CHECKPOINT
    return (length, head_hash), None


def verify_against(tokens, batch_size=2000):
    """verify(), and for each checkpoint whether the chain, recomputed, still reaches its hash at
    its length (in the order given); one pass over the chain, however many checkpoints."""
    read = [read_checkpoint(token) for token in tokens]
    verification = verify(batch_size, lengths={claimed[0] for claimed, _ in read if claimed})
    checks = []
    for claimed, reason in read:
        if claimed is None:
            checks.append(CheckpointCheck(False, None, reason))
            continue
        length, head_hash = claimed
        if length > verification.length:
            checks.append(CheckpointCheck(False, length, CHAIN_SHORTER))
        elif verification.hashes_at.get(length) != head_hash:
            checks.append(CheckpointCheck(False, length, HASH_DIFFERS))
        else:
            checks.append(CheckpointCheck(True, length, None))
    return verification, checks


def _events(args):
    return filtered(select(AuditEvent), args, equal={
        "entity_type": AuditEvent.entity_type, "entity_id": AuditEvent.entity_id,
        "actor": AuditEvent.actor_sub,
    }, since={"since": AuditEvent.at})


def list_events(args):
    return keyset_page(_events(args), [AuditEvent.seq], limit=args["limit"], cursor=args.get("cursor"))


def stream_events(reading, args, batch_size=1000):
    """Every event matching `args` in seq order, read in batches through `reading` (a session)."""
    yield from reading.scalars(_events(args).order_by(AuditEvent.seq),
                               execution_options={"yield_per": batch_size})
