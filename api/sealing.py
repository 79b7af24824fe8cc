"""The access log sealed into the audit chain, so that an access event removed or altered after
its batch was sealed is found.

A seal is an audit event (`access.sealed`, entity `access_log`/`access_events`) holding a range of
access event ids, `(after_id, to_id]`, how many events were in it and `hash`: sha256 over the
canonical JSON of each event in id order (every column, and the ids of the records it touched,
from access_event_records), one line each. Seals follow each other without gaps or overlaps;
being in the chain, they are covered by its hashes and by every signed checkpoint after them.

Which events a seal may cover: on PostgreSQL an access event's id is taken from a sequence when
it is inserted, so an event still being written can hold an id below one already committed. A
seal covers only events at least ACCESS_SEAL_LAG_SECONDS old (by their `at`): when every access
event is committed within half that after its `at` (a few statements, each within the statement
timeout), every event still unwritten holds an id above the seal's last. On SQLite writers take
turns, so nothing is in flight while a seal is taken.

`seal()` is run by a thread in each app process every ACCESS_SEAL_SECONDS (whether or not
requests come), by `flask audit seal` and at the start of `flask audit verify`. Sealers in several
processes take turns on the chain's lock and seal only what the last seal left.
"""

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from . import audit
from .caller import system_actor
from .db import session
from .models import AccessEvent, AccessEventRecord, AuditEvent
from .timescales import now

log = logging.getLogger(__name__)

ACTION = "access.sealed"
ENTITY_TYPE = "access_log"
ENTITY_ID = "access_events"
SEALER = "access-seal"

_EVENTS = AccessEvent.__table__
_RECORDS = AccessEventRecord.__table__


def _seals(reading=None, after_seq=0):
    """The seals in chain order (one index range: the chain's entity index), those after the
    chain's position `after_seq` only when it is given."""
    reading = reading or session
    return reading.execute(
        select(AuditEvent.seq, AuditEvent.data)
        .where(AuditEvent.entity_type == ENTITY_TYPE, AuditEvent.entity_id == ENTITY_ID,
               AuditEvent.action == ACTION, AuditEvent.seq > after_seq)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=500)
    )


def _last_sealed_id():
    row = session.execute(
        select(AuditEvent.data)
        .where(AuditEvent.entity_type == ENTITY_TYPE, AuditEvent.entity_id == ENTITY_ID,
               AuditEvent.action == ACTION)
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return json.loads(row.data)["to_id"] if row else 0


def _event_text(row, record_ids):
    values = dict(row._mapping)
    values["touched"] = record_ids
    return audit.canonical_json(values)


def digest_range(after_id, to_id, batch_size=1000, progress=None):
    """(count, sha256 hex) over the access events now present with after_id < id <= to_id,
    streamed: the events and the records they touched, each read in id order in batches."""
    digest = hashlib.sha256()
    count = 0
    records = session.execute(
        select(_RECORDS.c.event_id, _RECORDS.c.record_id)
        .where(_RECORDS.c.event_id > after_id, _RECORDS.c.event_id <= to_id)
        .order_by(_RECORDS.c.event_id, _RECORDS.c.record_id)
        .execution_options(yield_per=batch_size)
    )
    pending = next(records, None)
    events = session.execute(
        select(_EVENTS).where(_EVENTS.c.id > after_id, _EVENTS.c.id <= to_id)
        .order_by(_EVENTS.c.id).execution_options(yield_per=batch_size)
    )
    for row in events:
        touched = []
        while pending is not None and pending.event_id <= row.id:
            if pending.event_id == row.id:
                touched.append(pending.record_id)
            pending = next(records, None)
        digest.update(_event_text(row, touched).encode())
        digest.update(b"\n")
        count += 1
        if progress and count % batch_size == 0:
            progress(batch_size)
    if progress and count % batch_size:
        progress(count % batch_size)
    events.close()
    records.close()
    return count, digest.hexdigest()


def seal(lag_seconds=None):
    """Seal the access events not yet sealed and at least `lag_seconds` old, in one audit event
    appended in the current transaction (the caller commits). Returns the event, or None when
    there is nothing to seal."""
    from flask import current_app

    if lag_seconds is None:
        lag_seconds = current_app.config["ACCESS_SEAL_LAG_SECONDS"]
    audit.lock_chain()  # one sealer at a time; what the last seal left is read under the lock
    after_id = _last_sealed_id()
    cutoff = now() - timedelta(seconds=lag_seconds)
    to_id = session.scalar(
        select(func.max(_EVENTS.c.id)).where(_EVENTS.c.id > after_id, _EVENTS.c.at <= cutoff))
    if to_id is None:
        return None
    count, digest = digest_range(after_id, to_id)
    return audit.record(system_actor(SEALER), ACTION, ENTITY_TYPE, ENTITY_ID,
                        {"after_id": after_id, "to_id": to_id, "count": count, "hash": digest})


@dataclass
class SealCheck:
    valid: bool
    batches: int
    sealed: int
    unsealed: int
    # The first seal whose events are no longer as sealed, or that does not follow the one before.
    first_bad_seal_seq: int | None

    def as_dict(self):
        return {"valid": self.valid, "sealed_batches": self.batches, "sealed_events": self.sealed,
                "unsealed_events": self.unsealed, "first_bad_seal_seq": self.first_bad_seal_seq}


def count_access_events():
    return session.scalar(select(func.count()).select_from(_EVENTS))


def _sealed_to_before(after_seq):
    """The last access event id the seals up to the chain's position `after_seq` sealed."""
    last = session.execute(
        select(AuditEvent.data)
        .where(AuditEvent.entity_type == ENTITY_TYPE, AuditEvent.entity_id == ENTITY_ID,
               AuditEvent.action == ACTION, AuditEvent.seq <= after_seq)
        .order_by(AuditEvent.seq.desc()).limit(1)).scalar()
    try:
        return int(json.loads(last)["to_id"]) if last else 0
    except (ValueError, KeyError, TypeError):
        return 0


def check_seals(batch_size=1000, progress=None, after_seq=0):
    """Recompute every seal over the access events now present: one pass over the seals and one
    over the access log, in id order. With `after_seq` (a verification from a checkpoint), only
    the seals after that position of the chain, and the access events they seal: the first of
    them is taken to start where the seals before it ended."""
    batches = sealed = 0
    first_bad = None
    expected_after = None if after_seq else 0
    seals = _seals(after_seq=after_seq)
    for seq, data_text in seals:
        batches += 1
        try:
            data = json.loads(data_text)
            after_id, to_id = int(data["after_id"]), int(data["to_id"])
        except (ValueError, KeyError, TypeError):
            first_bad = first_bad or seq
            continue
        if expected_after is None:
            expected_after = after_id
        count, digest = digest_range(after_id, to_id, batch_size, progress)
        sealed += count
        if first_bad is None and (after_id != expected_after or count != data.get("count")
                                  or digest != data.get("hash")):
            first_bad = seq
        expected_after = max(expected_after, to_id)
    seals.close()
    if expected_after is None:  # no seal after the checkpoint: those before it are taken on its word
        expected_after = _sealed_to_before(after_seq)
    unsealed = session.scalar(
        select(func.count()).select_from(_EVENTS).where(_EVENTS.c.id > expected_after))
    if progress and unsealed:
        progress(unsealed)
    return SealCheck(first_bad is None, batches, sealed, unsealed, first_bad)


# ---- the sealer thread ------------------------------------------------------------------------


def seal_now(app, sessions=None):
    """One sealing, in a write transaction of its own, committed. `sessions`: the session
    factory to seal through (default: the app's)."""
    with app.app_context():
        if sessions is not None:
            session.registry.set(sessions())  # this thread's session, on the sealer's engine
        try:
            sealed = seal()
            session.commit()
            return sealed
        except Exception:
            session.rollback()
            raise
        finally:
            session.remove()


class Sealer(threading.Thread):
    """Seals the access log every `interval` seconds until stopped; errors are logged, and the
    next round tries again.

    It seals through an engine of its own without a pool (a connection for each round, closed
    after it), so a process that forks workers after starting it (gunicorn --preload) leaves
    them no connection of the sealer's."""

    def __init__(self, app, interval):
        from sqlalchemy.orm import sessionmaker

        from .engines import create_tuned_engine

        super().__init__(name="access-sealer", daemon=True)
        self.app, self.interval = app, interval
        database = app.extensions["db"]
        self.engine = create_tuned_engine(database.url, pooled=False, **database.tuning)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.interval):
            try:
                seal_now(self.app, self.sessions)
            except Exception:  # a sealer that dies seals nothing more: log it and go on
                log.exception("sealing the access log failed; trying again in %ss", self.interval)

    def stop(self):
        self.stopped.set()


def init_app(app):
    """Start the sealer thread when ACCESS_SEAL_SECONDS > 0 (TestConfig: 0), except in `flask`
    commands (each process serving requests runs one; `flask audit seal` seals on demand). A
    `flask` command is known by the ScriptInfo its group puts in the click context: the app built
    inside another click program (mutmut running the tests, say) still seals."""
    import click
    from flask.cli import ScriptInfo

    interval = app.config.get("ACCESS_SEAL_SECONDS", 0)
    context = click.get_current_context(silent=True)
    if interval <= 0 or (context is not None and context.find_object(ScriptInfo) is not None):
        return None
    sealer = Sealer(app, interval)
    sealer.start()
    app.extensions["access_sealer"] = sealer
    return sealer
