"""Scale: the long operations of the API (verifying the audit chain, the state check, exports and
Annex A lists as jobs, the metrics, a long chronology, deep pages, the access log) timed on a
realistic front door of a given size, with their peak memory.

    python -m bench.scale --contacts 100000 --engine sqlite
    python -m bench.scale --contacts 100000 --engine postgresql \\
        --url postgresql+psycopg://mash:mash@127.0.0.1:5432/mash_bench_scale
    python -m bench.scale --sizes 20000,100000 --engine sqlite    # and check the growth

Building (in a process of its own): bench/dataset.py's front door of --contacts contacts; then
one child given HOT_CONTACTS of those contacts (its chronology is timed); then the audit chain and
the access log, which bench/dataset.py does not write:

- the audit chain: the events the domain appends when these records are written (child.recorded,
  contact.recorded, contact.rag_rated, decision.recorded and decision.superseded, feedback.recorded,
  strategy_meeting.convened, transition.requested: about 4 a contact), in time order, each with
  data shaped as the domain's (snapshots of the rows as stored) and its hash computed by
  api/audit.py's own functions (compute_hash over _payload, GENESIS_HASH first). Their
  state_hash is null, as for events appended before revision 0013 (the state check reports those
  records as having no state recorded, which it still reads and counts);
- the access log: about 2.8 reads a contact (practitioners and managers reading the contact, some
  the child's chronology, some auditors months later), one child ("hot": the one with
  HOT_CONTACTS contacts) about 1% of reads, each with its access_event_records rows as
  api/access.py writes them; and the seals that put the access log into the chain (api/sealing.py:
  an access.sealed event every --seal-seconds of reads, covering the reads at least
  ACCESS_SEAL_LAG_SECONDS old, its digest computed as api/sealing.py computes it). The app seals
  every ACCESS_SEAL_SECONDS (60 s); the default here is an hour, fewer seals than the app makes.

The chain is written up to a day before NOW; a checkpoint is then signed through
GET /api/v1/audit/checkpoint; then the last day's events are appended, so "verify from
yesterday's checkpoint" has a day of events to verify. Rows go in bulk (COPY on PostgreSQL,
executemany on SQLite), on connections without the app's statement timeout.

Timing: each operation in a fresh process of its own (so the peak RSS, ru_maxrss, is that
operation's), through the app in-process: the Flask test client with real tokens
(api.auth.mint_token), or the domain function where that is what production runs (audit.verify,
jobs.run_one as a worker runs it). The verifications and the state check: one call, no
warm-up (long operations, run rarely, on a cold process); the export jobs and the reads: the
median of REPEAT calls, the first call's time also shown. Figures are printed; the run fails (exit 1) when an operation answers
5xx, a job fails or holds other than the rows expected, a verification is not valid, or (with
--sizes) an operation grows worse than linearly between two sizes: its time ratio above
GROWTH_TOLERANCE x the size ratio, counted only when it takes MIN_SECONDS_FOR_GROWTH or more at
the larger size (below that, the fixed costs of a call and the noise of a shared machine are
most of the figure).
"""

import argparse
import hashlib
import heapq
import itertools
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, func, select, update
from sqlalchemy.engine import make_url

from api.audit import GENESIS_HASH, _payload, canonical_json, compute_hash
from api.config import PROJECT_ROOT
from api.keys import generate_key_pair
from api.models import (
    AccessEvent,
    AccessEventRecord,
    AuditEvent,
    Child,
    Contact,
    ContactChild,
    Decision,
    Feedback,
    IcpcChild,
    InformationRequest,
    InformationRequestChild,
    MeetingChild,
    RagRating,
    StrategyMeeting,
    Transition,
)
from api.vocab import SYSTEM_ROLE

from .dataset import (
    MANAGERS,
    NOW,
    PRACTITIONERS,
    _sqlite_value,
    bench_app,
    count_contacts,
    generate,
    is_bench_database,
)

HOT_CONTACTS = 1000  # the contacts of the child whose chronology is timed
HOT_SHARE = 0.01  # of all reads, those of that child's record
AUDITORS = [f"mash-auditor-{i}" for i in range(1, 4)]
BENCH_READER = "bench-practitioner"
SEAL_SECONDS = 3600  # the app seals every ACCESS_SEAL_SECONDS (60); see --seal-seconds
SEAL_LAG_SECONDS = 30  # ACCESS_SEAL_LAG_SECONDS
CHECKPOINT_AGE = timedelta(days=1)  # "yesterday's checkpoint"
WRITE_BATCH = 20_000  # audit events a bulk write
GROWTH_TOLERANCE = 1.5
MIN_SECONDS_FOR_GROWTH = 0.5
PERIOD_12 = (date(2025, 11, 1), date(2026, 11, 1))  # the twelve complete London months before NOW
PERIOD_48 = (date(2022, 11, 1), date(2026, 11, 1))
ANNEX_A_LISTS = ("contacts", "referrals", "section-47")
PAGE = 500  # MAX_PAGE_SIZE
REPEAT = 3  # calls of a read or an export job of seconds or less: the median (the first apart)

_AUDIT_COLUMNS = [c.name for c in AuditEvent.__table__.columns]
_ACCESS_COLUMNS = [c.name for c in AccessEvent.__table__.columns]
_RECORD_COLUMNS = [c.name for c in AccessEventRecord.__table__.columns]


# ---- building -------------------------------------------------------------------------------------


def _loader_engine(url):
    """An engine of our own for the load: never the app's statement timeout (PostgreSQL), and
    transactions left to us (SQLite), foreign keys checked on both."""
    engine = create_engine(url)
    postgresql = engine.dialect.name == "postgresql"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        if postgresql:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
            dbapi_connection.commit()
        else:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
            dbapi_connection.execute("PRAGMA busy_timeout=60000")

    return engine


def concentrate(engine, wanted):
    """Give one child `wanted` of the contacts, spread over the five years (each contact's child
    link, and its information requests' and strategy meetings' children, moved to it). Returns
    (the child's id, how many contacts it now has).

    The children those contacts were about stay, some with no contact left (a merge would have
    recorded how; none is written). Transitions stay with their children (one open per child)."""
    with engine.begin() as connection:
        ids = connection.scalars(select(Contact.id).order_by(Contact.received_at, Contact.id)).all()
        step = max(len(ids) // wanted, 1)
        chosen = ids[::step][:wanted]
        hot = connection.scalar(select(ContactChild.child_id).where(
            ContactChild.contact_id == chosen[0], ContactChild.position == 0))
        for start in range(0, len(chosen), 500):
            some = chosen[start:start + 500]
            connection.execute(update(ContactChild).where(ContactChild.contact_id.in_(some))
                               .values(child_id=hot, first_child_id=hot))
            connection.execute(update(InformationRequestChild).where(
                InformationRequestChild.request_id.in_(
                    select(InformationRequest.id).where(InformationRequest.contact_id.in_(some))))
                .values(child_id=hot))
            meetings = select(StrategyMeeting.id).where(StrategyMeeting.contact_id.in_(some))
            connection.execute(update(MeetingChild).where(MeetingChild.meeting_id.in_(meetings))
                               .values(child_id=hot))
            connection.execute(update(IcpcChild).where(IcpcChild.meeting_id.in_(meetings))
                               .values(child_id=hot))
        count = connection.scalar(select(func.count()).select_from(ContactChild)
                                  .where(ContactChild.child_id == hot))
    return str(hot), count


def _actor(sub, role, agency=None, service=None):
    return {"sub": sub, "role": role, "agency": agency, "service": service}


SEALER = _actor("system:access-seal", SYSTEM_ROLE)


def _row(row, **changes):
    values = dict(row._mapping)
    values.update(changes)
    return values


class _BulkWriter:
    """Audit events, access events and their records, written in bulk on a connection of its own:
    COPY on PostgreSQL, executemany on SQLite (values as SQLAlchemy's column types store them)."""

    def __init__(self, engine):
        self.engine = engine
        self.postgresql = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.rows = {"access_events": [], "access_event_records": [], "audit_events": []}
        self.columns = {"access_events": _ACCESS_COLUMNS, "access_event_records": _RECORD_COLUMNS,
                        "audit_events": _AUDIT_COLUMNS}
        tables = {"access_events": AccessEvent.__table__,
                  "access_event_records": AccessEventRecord.__table__,
                  "audit_events": AuditEvent.__table__}
        self.convert = {}
        for name, table in tables.items():
            if self.postgresql:
                self.convert[name] = [
                    (lambda v: None if v is None else json.dumps(v))
                    if c.name in ("record_ids", "child_ids") else None for c in table.columns]
            else:
                self.convert[name] = [_sqlite_value(c) for c in table.columns]
        self.written = {name: 0 for name in self.rows}

    def add(self, table, values):
        self.rows[table].append(values)

    def _tuples(self, table):
        converts = [(i, f) for i, f in enumerate(self.convert[table]) if f is not None]
        out = []
        for values in self.rows[table]:
            row = [values[name] for name in self.columns[table]]
            for i, convert in converts:
                row[i] = convert(row[i])
            out.append(row)
        return out

    def flush(self):
        batch = [(table, self._tuples(table)) for table in self.rows if self.rows[table]]
        connection = self.raw.driver_connection
        if self.postgresql:
            with connection.cursor() as cursor:
                for table, tuples in batch:
                    with cursor.copy(f"COPY {table} ({', '.join(self.columns[table])}) FROM STDIN") as copy:
                        for row in tuples:
                            copy.write_row(row)
            connection.commit()
        else:
            connection.execute("BEGIN IMMEDIATE")
            for table, tuples in batch:
                names = self.columns[table]
                connection.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                    tuples)
            connection.execute("COMMIT")
        for table in self.rows:
            self.written[table] += len(self.rows[table])
            self.rows[table] = []

    def close(self):
        self.flush()
        if self.postgresql:
            with self.raw.driver_connection.cursor() as cursor:
                # The ids were given: the sequence goes on after the last.
                cursor.execute("SELECT setval(pg_get_serial_sequence('access_events', 'id'), "
                               "COALESCE((SELECT max(id) FROM access_events), 0) + 1, false)")
            self.raw.driver_connection.commit()
        self.raw.close()


def _timed(rows, kind, order, at):
    """(time, order, kind, serial, row) of each row: merged, the streams' rows in time order (and
    of the same time, in `order`: a child before the contact about it)."""
    for serial, row in enumerate(rows):
        yield row._mapping[at], order, kind, serial, row


class Chain:
    """The audit chain and the access log of the records already in the database, in time order:
    each kind of record read in the order of its time, the streams merged; the reads each record
    leads to kept in a heap until their time comes; a seal every `seal_seconds` of reads."""

    def __init__(self, engine, writer, hot_child, seal_seconds, seed):
        self.engine, self.writer = engine, writer
        self.hot_child, self.seal_seconds = hot_child, seal_seconds
        self.rng = random.Random(seed)
        # After the events already there (seeding the reference agencies appends some).
        with engine.connect() as connection:
            head = connection.execute(select(AuditEvent.seq, AuditEvent.hash)
                                      .order_by(AuditEvent.seq.desc()).limit(1)).first()
            self.access_id = connection.scalar(select(func.max(AccessEvent.id))) or 0
        self.seq, self.prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        self.last_sealed = self.access_id
        self.pending_reads, self.serial = [], itertools.count()
        self.unsealed = []  # (id, at, canonical text) of access events not yet sealed
        self.next_seal = None
        self.counts = {"audit_events": 0, "seals": 0, "access_events": 0,
                       "access_event_records": 0, "hot_child_reads": 0}
        self.hot_since = None

    # -- appending --

    def append(self, at, actor, action, entity_type, entity_id, data):
        """One audit event, hashed as api/audit.record hashes it (state_hash null)."""
        data_text = canonical_json(data)
        self.seq += 1
        entity_id = str(entity_id)
        digest = compute_hash(self.prev_hash, _payload(
            self.seq, at, actor, action, entity_type, entity_id, json.loads(data_text), None))
        self.writer.add("audit_events", {
            "seq": self.seq, "at": at, "actor_sub": actor["sub"], "actor_role": actor["role"],
            "actor_agency": actor["agency"], "actor_service": actor["service"], "action": action,
            "entity_type": entity_type, "entity_id": entity_id, "data": data_text,
            "prev_hash": self.prev_hash, "hash": digest, "state_hash": None,
        })
        self.prev_hash = digest
        self.counts["audit_events"] += 1
        if len(self.writer.rows["audit_events"]) >= WRITE_BATCH:
            self.writer.flush()

    def read(self, at, actor, endpoint, path, entity_type, entity_id, child_ids):
        """One access event (a read that answered 200), as api/access.record_access writes it."""
        self._seal_before(at)
        self.access_id += 1
        values = {
            "id": self.access_id, "at": at, "actor_sub": actor["sub"], "actor_role": actor["role"],
            "actor_agency": actor["agency"], "actor_service": actor["service"], "token": "valid",
            "method": "GET", "endpoint": endpoint, "path": path, "query": None, "status": 200,
            "entity_type": entity_type, "entity_id": entity_id, "record_ids": None,
            "child_ids": child_ids,
        }
        touched = sorted({entity_id, *child_ids})
        self.writer.add("access_events", values)
        for record_id in touched:
            self.writer.add("access_event_records",
                            {"event_id": self.access_id, "record_id": record_id, "at": at,
                             "actor_sub": actor["sub"]})
        # api/sealing.py: every column, and the records it touched in id order, one line each.
        self.unsealed.append((self.access_id, at, canonical_json({**values, "touched": touched})))
        if self.next_seal is None:
            self.next_seal = self._boundary_after(at + timedelta(seconds=SEAL_LAG_SECONDS))
        self.counts["access_events"] += 1
        self.counts["access_event_records"] += len(touched)

    def _boundary_after(self, at):
        step = self.seal_seconds
        return datetime.fromtimestamp((int(at.timestamp()) // step + 1) * step, UTC)

    def _seal_before(self, at):
        """The seals due before `at`: each covers the reads at least SEAL_LAG_SECONDS old."""
        while self.next_seal is not None and self.next_seal <= at:
            self.seal(self.next_seal)

    def seal(self, at):
        cutoff = at - timedelta(seconds=SEAL_LAG_SECONDS)
        count = 0
        while count < len(self.unsealed) and self.unsealed[count][1] <= cutoff:
            count += 1
        if count:
            digest = hashlib.sha256()
            for _id, _at, line in self.unsealed[:count]:
                digest.update(line.encode())
                digest.update(b"\n")
            to_id = self.unsealed[count - 1][0]
            self.append(at, SEALER, "access.sealed", "access_log", "access_events", {
                "after_id": self.last_sealed, "to_id": to_id, "count": count,
                "hash": digest.hexdigest()})
            self.counts["seals"] += 1
            self.last_sealed = to_id
            del self.unsealed[:count]
        self.next_seal = (self._boundary_after(self.unsealed[0][1] + timedelta(seconds=SEAL_LAG_SECONDS))
                          if self.unsealed else None)
        if self.next_seal is not None and self.next_seal <= at:
            self.next_seal = at + timedelta(seconds=self.seal_seconds)

    # -- the reads a contact leads to --

    def _later(self, at, seconds):
        return at + timedelta(seconds=seconds, microseconds=self.rng.randrange(1_000_000))

    def _schedule(self, at, read):
        if at <= NOW:
            heapq.heappush(self.pending_reads, (at, next(self.serial), read))

    def _contact_read(self, actor, contact_id, child_id):
        return (actor, "contacts.get_contact", f"/api/v1/contacts/{contact_id}", "contact",
                contact_id, [child_id])

    def _child_read(self, actor, child_id):
        return (actor, "children.child_chronology", f"/api/v1/children/{child_id}/chronology",
                "child", child_id, [child_id])

    def contact_reads(self, recorded_at, contact_id, child_id):
        """About three reads a contact: a practitioner soon after it arrives, a manager or
        practitioner around its decision, half the time the child's chronology, a third of the
        time an auditor weeks or months later; and (HOT_SHARE of reads) the hot child's record."""
        rng = self.rng
        staff = lambda: _actor(rng.choice(PRACTITIONERS), "practitioner", service="mash")
        self._schedule(self._later(recorded_at, rng.uniform(60, 7200)),
                       self._contact_read(staff(), contact_id, child_id))
        reader = (_actor(rng.choice(MANAGERS), "manager", service="mash") if rng.random() < 0.5
                  else staff())
        self._schedule(self._later(recorded_at, rng.lognormvariate(10, 1.0)),
                       self._contact_read(reader, contact_id, child_id))
        if rng.random() < 0.5:
            self._schedule(self._later(recorded_at, rng.uniform(300, 86400)),
                           self._child_read(staff(), child_id))
        if rng.random() < 0.3:
            auditor = _actor(rng.choice(AUDITORS), "auditor")
            self._schedule(self._later(recorded_at, rng.uniform(7, 180) * 86400),
                           self._contact_read(auditor, contact_id, child_id))
        # 2.8 reads a contact on average so far: the hot child's share of the total.
        if self.hot_since is not None and rng.random() < HOT_SHARE * 2.8 / (1 - HOT_SHARE):
            self._schedule(self._later(recorded_at, rng.uniform(60, 86400)),
                           self._child_read(staff(), self.hot_child))

    def reads_until(self, at):
        while self.pending_reads and self.pending_reads[0][0] <= at:
            read_at, _serial, (actor, endpoint, path, entity_type, entity_id, child_ids) = \
                heapq.heappop(self.pending_reads)
            self.read(read_at, actor, endpoint, path, entity_type, entity_id, child_ids)
            self.counts["hot_child_reads"] += entity_id == self.hot_child

    # -- the records, in time order --

    def _streams(self, connections):
        """(at, order, kind, serial, row) of every record that an event is about, oldest first."""
        first_child = (ContactChild.contact_id == Contact.id) & (ContactChild.position == 0)
        meeting_child = ((MeetingChild.meeting_id == StrategyMeeting.id)
                         & (MeetingChild.position == 0))
        queries = [
            ("child", 0, select(Child.__table__).order_by(Child.created_at, Child.id), "created_at"),
            ("contact", 1, select(Contact.__table__, ContactChild.child_id.label("child_id"))
             .join(ContactChild, first_child).order_by(Contact.recorded_at, Contact.id), "recorded_at"),
            ("rag", 2, select(RagRating.__table__, Contact.decision_due_at.label("due"))
             .join(Contact, Contact.id == RagRating.contact_id)
             .order_by(RagRating.rated_at, RagRating.id), "rated_at"),
            ("decision", 3, select(Decision.__table__).order_by(Decision.recorded_at, Decision.id),
             "recorded_at"),
            ("feedback", 4, select(Feedback.__table__).order_by(Feedback.recorded_at, Feedback.id),
             "recorded_at"),
            ("meeting", 5, select(StrategyMeeting.__table__, MeetingChild.child_id.label("child_id"))
             .join(MeetingChild, meeting_child)
             .order_by(StrategyMeeting.recorded_at, StrategyMeeting.id), "recorded_at"),
            ("transition", 6, select(Transition.__table__)
             .order_by(Transition.recorded_at, Transition.id), "recorded_at"),
        ]
        return heapq.merge(*(
            _timed(connection.execute(query), kind, order, at)
            for (kind, order, query, at), connection in zip(queries, connections, strict=True)))

    def _events_of(self, kind, row):
        at = row.recorded_at if kind not in ("child", "rag") else (
            row.created_at if kind == "child" else row.rated_at)
        staff = lambda sub: _actor(sub, "practitioner", service="mash")
        if kind == "child":
            self.append(at, staff(self.rng.choice(PRACTITIONERS)), "child.recorded", "child",
                        row.id, _row(row, merged_into_id=None))
            if str(row.id) == self.hot_child:
                self.hot_since = at
        elif kind == "contact":
            actor = (_actor(row.recorded_by_sub, "agency", agency=row.source_agency)
                     if row.recorded_by_role == "agency" else staff(row.recorded_by_sub))
            data = _row(row, status="awaiting_decision", version=1, feedback_given_at=None,
                        rag_rating=None)
            child_id = str(data.pop("child_id"))
            data["children"] = [child_id]
            self.append(at, actor, "contact.recorded", "contact", row.id, data)
            self.contact_reads(at, str(row.id), child_id)
        elif kind == "rag":
            self.append(at, staff(row.rated_by_sub), "contact.rag_rated", "contact", row.contact_id, {
                "rag_rating_id": row.id, "rating": row.rating, "reason": row.reason,
                "decision_due_at": {"from": None, "to": row.due}})
        elif kind == "decision":
            actor = _actor(row.decided_by_sub, row.decided_by_role, service=row.decided_by_service)
            self.append(at, actor, "decision.recorded", "decision", row.id,
                        _row(row, superseded_by_id=None, approved_by_sub=None, approved_at=None,
                             approval_note=None))
            if row.supersedes_id is not None:
                self.append(at, actor, "decision.superseded", "decision", row.supersedes_id,
                            {"superseded_by": row.id})
        elif kind == "feedback":
            self.append(at, staff(row.recorded_by_sub), "feedback.recorded", "feedback", row.id,
                        _row(row))
        elif kind == "meeting":
            data = _row(row, status="convened", held_at=None, outcome=None, rationale=None)
            data["children"] = [str(data.pop("child_id"))]
            self.append(at, staff(row.recorded_by_sub), "strategy_meeting.convened",
                        "strategy_meeting", row.id, data)
        elif kind == "transition":
            actor = _actor(row.requested_by_sub, row.requested_by_role,
                           service=row.requested_by_service)
            self.append(at, actor, "transition.requested", "transition", row.id,
                        _row(row, status="requested", response_by_sub=None, response_at=None,
                             response_decision=None, response_rationale=None,
                             working_days_to_response=None, withdrawn_by_sub=None,
                             withdrawn_at=None, withdrawal_reason=None))

    def run(self, until, at_until):
        """Append everything up to `until`, call `at_until()` (everything written so far is
        committed), then the rest up to NOW, and seal what is left."""
        connections = [self.engine.connect().execution_options(stream_results=True, yield_per=2000)
                       for _ in range(7)]
        cut = False
        try:
            for at, _order, kind, _serial, row in self._streams(connections):
                if not cut and at > until:
                    self._to(until)
                    self.writer.flush()
                    at_until()
                    cut = True
                self._to(at)
                self._events_of(kind, row)
        finally:
            for connection in connections:
                connection.close()
        if not cut:
            self._to(until)
            self.writer.flush()
            at_until()
        self._to(NOW)
        self.seal(NOW)
        self.writer.close()

    def _to(self, at):
        """The reads (and seals) due by `at`."""
        self.reads_until(at)
        self._seal_before(at)


def sidecar_path(url):
    """Where a build leaves what the timings need (the key pair that signed its checkpoint, the
    checkpoint, the hot child): beside the SQLite file, or under instance/bench for PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(f"{parsed.database}.scale.json")
    return PROJECT_ROOT / "instance" / "bench" / f"{parsed.database}.scale.json"


def build(url, contacts, seed=2026, seal_seconds=SEAL_SECONDS, hot_contacts=HOT_CONTACTS):
    """The front door (bench.dataset), one child with `hot_contacts` contacts, the audit chain and
    the access log, a checkpoint signed a day before NOW. Returns (and writes beside the database)
    what was built."""
    started = time.perf_counter()
    written = generate(url, contacts, seed)
    generated = time.perf_counter() - started
    private_key, public_key = generate_key_pair()
    engine = _loader_engine(url)
    hot_child, hot_count = concentrate(engine, min(hot_contacts, contacts // 3))
    app = bench_app(url, JWT_PRIVATE_KEY=private_key, JWT_PUBLIC_KEY=public_key,
                    ACCESS_SEAL_SECONDS=0)
    signed = {}

    def sign_checkpoint():
        from api.auth import mint_token

        with app.app_context():
            token, _ = mint_token(app, AUDITORS[0], "auditor")
        response = app.test_client().get("/api/v1/audit/checkpoint",
                                         headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise RuntimeError(f"GET /audit/checkpoint -> {response.status_code}")
        signed["checkpoint"] = response.get_json()["checkpoint"]
        signed["length"] = chain.seq

    chain_started = time.perf_counter()
    writer = _BulkWriter(engine)
    chain = Chain(engine, writer, hot_child, seal_seconds, seed)
    chain.run(NOW - CHECKPOINT_AGE, sign_checkpoint)
    chained = time.perf_counter() - chain_started
    with engine.connect() as connection:
        head = connection.scalar(select(func.max(AuditEvent.seq)))
    if head != chain.seq:  # another writer (a sealer thread, say) appended to the chain meanwhile
        raise RuntimeError(f"the chain's head is {head}, not {chain.seq}: something else wrote to it")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("SET statement_timeout = 0")
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    engine.dispose()
    app.extensions["db"].engine.dispose()
    built = {
        "contacts": contacts, "seed": seed, "seal_seconds": seal_seconds,
        "hot_child": hot_child, "hot_child_contacts": hot_count,
        "keys": [private_key, public_key], "checkpoint": signed["checkpoint"],
        "checkpoint_length": signed["length"], "chain_length": chain.seq,
        "rows": {**written["rows"], **chain.counts},
        "generate_seconds": round(generated, 1), "chain_seconds": round(chained, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    path = sidecar_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(built))
    return built


def reusable(url, contacts):
    """What an earlier build of `contacts` contacts left, if the database still holds it."""
    path = sidecar_path(url)
    if not path.exists() or count_contacts(url) != contacts:
        return None
    built = json.loads(path.read_text())
    return built if built.get("contacts") == contacts else None


# ---- timing -------------------------------------------------------------------------------------


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


class Failure(Exception):
    pass


class _Client:
    def __init__(self, app, sub, role, service=None):
        from api.auth import mint_token

        with app.app_context():
            token, _ = mint_token(app, sub, role, service=service, minutes=600)
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method, path, **kwargs):
        response = self.client.open(path, method=method, headers=self.headers, **kwargs)
        if response.status_code >= 500:
            raise Failure(f"{method} {path} -> {response.status_code}: "
                          f"{response.get_data(as_text=True)[:500]}")
        return response

    def get(self, path, expect=200, **kwargs):
        response = self.call("GET", path, **kwargs)
        if response.status_code != expect:
            raise Failure(f"GET {path} -> {response.status_code}: {response.get_data(as_text=True)[:500]}")
        return response.get_json()


class _Timer:
    """Times operations; a result row each: the median of `repeat` calls, and the first (cold)
    call's time apart."""

    def __init__(self):
        self.results = []

    def time(self, name, call, rows=None, note="", repeat=1):
        load = os.getloadavg()[0]
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            value = call()
            times.append(time.perf_counter() - started)
        self.add(name, statistics.median(times), rows(value) if callable(rows) else rows, note,
                 load, first=times[0], calls=repeat)
        return value

    def add(self, name, seconds, rows, note="", load=None, first=None, calls=1):
        self.results.append({
            "operation": name, "seconds": seconds, "first_seconds": seconds if first is None else first,
            "calls": calls, "rows": rows, "note": note, "rss_mb": _rss_mb(),
            "load": os.getloadavg()[0] if load is None else load})


def _run_job(app, client, path, body):
    """Queue a job through the API, run it as a worker does (jobs.run_one), and read it back."""
    from api import jobs

    queued = client.call("POST", path, json=body)
    if queued.status_code != 202:
        raise Failure(f"POST {path} -> {queued.status_code}: {queued.get_data(as_text=True)[:500]}")
    job_id = queued.get_json()["id"]
    with app.app_context():
        while (done := jobs.run_one("bench-worker")) is not None and str(done) != job_id:
            pass  # an older job left queued by an earlier run: done first, as a worker would
    job = client.get(f"/api/v1/jobs/{job_id}")
    if job["status"] != "finished":
        raise Failure(f"job {job['kind']} {job['status']}: {job.get('error')}")
    return job


def _count(app, stmt):
    from api.db import session

    with app.app_context():
        try:
            return session.scalar(stmt)
        finally:
            session.remove()


def _verified(job):
    """What a verification job recomputed: the audit events after where it started, and the
    access events of the seals among them. (The job's own `of` counts every access event, also
    for a verification from a checkpoint, which reads only those its seals cover.)"""
    report = job["result"]["report"]
    return report["length"] - job["result"]["from_length"] + report["access_log"]["sealed_events"]


def _period_query(period):
    return f"from={period[0].isoformat()}&to={period[1].isoformat()}"


def operation(name, url, built):
    """One operation in this (fresh) process: [{operation, seconds, rows, rss_mb, ...}]."""
    from api import audit, jobs  # noqa: F401 - jobs: its runners are registered on import
    from api.db import session
    from api.timescales import start_of_london_day

    private_key, public_key = built["keys"]
    app = bench_app(url, JWT_PRIVATE_KEY=private_key, JWT_PUBLIC_KEY=public_key,
                    ACCESS_SEAL_SECONDS=0)
    auditor = _Client(app, AUDITORS[0], "auditor")
    # Not one of the generated readers, so that the bench's own reads (logged too) stay out of
    # the access log's answers by actor.
    practitioner = _Client(app, BENCH_READER, "practitioner", service="mash")
    timer = _Timer()
    baseline = _rss_mb()
    chain_length = _count(app, select(func.max(AuditEvent.seq)))

    if name == "verify":
        def verify():
            with app.app_context():
                try:
                    return audit.verify()
                finally:
                    session.remove()
        result = timer.time("chain verify, full: audit.verify()", verify,
                            rows=lambda v: v.length + v.access_log.sealed,
                            note="audit events + sealed access events recomputed")
        if not result.valid or result.length != chain_length:
            raise Failure(f"audit.verify(): valid {result.valid}, length {result.length} of "
                          f"{chain_length}, first bad {result.first_bad_seq}, "
                          f"access log {result.access_log}")
    elif name == "verify_job":
        job = timer.time("chain verify, full: job", lambda: _run_job(
            app, auditor, "/api/v1/jobs/audit-verifications", {}),
            rows=_verified, note="audit events + sealed access events recomputed")
        report = job["result"]["report"]
        if not report["valid"] or job["done"] != job["of"] or report["length"] < chain_length:
            raise Failure(f"verification job: {job['result']}, done {job['done']} of {job['of']}")
    elif name == "verify_checkpoint":
        job = timer.time("chain verify from yesterday's checkpoint: job", lambda: _run_job(
            app, auditor, "/api/v1/jobs/audit-verifications", {"checkpoint": built["checkpoint"]}),
            rows=_verified, note="audit events after it + access events its seals cover")
        report = job["result"]["report"]
        if (not report["valid"] or job["result"]["from_length"] != built["checkpoint_length"]
                or job["done"] != job["of"]):
            raise Failure(f"verification from the checkpoint: {job['result']}")
    elif name == "verify_request":
        # What an auditor's GET does: verify in the request if the chain and the access log
        # hold at most VERIFY_SYNC_MAX_EVENTS events, else 422 use-a-job. gunicorn cuts a
        # request off after 30 s: a 200 that took longer would not reach the caller.
        answer = {}

        def call():
            response = auditor.call("GET", "/api/v1/audit/verify")
            answer["status"] = response.status_code
            return response.get_json()
        body = timer.time("chain verify in a request: GET /audit/verify", call,
                          rows=lambda body: body["length"] + body["access_log"]["sealed_events"]
                          if answer["status"] == 200 else 0,
                          note="audit events + sealed access events recomputed")
        timer.results[-1]["note"] += f" (answered {answer['status']}" + (
            f" {body.get('type', '').rsplit('/', 1)[-1]})" if answer["status"] != 200 else ")")
        if answer["status"] == 200 and not body["valid"]:
            raise Failure(f"GET /audit/verify: not valid: {body}")
        if answer["status"] not in (200, 422):
            raise Failure(f"GET /audit/verify -> {answer['status']}: {body}")
    elif name == "state":
        # A job: past STATE_SYNC_MAX_RECORDS the request itself answers 422 use-a-job.
        job = timer.time("state check: job", lambda: _run_job(
            app, auditor, "/api/v1/jobs/state-checks", {"limit": 10}),
            rows=lambda job: job["result"]["report"]["checked"], note="records checked")
        body = job["result"]["report"]
        if job["status"] != "finished" or body["differs"] or body["orphan_event"]:
            raise Failure(f"state check: {body['differs']} differ, {body['orphan_event']} orphans")
    elif name.startswith("decisions_"):
        period = PERIOD_12 if name == "decisions_12" else PERIOD_48
        months = 12 if name == "decisions_12" else 48
        expected = _count(app, select(func.count()).select_from(Decision).where(
            Decision.decided_at >= start_of_london_day(period[0]),
            Decision.decided_at < start_of_london_day(period[1])))
        job = timer.time(f"decision export, {months} months: job", lambda: _run_job(
            app, auditor, "/api/v1/jobs/decision-exports",
            {"from": period[0].isoformat(), "to": period[1].isoformat(), "format": "ndjson"}),
            rows=lambda job: job["result"]["rows"], note="decisions (NDJSON)", repeat=REPEAT)
        if job["result"]["rows"] != expected or job["of"] != expected:
            raise Failure(f"decision export: {job['result']['rows']} rows, of {job['of']}, "
                          f"expected {expected}")
    elif name.startswith("annex_a_"):
        from api.caller import Actor
        from api.domain import exports
        from api.domain.restrictions import hidden

        listed = name.removeprefix("annex_a_")
        with app.app_context():
            try:
                expected = exports.count_annex_a_records(
                    session, listed, *PERIOD_12, hidden(Actor(AUDITORS[0], "auditor")))
            finally:
                session.remove()
        job = timer.time(f"Annex A {listed}, 12 months: job", lambda: _run_job(
            app, auditor, "/api/v1/jobs/annex-a-exports",
            {"list": listed, "from": PERIOD_12[0].isoformat(), "to": PERIOD_12[1].isoformat()}),
            rows=lambda job: job["result"]["rows"], note="CSV rows", repeat=REPEAT)
        # One child a record in this data: a row each.
        if job["result"]["rows"] != expected:
            raise Failure(f"Annex A {listed}: {job['result']['rows']} rows, expected {expected}")
    elif name == "metrics":
        received = _count(app, select(func.count()).select_from(Contact).where(
            Contact.received_at >= start_of_london_day(PERIOD_12[0]),
            Contact.received_at < start_of_london_day(PERIOD_12[1])))
        timer.time("GET /metrics/timeliness, 12 months", lambda: auditor.get(
            f"/api/v1/metrics/timeliness?{_period_query(PERIOD_12)}"), rows=received,
            note="contacts received in the period", repeat=REPEAT)
    elif name == "chronology":
        body = timer.time(
            "GET /children/{id}/chronology: the child with the most contacts",
            lambda: practitioner.get(f"/api/v1/children/{built['hot_child']}/chronology"),
            rows=lambda body: len(body["items"]) if isinstance(body, dict) else len(body),
            note=f"chronology items of {built['hot_child_contacts']:,} contacts", repeat=REPEAT)
        items = body["items"] if isinstance(body, dict) else body
        if len(items) < built["hot_child_contacts"]:
            raise Failure(f"chronology: {len(items)} items for {built['hot_child_contacts']} contacts")
    elif name == "pages":
        first_path = path = f"/api/v1/contacts?limit={PAGE}"
        pages, listed, deepest = 0, 0, None
        load = os.getloadavg()[0]
        started = time.perf_counter()
        while path and pages < built.get("max_pages", float("inf")):
            body = practitioner.get(path)
            pages += 1
            listed += len(body["items"])
            if len(body["items"]) == PAGE:
                deepest = (path, pages)
            cursor = body.get("next_cursor")
            path = f"/api/v1/contacts?limit={PAGE}&cursor={cursor}" if cursor else None
        total = time.perf_counter() - started
        if listed != (pages * PAGE if path else built["contacts"]):
            raise Failure(f"GET /contacts: {listed} contacts listed of {built['contacts']}")
        timer.add(f"GET /contacts?limit={PAGE}: every page, following next_cursor", total,
                  listed, f"contacts, {pages} pages", load)
        for label, page_path, note in (("first page", first_path, "contacts"),
                                       ("deepest full page", deepest[0],
                                        f"contacts, page {deepest[1]}")):
            body = timer.time(f"GET /contacts?limit={PAGE}: {label}", lambda page_path=page_path:
                              practitioner.get(page_path), rows=lambda body: len(body["items"]),
                              note=note, repeat=REPEAT)
    elif name == "access":
        hot, actor = built["hot_child"], PRACTITIONERS[0]
        by_record = _count(app, select(func.count()).select_from(AccessEventRecord)
                           .where(AccessEventRecord.record_id == hot))
        for label, query in (("by record (the hot child)", f"entity_id={hot}"),
                             ("by actor (a practitioner)", f"actor={actor}"),
                             ("by record and actor", f"entity_id={hot}&actor={actor}")):
            body = timer.time(f"GET /audit/access {label}: first page", lambda query=query:
                              auditor.get(f"/api/v1/audit/access?{query}&limit={PAGE}"),
                              rows=lambda body: len(body["items"]), note="access events",
                              repeat=REPEAT)
            if not body["items"]:
                raise Failure(f"GET /audit/access?{query}: no events")

        def every_page():
            path, listed = f"/api/v1/audit/access?entity_id={hot}&limit={PAGE}", 0
            while path:
                body = auditor.get(path)
                listed += len(body["items"])
                cursor = body.get("next_cursor")
                path = (f"/api/v1/audit/access?entity_id={hot}&limit={PAGE}&cursor={cursor}"
                        if cursor else None)
            return listed
        listed = timer.time("GET /audit/access by record (the hot child): all pages", every_page,
                            rows=lambda n: n, note="access events", repeat=REPEAT)
        if listed < by_record:
            raise Failure(f"GET /audit/access by record: {listed} of {by_record}")
    else:
        raise ValueError(name)
    for result in timer.results:
        result["baseline_rss_mb"] = baseline
    app.extensions["db"].engine.dispose()
    return timer.results


# The pages last: walking every page writes an access event of 1,000 records a page, which the
# access log's reads would otherwise meet (and on SQLite, a WAL of them not yet checkpointed).
OPERATIONS = ("verify", "verify_job", "verify_checkpoint", "verify_request", "state",
              "decisions_12", "decisions_48", *(f"annex_a_{name}" for name in ANNEX_A_LISTS),
              "metrics", "chronology", "access", "pages")


def _in_a_process(function, *args):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def _guarded(name, url, built):
    """operation() with a failure reported, not raised (the other operations still run)."""
    try:
        return operation(name, url, built), None
    except Failure as failure:
        return [], f"{name}: {failure}"


def run_size(args, contacts, url):
    backend = make_url(url).get_backend_name()
    began = time.perf_counter()
    print(f"\nbench.scale: {contacts:,} contacts on {backend}, NOW {NOW.isoformat()}, started "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    built = reusable(url, contacts) if args.reuse else None
    if built:
        print("reusing the data already in the database", flush=True)
    else:
        load = os.getloadavg()
        built = _in_a_process(build, url, contacts, args.seed, args.seal_seconds)
        print(f"built in {built['total_seconds']} s (front door {built['generate_seconds']} s, "
              f"audit chain and access log {built['chain_seconds']} s; load average "
              f"{load[0]:.2f} at the start): " + ", ".join(
                  f"{k} {v:,}" for k, v in built["rows"].items()), flush=True)
    print(f"audit chain {built['chain_length']:,} events (checkpoint at {built['checkpoint_length']:,}"
          f"), hot child {built['hot_child']} with {built['hot_child_contacts']:,} contacts",
          flush=True)
    results, failures = [], []
    if args.max_pages:
        built = {**built, "max_pages": args.max_pages}
    for name in args.operations:
        rows, failure = _in_a_process(_guarded, name, url, built)
        results.extend(rows)
        if failure:
            failures.append(failure)
            print(f"  FAILED {failure}", flush=True)
        for row in rows:
            print(f"  {row['operation']}: {row['seconds']:.3f} s, {row['rows']:,} rows, "
                  f"peak RSS {row['rss_mb']:.0f} MB", flush=True)
    print(f"{contacts:,} contacts on {backend}: {time.perf_counter() - began:.0f} s all told "
          f"(building included)", flush=True)
    return built, results, failures


def print_table(contacts, backend, results):
    print(f"\n{contacts:,} contacts, {backend} ({os.cpu_count()} CPUs). seconds: one call, or "
          f"the median of {REPEAT} (calls); first: the first call's. Peak RSS of the operation's "
          "own process (its RSS before the operation in brackets). load: 1-minute average when "
          "the operation started.\n")
    print("| operation | seconds | calls | first s | rows | rows/s | peak RSS MB | load | rows are |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in results:
        rate = row["rows"] / row["seconds"] if row["seconds"] else 0
        print(f"| {row['operation']} | {row['seconds']:.3f} | {row['calls']} | "
              f"{row['first_seconds']:.3f} | {row['rows']:,} | {rate:,.0f} | "
              f"{row['rss_mb']:.0f} ({row['baseline_rss_mb']:.0f}) | {row['load']:.1f} | "
              f"{row['note']} |")
    print(flush=True)


def growth(sizes, by_size):
    """Operations whose time grew worse than linearly between consecutive sizes."""
    failures = []
    print("| operation | " + " | ".join(f"{n:,} s" for n in sizes) + " | time ratio / size ratio |")
    print("|---|" + "---|" * (len(sizes) + 1))
    names = [row["operation"] for row in by_size[sizes[-1]]]
    for name in names:
        times = [next((r["seconds"] for r in by_size[n] if r["operation"] == name), None)
                 for n in sizes]
        ratios = []
        for (small, t_small), (large, t_large) in itertools.pairwise(zip(sizes, times)):
            if t_small is None or t_large is None:
                ratios.append("-")
                continue
            ratio = (t_large / t_small) / (large / small)
            ratios.append(f"{ratio:.2f}")
            if t_large >= MIN_SECONDS_FOR_GROWTH and ratio > GROWTH_TOLERANCE:
                failures.append(f"{name}: {t_small:.3f} s at {small:,}, {t_large:.3f} s at "
                                f"{large:,} ({ratio:.2f} x linear)")
        shown = " | ".join("-" if t is None else f"{t:.3f}" for t in times)
        print(f"| {name} | {shown} | {', '.join(ratios)} |")
    return failures


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--sizes", help="comma-separated sizes, each built and timed, and the "
                        "growth between them checked (instead of --contacts)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="database URL (PostgreSQL: required, and wiped; '{n}' in it is "
                             "replaced by the size; default for SQLite: "
                             "instance/bench/mash-bench-scale-<contacts>.db)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--seal-seconds", type=int, default=SEAL_SECONDS,
                        help="a seal of the access log every so many seconds of reads (the app: "
                             "every ACCESS_SEAL_SECONDS, 60)")
    parser.add_argument("--max-pages", type=int,
                        help="follow next_cursor through at most so many pages of contacts "
                             "(default: all of them)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data already there when an earlier build of this size "
                             "left it")
    parser.add_argument("--operations", default=",".join(OPERATIONS),
                        help=f"comma-separated, of: {', '.join(OPERATIONS)}")
    args = parser.parse_args(argv)
    args.sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else [args.contacts]
    args.operations = args.operations.split(",")
    for name in args.operations:
        if name not in OPERATIONS:
            parser.error(f"unknown operation {name!r}")
    if args.engine == "postgresql" and (not args.url or not args.url.startswith("postgresql")):
        parser.error("--engine postgresql needs --url postgresql+psycopg://... (or BENCH_DATABASE_URL)")
    return args, parser


def _url_for(args, contacts):
    if args.engine == "sqlite" and (not args.url or not args.url.startswith("sqlite")):
        path = PROJECT_ROOT / "instance" / "bench" / f"mash-bench-scale-{contacts}.db"
        return f"sqlite:///{path}"
    return args.url.replace("{n}", str(contacts))


def main(argv=None):
    args, parser = _arguments(argv)
    by_size, failures = {}, []
    for contacts in args.sizes:
        url = _url_for(args, contacts)
        if not is_bench_database(url):
            parser.error(f"{url}: the data is generated afresh there, so its name must contain "
                         "'bench' (a guard against wiping another database)")
        _built, results, failed = run_size(args, contacts, url)
        print_table(contacts, make_url(url).get_backend_name(), results)
        by_size[contacts] = results
        failures.extend(failed)
    if len(args.sizes) > 1:
        print(f"Growth (fails above {GROWTH_TOLERANCE} x linear, for operations of "
              f"{MIN_SECONDS_FOR_GROWTH} s or more at the larger size):\n")
        failures.extend(growth(args.sizes, by_size))
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), flush=True)
        return 1
    print("all operations answered, every job finished with the rows expected", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
