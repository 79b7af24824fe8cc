"""The records the audit trail describes, their canonical state, and the check of every current
record against the state its latest audit event recorded.

Each kind of record the trail names (an event's `entity_type`) is a root table and the rows that
belong to it (a contact's child links and consent history, a meeting's invitations ...). Its state
is those rows, every column, as canonical JSON; its hash is sha256 of that text. `audit.record`
puts the hash of the record's state just after the write in every event it appends (chained with
the rest of the event), so no write can forget it: an entity type with no entry here is refused.

A write that changes a second record (a decision makes its contact decided, and supersedes the
decision before it) appends an event for that record too, so that every record's latest event
holds its current state.

`check_states` then reads every current record and every record the trail names, in keyset
batches (time proportional to the records and events, memory flat), and reports each record
whose state differs from its latest event's, that has no event, or whose latest event recorded
no state (events appended before revision 0013), and each record the trail names that is gone.
"""

import hashlib
import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from .db import session
from .models import (
    Account, Agency, Allocation, Assessment, AssessmentFactor, Attendance, AuditEvent, Child, ChildLinkDecision, ChildMerge, ConsentRecord,
    Contact, ContactChild, Decision, Feedback, IcpcChild, InformationRequest,
    InformationRequestChild, Invitation, MeetingAction, MeetingChild,
    PossibleMatch, RagRating, Restriction, RestrictionGrant, RestrictionMember, StrategyMeeting,
    Transition, WebhookSubscription,
)

# Events about these entity types describe no stored record: no state is recorded or checked.
# A job's events say it was queued, started, finished or failed; its row also holds its
# progress, which a worker writes as it goes without an event (where a worker is, not a record).
NOT_RECORDS = {"access_log", "job"}
# Tables that are not (part of) a record the trail describes, each for a reason:
# the trail and the access log themselves; replayed responses and reference counters (working
# state of the API, not case records); sign-in failures (a throttle's counts); background jobs
# and their files (working state: progress, and an export's copy of records described elsewhere).
NOT_RECORD_TABLES = {
    "audit_events", "access_events", "access_event_records", "idempotency_records",
    "reference_counters", "sign_in_failures", "alembic_version", "jobs", "job_chunks",
    # the webhooks' outbox and delivery log: where each notification is on its way, written by
    # the delivery worker as it goes (the change that made a message is in the trail)
    "webhook_messages", "webhook_attempts",
}

# The state recorded for a record that a write removed (none does yet; a later one may).
REMOVED = None

DIFFERS = "differs"
MISSING_EVENT = "missing_event"
NO_STATE_RECORDED = "no_state_recorded"
ORPHAN_EVENT = "orphan_event"
FINDINGS = (DIFFERS, MISSING_EVENT, NO_STATE_RECORDED, ORPHAN_EVENT)


@dataclass(frozen=True)
class Part:
    """Rows belonging to a record: `table`'s rows whose `key` is the record's id, in `order`."""

    name: str
    table: object
    key: object
    order: tuple


@dataclass(frozen=True)
class RecordKind:
    entity_type: str
    model: type
    parts: tuple = ()

    @property
    def table(self):
        return self.model.__table__

    @property
    def key(self):
        (column,) = self.table.primary_key.columns
        return column

    def parse_id(self, entity_id):
        """The primary key an event's entity_id names, or None if it cannot name one."""
        if self.key.type.python_type is uuid.UUID:
            try:
                return uuid.UUID(entity_id)
            except (ValueError, TypeError, AttributeError):
                return None
        return entity_id

    def states(self, connection, ids):
        """{id: state} of the records among `ids` that exist (two or more queries in all)."""
        found = {}
        for row in connection.execute(select(self.table).where(self.key.in_(ids))).mappings():
            found[row[self.key.name]] = {"row": dict(row), "parts": {p.name: [] for p in self.parts}}
        for part in self.parts:
            if not found:
                break
            rows = connection.execute(
                select(part.table).where(part.key.in_(list(found)))
                .order_by(part.key, *part.order)
            ).mappings()
            for row in rows:
                found[row[part.key.name]]["parts"][part.name].append(dict(row))
        return found


def _kinds(*kinds):
    return {kind.entity_type: kind for kind in kinds}


def _part(name, model, key, *order):
    """Part `name`: the rows of `model` whose `key` column names the record, in `order`."""
    columns = model.__table__.c
    return Part(name, model.__table__, columns[key], tuple(columns[column] for column in order))


RECORDS = _kinds(
    RecordKind("agency", Agency),
    RecordKind("account", Account),
    RecordKind("webhook_subscription", WebhookSubscription),
    # A child merged into another holds its merges (and their undoing) as the duplicate.
    RecordKind("child", Child, (
        _part("merges", ChildMerge, "duplicate_id", "merged_at", "id"),
    )),
    RecordKind("contact", Contact, (
        _part("children", ContactChild, "contact_id", "position"),
        _part("consent_history", ConsentRecord, "contact_id", "recorded_at", "id"),
        _part("possible_matches", PossibleMatch, "contact_id", "position", "candidate_id"),
        _part("link_decisions", ChildLinkDecision, "contact_id", "decided_at", "id"),
        _part("rag_history", RagRating, "contact_id", "position"),
        _part("allocations", Allocation, "contact_id", "position"),
    )),
    RecordKind("restriction", Restriction, (
        _part("allowed", RestrictionMember, "restriction_id", "sub"),
        _part("grants", RestrictionGrant, "restriction_id", "granted_at", "id"),
    )),
    RecordKind("decision", Decision),
    RecordKind("feedback", Feedback),
    RecordKind("strategy_meeting", StrategyMeeting, (
        _part("children", MeetingChild, "meeting_id", "position"),
        _part("invitations", Invitation, "meeting_id", "position"),
        _part("attendance", Attendance, "meeting_id", "position"),
        _part("actions", MeetingAction, "meeting_id", "position"),
        _part("icpc_children", IcpcChild, "meeting_id", "child_id"),
    )),
    RecordKind("transition", Transition),
    RecordKind("information_request", InformationRequest, (
        _part("children", InformationRequestChild, "request_id", "position"),
    )),
    RecordKind("assessment", Assessment, (
        _part("factors", AssessmentFactor, "assessment_id", "position"),
        _part("allocations", Allocation, "assessment_id", "position"),
    )),
)


# What records gained after states were first recorded (from revision 0021 on): an event recorded
# before a column or part was added holds a state without it, and a migration cannot rewrite
# the trail. So each is left out of a record's state while it is empty (a null column, a part
# with no rows), whenever the event was recorded; once it holds something it is in the state,
# so a value written into it behind the API's back is found like any other. A migration that
# adds a column or a part to a record adds it here.
ADDED_LATER = {
    # revision 0021: after the front door (allocation, primary need, closure; disability)
    "contact": ({"allocated_team", "allocated_worker", "allocated_at", "primary_need",
                 "closed_on", "closure_reason", "closure_rationale", "closure_recorded_at",
                 "closed_by_sub"}, {"allocations"}),
    "child": ({"disability", "disabilities"}, set()),
    "decision": ({"allocation_due_at"}, set()),
    # revision 0022: external subjects and secret rotation
    "account": ({"issuer", "subject", "last_disabled_at", "previous_secret_hash",
                 "previous_secret_expires_at"}, set()),
}
# Columns added later to the rows of a record's parts: left out of each row while null, as above.
ADDED_LATER_IN_PARTS = {
    ("strategy_meeting", "icpc_children"): {"category_of_abuse"},  # revision 0021
}


def stated(kind, state):
    """The state as events record it: without what ADDED_LATER (and ADDED_LATER_IN_PARTS) says
    while it is empty."""
    columns, parts = ADDED_LATER.get(kind.entity_type, ((), ()))
    in_parts = {name: later for (entity_type, name), later in ADDED_LATER_IN_PARTS.items()
                if entity_type == kind.entity_type}
    if state is REMOVED or not (columns or parts or in_parts):
        return state

    def part_rows(name, rows):
        later = in_parts.get(name)
        if not later:
            return rows
        return [{k: v for k, v in row.items() if not (k in later and v is None)} for row in rows]

    return {"row": {k: v for k, v in state["row"].items() if not (k in columns and v is None)},
            "parts": {name: part_rows(name, rows) for name, rows in state["parts"].items()
                      if not (name in parts and not rows)}}


def kind_of(entity_type):
    """The RecordKind of an entity type, None for one that names no record; an entity type
    neither here nor in NOT_RECORDS is refused, so a new kind of write cannot forget its state."""
    if entity_type in NOT_RECORDS:
        return None
    try:
        return RECORDS[entity_type]
    except KeyError:
        raise LookupError(
            f"audit: no state for entity type {entity_type!r}: add it to api/record_state.py "
            "(RECORDS, or NOT_RECORDS if its events describe no stored record)") from None


def state_hash(state):
    from .audit import canonical_json

    return hashlib.sha256(canonical_json(state).encode()).hexdigest()


def current_state_hash(kind, entity_id):
    """The hash of the record's state as the current transaction sees it (after flushing)."""
    session.flush()
    key = kind.parse_id(str(entity_id))
    state = kind.states(session.connection(), [key]).get(key, REMOVED) if key is not None else REMOVED
    return state_hash(stated(kind, state))


# ---- the check ------------------------------------------------------------------------------------


@dataclass
class StateReport:
    limit: int
    counts: dict = field(default_factory=lambda: {"checked": 0, **{f: 0 for f in FINDINGS}})
    findings: list = field(default_factory=list)

    def add(self, entity_type, entity_id, finding):
        self.counts[finding] += 1
        if len(self.findings) < self.limit:
            self.findings.append({"entity_type": entity_type, "entity_id": str(entity_id),
                                  "finding": finding})

    def as_dict(self):
        problems = sum(self.counts[f] for f in FINDINGS)
        return {
            "valid": problems == 0,
            **self.counts,
            "findings": self.findings,
            "findings_truncated": problems > len(self.findings),
        }


def _latest_events(kind, entity_ids):
    """{entity_id: (seq, state_hash)} of the latest event naming each of `entity_ids`."""
    later = aliased(AuditEvent)
    newest = (
        select(func.max(later.seq))
        .where(later.entity_type == AuditEvent.entity_type, later.entity_id == AuditEvent.entity_id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(AuditEvent.entity_id, AuditEvent.seq, AuditEvent.state_hash).where(
            AuditEvent.entity_type == kind.entity_type,
            AuditEvent.entity_id.in_(entity_ids),
            AuditEvent.seq == newest,
        )
    )
    return {row.entity_id: (row.seq, row.state_hash) for row in rows}


_EVENT_IDS = (
    select(AuditEvent.entity_id).distinct()
    .where(AuditEvent.entity_type == bindparam("entity_type"),
           AuditEvent.entity_id > bindparam("after"))
    .order_by(AuditEvent.entity_id)
    .limit(bindparam("batch"))
)


def count_to_check():
    """How many records and named records the check will read (for a progress bar)."""
    total = 0
    for kind in RECORDS.values():
        total += session.scalar(select(func.count()).select_from(kind.table))
        total += session.scalar(
            select(func.count(AuditEvent.entity_id.distinct()))
            .where(AuditEvent.entity_type == kind.entity_type))
    return total


def check_states(batch_size=500, limit=1000, progress=None):
    """Every current record against its latest event's state, and every record the trail names
    against the records there are. `progress(n)` is told of each batch read. Findings beyond
    `limit` are counted, not listed."""
    report = StateReport(limit)
    connection = session.connection()
    for entity_type in sorted(RECORDS):
        kind = RECORDS[entity_type]
        # Every current record, in primary key order, a batch at a time.
        after = None
        while True:
            stmt = select(kind.key).order_by(kind.key).limit(batch_size)
            if after is not None:
                stmt = stmt.where(kind.key > after)
            ids = session.scalars(stmt).all()
            if not ids:
                break
            states = kind.states(connection, ids)
            latest = _latest_events(kind, [str(i) for i in ids])
            for record_id in ids:
                report.counts["checked"] += 1
                event = latest.get(str(record_id))
                if event is None:
                    report.add(entity_type, record_id, MISSING_EVENT)
                elif event[1] is None:
                    report.add(entity_type, record_id, NO_STATE_RECORDED)
                elif event[1] != state_hash(stated(kind, states.get(record_id, REMOVED))):
                    report.add(entity_type, record_id, DIFFERS)
            after = ids[-1]
            if progress:
                progress(len(ids))
        # Every record the trail names, in the index's order: is it still there?
        after = ""
        while True:
            named = session.scalars(
                _EVENT_IDS, {"entity_type": entity_type, "after": after, "batch": batch_size}
            ).all()
            if not named:
                break
            keys = {entity_id: kind.parse_id(entity_id) for entity_id in named}
            present = set(session.scalars(
                select(kind.key).where(kind.key.in_([k for k in keys.values() if k is not None]))
            ))
            gone = [entity_id for entity_id, key in keys.items() if key not in present]
            if gone:
                latest = _latest_events(kind, gone)
                for entity_id in gone:
                    _seq, recorded = latest[entity_id]
                    # A record a write removed, and said so, is not missing.
                    if recorded != state_hash(REMOVED):
                        report.add(entity_type, entity_id, ORPHAN_EVENT)
            after = named[-1]
            if progress:
                progress(len(named))
    return report


def check_tables_are_classified(metadata):
    """Tables that belong to no record kind and are not listed as not records (for a test)."""
    covered = {kind.table.name for kind in RECORDS.values()}
    covered |= {part.table.name for kind in RECORDS.values() for part in kind.parts}
    return sorted(set(metadata.tables) - covered - NOT_RECORD_TABLES)

