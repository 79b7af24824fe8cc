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


class _AccessLog:
    """The access events from `after_id` on, in id order, with the records each touched: two
    streamed queries (the events, and their records), read once however many seals are checked
    against them. On PostgreSQL each is a server-side cursor, so a verification costs two queries
    for the whole access log, not two for each seal (a round trip each, most of a verification's
    time when seals are many)."""

    def __init__(self, after_id, to_id=None, batch_size=1000):
        events = select(_EVENTS).where(_EVENTS.c.id > after_id)
        records = select(_RECORDS.c.event_id, _RECORDS.c.record_id).where(
            _RECORDS.c.event_id > after_id)
        if to_id is not None:
            events = events.where(_EVENTS.c.id <= to_id)
            records = records.where(_RECORDS.c.event_id <= to_id)
        self.records = session.execute(
            records.order_by(_RECORDS.c.event_id, _RECORDS.c.record_id)
            .execution_options(yield_per=batch_size))
        self.events = session.execute(
            events.order_by(_EVENTS.c.id).execution_options(yield_per=batch_size))
        self.batch_size = batch_size
        self.position = after_id  # every event up to here has been read
        self.pending_record = next(self.records, None)
        self.pending_event = next(self.events, None)

    def digest_to(self, to_id, progress=None, digest=True):
        """(count, sha256 hex) over the events after the current position up to `to_id`; the
        position moves to `to_id`. `digest=False` only skips them (count, None)."""
        hashed = hashlib.sha256() if digest else None
        count = 0
        while self.pending_event is not None and self.pending_event.id <= to_id:
            row = self.pending_event
            touched = []
            while self.pending_record is not None and self.pending_record.event_id <= row.id:
                if self.pending_record.event_id == row.id:
                    touched.append(self.pending_record.record_id)
                self.pending_record = next(self.records, None)
            if hashed is not None:
                hashed.update(_event_text(row, touched).encode())
                hashed.update(b"\n")
            count += 1
            if progress and count % self.batch_size == 0:
                progress(self.batch_size)
            self.pending_event = next(self.events, None)
        if progress and count % self.batch_size:
            progress(count % self.batch_size)
        self.position = max(self.position, to_id)
        return count, hashed.hexdigest() if hashed is not None else None

    def close(self):
        self.events.close()
        self.records.close()


def digest_range(after_id, to_id, batch_size=1000, progress=None):
    """(count, sha256 hex) over the access events now present with after_id < id <= to_id,
    streamed: the events and the records they touched, each read in id order in batches."""
    log_ = _AccessLog(after_id, to_id, batch_size)
    try:
        return log_.digest_to(to_id, progress)
    finally:
        log_.close()


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


def access_events_to_check(after_seq=0):
    """How many access events a verification from the chain's position `after_seq` reads: those
    after what the seals up to that position sealed (all of them from the start)."""
    sealed_to = _sealed_to_before(after_seq) if after_seq else 0
    return session.scalar(select(func.count()).select_from(_EVENTS).where(_EVENTS.c.id > sealed_to))


def check_seals(batch_size=1000, progress=None, after_seq=0):
    """Recompute every seal over the access events now present: one pass over the seals and one
    over the access log, in id order (the log read once for all of them: _AccessLog). With
    `after_seq` (a verification from a checkpoint), only the seals after that position of the
    chain, and the access events they seal: the first of them is taken to start where the seals
    before it ended.

    A seal that does not start where the one before it ended (a gap, or an overlap) is bad; its
    own range is still recomputed apart, for the count, and the pass goes on after it."""
    batches = sealed = 0
    first_bad = None
    expected_after = None if after_seq else 0
    access_log = None
    seals = _seals(after_seq=after_seq)
    try:
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
            if access_log is None:
                access_log = _AccessLog(expected_after, batch_size=batch_size)
            if after_id == access_log.position:
                count, digest = access_log.digest_to(to_id, progress)
            else:  # not where the last seal ended: read its range apart, then go on past it
                count, digest = digest_range(after_id, to_id, batch_size, progress)
                access_log.digest_to(to_id, digest=False)
            sealed += count
            if first_bad is None and (after_id != expected_after or count != data.get("count")
                                      or digest != data.get("hash")):
                first_bad = seq
            expected_after = max(expected_after, to_id)
    finally:
        seals.close()
        if access_log is not None:
            access_log.close()
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
