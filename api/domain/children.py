"""A child's identity: which council record a contact's child is, possible matches, searches,
merges of duplicates and their undoing.

The council's child record is the council's: a contact never changes it. What a referrer says
about a child is kept on the contact's entry as given (ContactChild.details). An entry is linked
to an existing record only on strong evidence, a valid NHS number with the same date of birth;
otherwise a new record is made from the details given (taking an identifier only if no other
record holds it), and each record the weaker evidence points at (the NHS number with another
date of birth, a known local child id, the same names and date of birth) becomes a possible
match on the entry, for a practitioner to confirm (the entry is linked to it) or reject. So every
entry is always linked to a record (meetings, transitions and decisions name children by record),
and nothing a referrer is answered depends on what the council holds about other children.
"""

import uuid

from flask import url_for
from sqlalchemy import and_, bindparam, exists, func, or_, select, update

from .. import audit
from ..db import attach_as_stored, insert_unless_present, lock, session
from ..errors import ConcurrentChange, Conflict, MergedAway, NotFound, RuleViolation
from ..models import (
    Child, ChildLinkDecision, ChildMerge, ContactChild, IcpcChild, MeetingChild, PossibleMatch,
    StrategyMeeting, Transition,
)
from ..pages import keyset_page
from ..timescales import london_date, now
from . import restrictions
from .references import next_reference

# Built once (building a statement costs more than running it): every contact looks its
# children up. One statement finds every record any of the evidence points at: the NHS number,
# the local id, or the date of birth with the family name (regardless of case: both sides lowered
# by the engine, so the same name always matches; SQLite lowers ASCII letters only). The names
# are compared again here, given name included, white space and case folded.
_CANDIDATES = select(Child).where(or_(
    Child.nhs_number == bindparam("nhs_number"),
    Child.local_child_id == bindparam("local_child_id"),
    and_(Child.date_of_birth == bindparam("date_of_birth"),
         func.lower(Child.family_name) == func.lower(bindparam("family_name"))),
))

# A merge chain longer than this is a loop, which the merge rules cannot make.
_MAX_MERGE_CHAIN = 100


def _same_name(given, recorded):
    return " ".join(given.split()).casefold() == " ".join(recorded.split()).casefold()


def surviving(child):
    """The record a child now is: itself, or the record it was merged into (and so on)."""
    for _ in range(_MAX_MERGE_CHAIN):
        if child.merged_into_id is None:
            return child
        child = session.get(Child, child.merged_into_id)
    raise RuntimeError("merge chain too long")


def _candidates(data):
    """The records the details given point at: (the strongly matched record or None,
    {record id: (record, set of evidence)} of the others, the records found as stored)."""
    nhs_number, local_child_id = data.get("nhs_number"), data.get("local_child_id")
    born = data.get("date_of_birth")
    if not (nhs_number or local_child_id or born):
        return None, {}, []
    found = session.scalars(_CANDIDATES, {
        "nhs_number": nhs_number, "local_child_id": local_child_id, "date_of_birth": born,
        "family_name": data["family_name"],
    }).all()
    strong, weak = None, {}
    for record in found:
        evidence = set()
        if nhs_number and record.nhs_number == nhs_number:
            evidence.add("nhs_number")
            if born is not None and record.date_of_birth == born:
                strong = surviving(record)
                continue
        if local_child_id and record.local_child_id == local_child_id:
            evidence.add("local_child_id")
        if (born is not None and record.date_of_birth == born
                and _same_name(data["given_name"], record.given_name)
                and _same_name(data["family_name"], record.family_name)):
            evidence.add("name_and_date_of_birth")
        if evidence:
            survivor = surviving(record)
            weak.setdefault(survivor.id, (survivor, set()))[1].update(evidence)
    if strong is not None:
        weak.pop(strong.id, None)
    return strong, weak, found


def identify_child(actor, data, current):
    """The record a contact's child entry is linked to, and the possible matches
    [(record, evidence)] to put on the entry: see the module's docstring."""
    for _attempt in range(2):
        strong, weak, found = _candidates(data)
        if strong is not None:
            return strong, list(weak.values())
        child = _record_child(actor, data, current, found)
        if child is not None:
            return child, list(weak.values())
    # The insert met a record twice that the lookup could not find: a concurrent change.
    raise ConcurrentChange()


def _record_child(actor, data, current, found):
    """A new record from the details given, or None if a concurrent contact recorded a child
    with the same identifier meanwhile (look again). An identifier another record holds stays
    on the contact only (identifiers are unique to a record)."""
    nhs_number, local_child_id = data.get("nhs_number"), data.get("local_child_id")
    if any(record.nhs_number == nhs_number for record in found):
        nhs_number = None
    if any(record.local_child_id == local_child_id for record in found):
        local_child_id = None
    values = {
        "id": uuid.uuid4(),
        "reference": next_reference("CH", london_date(current).year),
        "given_name": data["given_name"],
        "family_name": data["family_name"],
        "date_of_birth": data.get("date_of_birth"),
        "expected_date_of_birth": data.get("expected_date_of_birth"),
        "sex": data.get("sex", "unknown"),
        "ethnicity": data.get("ethnicity"),
        "nhs_number": nhs_number,
        "local_child_id": local_child_id,
        "created_at": current,
        "merged_into_id": None,
    }
    if not insert_unless_present(session.connection(), Child.__table__, values):
        return None
    child = Child(**values)
    attach_as_stored(child)
    audit.record(actor, "child.recorded", "child", child.id, audit.snapshot(child))
    return child


def possible_matches_for(contact_id, position, matches, current):
    """PossibleMatch rows for one entry from identify_child's [(record, evidence)]."""
    return [
        PossibleMatch(
            id=uuid.uuid4(), contact_id=contact_id, position=position, candidate_id=record.id,
            by_nhs_number="nhs_number" in evidence,
            by_local_child_id="local_child_id" in evidence,
            by_name_and_date_of_birth="name_and_date_of_birth" in evidence,
            status="open", found_at=current, decided_at=None, decided_by_sub=None,
        )
        for record, evidence in sorted(matches, key=lambda match: match[0].reference)
    ]


# ---- reading a child ---------------------------------------------------------------------------


def get_child(child_id, actor=None, shut=None):
    """The child record, answering for a merged duplicate with a pointer to its survivor; with
    `actor`, one restricted from them is as if it did not exist (api/domain/restrictions.py)."""
    child = session.get(Child, child_id)
    if shut is None and actor is not None:
        shut = restrictions.hidden(actor)
    if child is None or (shut is not None and child.id in shut.children):
        raise NotFound(f"No child {child_id}.")
    if child.merged_into_id is not None:
        raise MergedAway(child.id, child.merged_into_id,
                         url_for("children.get_child", child_id=child.merged_into_id))
    return child


def open_matches_of_child(child_id):
    """The open possible matches a child is in: as the record an entry is linked to, or as the
    candidate; oldest first."""
    return session.scalars(
        select(PossibleMatch)
        .join(ContactChild, and_(ContactChild.contact_id == PossibleMatch.contact_id,
                                 ContactChild.position == PossibleMatch.position))
        .where(PossibleMatch.status == "open",
               or_(PossibleMatch.candidate_id == child_id, ContactChild.child_id == child_id))
        .order_by(PossibleMatch.found_at, PossibleMatch.id)
    ).all()


def matches_of_contacts(contact_ids):
    """{(contact_id, position): [PossibleMatch...]} of these contacts, in one query."""
    by_entry = {}
    if not contact_ids:
        return by_entry
    for match in session.scalars(
        select(PossibleMatch).where(PossibleMatch.contact_id.in_(contact_ids))
        .order_by(PossibleMatch.found_at, PossibleMatch.id)
    ):
        by_entry.setdefault((match.contact_id, match.position), []).append(match)
    return by_entry


def linked_child_ids(matches):
    """{(contact_id, position): child_id} of the entries these matches are on."""
    keys = {(m.contact_id, m.position) for m in matches}
    if not keys:
        return {}
    rows = session.execute(
        select(ContactChild.contact_id, ContactChild.position, ContactChild.child_id)
        .where(ContactChild.contact_id.in_({contact for contact, _ in keys}))
    ).all()
    return {(row.contact_id, row.position): row.child_id for row in rows}


def search_children(actor, args):
    """Children by NHS number, local child id, or family name with given name and date of birth
    (names compared without regard to case, as _CANDIDATES does); merged records included, with
    merged_into; a child restricted from `actor` is not found."""
    stmt = select(Child).where(restrictions.hidden(actor).children_clause(Child.id))
    if "nhs_number" in args:
        stmt = stmt.where(Child.nhs_number == args["nhs_number"])
    elif "local_child_id" in args:
        stmt = stmt.where(Child.local_child_id == args["local_child_id"])
    else:
        stmt = stmt.where(
            Child.date_of_birth == args["date_of_birth"],
            func.lower(Child.family_name) == func.lower(args["family_name"]),
            func.lower(Child.given_name) == func.lower(args["given_name"]),
        )
    return keyset_page(stmt, [Child.created_at, Child.id], limit=args["limit"],
                       cursor=args.get("cursor"))


# ---- linking a contact's child entry ---------------------------------------------------------------


def link_child(actor, contact, position, data):
    """A practitioner's decision on a contact's child entry: link it to `child` (confirming that
    possible match, rejecting the others) or, with `child` null, reject its open possible
    matches and keep its link."""
    current = now()
    entry = session.get(ContactChild, (contact.id, position))
    if entry is None:
        raise NotFound(f"Contact {contact.id} has no child {position} (children are numbered "
                       "from 0 in the order the contact gives them).")
    open_matches = [m for m in session.scalars(select(PossibleMatch).where(
        PossibleMatch.contact_id == contact.id, PossibleMatch.position == position,
        PossibleMatch.status == "open"))]
    target_id, reason = data["child"], data["reason"]
    if target_id is None:
        if not open_matches:
            raise Conflict("This child has no open possible match to reject.",
                           errors={"child": ["No open possible match to reject."]})
        target = None
    else:
        target = session.get(Child, target_id)
        if target is None or restrictions.hides_child(actor, target.id):
            raise RuleViolation("child", "No such child.")
        if target.merged_into_id is not None:
            raise RuleViolation("child", f"Merged into child {target.merged_into_id}: link to "
                                "that record.")
        if target.id == entry.child_id and not open_matches:
            raise Conflict("This child is already linked to that record, with no open "
                           "possible match.", errors={"child": ["Already linked to it."]})
    previous = entry.child_id
    confirmed, rejected = [], []
    for match in open_matches:
        match.status = "confirmed" if target is not None and match.candidate_id == target.id \
            else "rejected"
        match.decided_at, match.decided_by_sub = current, actor.sub
        (confirmed if match.status == "confirmed" else rejected).append(str(match.candidate_id))
    if target is not None:
        entry.child_id = target.id
    decision = ChildLinkDecision(
        id=uuid.uuid4(), contact_id=contact.id, position=position, from_child_id=previous,
        to_child_id=target.id if target is not None else None, reason=reason,
        decided_at=current, decided_by_sub=actor.sub)
    session.add(decision)
    session.flush()
    retired = None
    if target is not None and target.id != previous:
        retired = _retire_if_unused(actor, previous, target, reason, current)
    audit.record(
        actor, "contact.child_linked" if target is not None else "contact.possible_matches_rejected",
        "contact", contact.id,
        {"position": position, "from": previous, "to": target.id if target is not None else None,
         "reason": reason, "confirmed": confirmed, "rejected": rejected,
         "decision_id": decision.id, "retired": retired},
    )
    session.expire_all()  # the contact is read again as it now stands
    return contact


def _in_use(child_id):
    """Whether anything still names this record: a contact entry, a meeting, an ICPC, a transition."""
    return session.scalar(select(or_(
        exists().where(ContactChild.child_id == child_id),
        exists().where(MeetingChild.child_id == child_id),
        exists().where(IcpcChild.child_id == child_id),
        exists().where(Transition.child_id == child_id),
    )))


def _retire_if_unused(actor, child_id, into, reason, current):
    """A record an entry was linked away from, if nothing names it any more (typically the one made
    for the entry when only weak evidence pointed at `into`), is merged into `into` so that no
    empty duplicate is left to find; like any merge it can be undone. Its id, or None."""
    child = session.get(Child, child_id)
    if child is None or child.merged_into_id is not None or _in_use(child_id):
        return None
    _mark_merged(actor, child, into, reason, {}, current)
    return child.id


# ---- merging and unmerging ---------------------------------------------------------------------

def _moved_rows(duplicate_id):
    return {
        "contact_children": [[str(c), p] for c, p in session.execute(
            select(ContactChild.contact_id, ContactChild.position)
            .where(ContactChild.child_id == duplicate_id))],
        "strategy_meetings": [str(m) for m in session.scalars(
            select(MeetingChild.meeting_id).where(MeetingChild.child_id == duplicate_id))],
        "icpc": [str(m) for m in session.scalars(
            select(IcpcChild.meeting_id).where(IcpcChild.child_id == duplicate_id))],
        "transitions": [str(t) for t in session.scalars(
            select(Transition.id).where(Transition.child_id == duplicate_id))],
    }


def _move(moved, from_id, to_id):
    """Move what `moved` names from one record to the other (only what is still on `from_id`)."""
    for contact_id, position in moved.get("contact_children", []):
        session.execute(update(ContactChild).where(
            ContactChild.contact_id == uuid.UUID(contact_id), ContactChild.position == position,
            ContactChild.child_id == from_id).values(child_id=to_id))
    for model, key, column in ((MeetingChild, "strategy_meetings", MeetingChild.meeting_id),
                               (IcpcChild, "icpc", IcpcChild.meeting_id),
                               (Transition, "transitions", Transition.id)):
        ids = [uuid.UUID(value) for value in moved.get(key, [])]
        if ids:
            session.execute(update(model).where(column.in_(ids), model.child_id == from_id)
                            .values(child_id=to_id), execution_options={"synchronize_session": False})
    session.expire_all()


def _check_mergeable(child, duplicate):
    both = select(MeetingChild.meeting_id).where(MeetingChild.child_id == child.id).intersect(
        select(MeetingChild.meeting_id).where(MeetingChild.child_id == duplicate.id))
    shared = session.scalars(both).first()
    if shared is not None:
        reference = session.scalar(select(StrategyMeeting.reference).where(
            StrategyMeeting.id == shared))
        raise Conflict(f"Strategy meeting {reference} lists both children as different children; "
                       "a merge cannot make it list one child twice.",
                       errors={"duplicate": ["Listed with the child in a strategy meeting."]})
    open_requests = session.scalar(select(func.count()).select_from(Transition).where(
        Transition.child_id.in_([child.id, duplicate.id]), Transition.status == "requested"))
    if open_requests > 1:
        raise Conflict("Both children have an open step-up or step-down request; answer or "
                       "withdraw one first.",
                       errors={"duplicate": ["Both children have an open transition request."]})


def merge_children(actor, child_id, data):
    """Merge a duplicate record into this one: the duplicate's contact entries, meetings, ICPC
    entries and transitions move here, and the duplicate answers 404 naming this record."""
    child = get_child(child_id, actor)
    duplicate_id = data["duplicate"]
    if duplicate_id == child.id:
        raise RuleViolation("duplicate", "A child cannot be merged into itself.")
    duplicate = session.get(Child, duplicate_id)
    if duplicate is None or restrictions.hides_child(actor, duplicate.id):
        raise RuleViolation("duplicate", "No such child.")
    _check_unrestricted(child, duplicate)
    # Both under a row lock, in one order whichever way round they are merged (no deadlock).
    for record in sorted((child, duplicate), key=lambda record: record.id):
        lock(record)
    if child.merged_into_id is not None:  # merged away while this request waited
        get_child(child.id)
    if duplicate.merged_into_id is not None:
        raise Conflict(f"Child {duplicate.id} is already merged into child "
                       f"{duplicate.merged_into_id}.",
                       errors={"duplicate": ["Already merged into another record."]})
    _check_mergeable(child, duplicate)
    moved = _moved_rows(duplicate.id)
    current = now()
    _move(moved, duplicate.id, child.id)
    _mark_merged(actor, session.get(Child, duplicate.id), session.get(Child, child.id),
                 data["reason"], moved, current)
    return session.get(Child, child.id)


def _mark_merged(actor, duplicate, child, reason, moved, current):
    merge = ChildMerge(id=uuid.uuid4(), child_id=child.id, duplicate_id=duplicate.id,
                       reason=reason, moved=moved, merged_at=current, merged_by_sub=actor.sub)
    session.add(merge)
    duplicate.merged_into_id = child.id
    session.flush()
    audit.record(actor, "child.merged", "child", duplicate.id,
                 {"merged_into": child.id, "merge_id": merge.id, "reason": reason,
                  "moved": moved})
    _record_moved(actor, "merged", moved, duplicate.id, child.id, merge.id)


def _record_moved(actor, how, moved, from_id, to_id, merge_id):
    """An audit event for each record a merge (or its undoing) changed: the contacts, strategy
    meetings and transitions that now name the other child, so each record's latest event holds
    its state (api/record_state.py)."""
    changed = {
        "contact": sorted({contact_id for contact_id, _position in moved.get("contact_children", [])}),
        "strategy_meeting": sorted(set(moved.get("strategy_meetings", []))
                                   | set(moved.get("icpc", []))),
        "transition": sorted(set(moved.get("transitions", []))),
    }
    for entity_type, ids in changed.items():
        for entity_id in ids:
            audit.record(actor, f"{entity_type}.child_{how}", entity_type, uuid.UUID(entity_id),
                         {"from_child": from_id, "to_child": to_id, "merge_id": merge_id})


def _check_unrestricted(*records):
    """A restricted record is not merged or unmerged: what moves would leave its restriction
    behind (or carry another record's contacts under it). Lift the restriction first."""
    restricted = restrictions.restricted_among([record.id for record in records])
    if restricted:
        raise Conflict(
            "A restricted record cannot be merged or unmerged; a manager it names lifts the "
            "restriction first.", errors={"child_id": ["Restricted."]})


def unmerge_child(actor, duplicate_id, data):
    """Undo the merge of this duplicate: it answers again, and what the merge moved and is still
    on the record it was merged into moves back (anything relinked since stays where it is)."""
    duplicate = session.get(Child, duplicate_id)
    if duplicate is None or restrictions.hides_child(actor, duplicate.id):
        raise NotFound(f"No child {duplicate_id}.")
    lock(duplicate)
    if duplicate.merged_into_id is None:
        raise Conflict(f"Child {duplicate.id} is not merged into another record.")
    merge = session.scalar(
        select(ChildMerge).where(ChildMerge.duplicate_id == duplicate.id,
                                 ChildMerge.unmerged_at.is_(None))
        .order_by(ChildMerge.merged_at.desc()).limit(1))
    survivor = lock(session.get(Child, duplicate.merged_into_id))
    _check_unrestricted(duplicate, survivor)
    if survivor.merged_into_id is not None:
        raise Conflict(f"Child {survivor.id}, which this one was merged into, has since been "
                       f"merged into child {survivor.merged_into_id}: undo that merge first.")
    current = now()
    _move(merge.moved if merge is not None else {}, survivor.id, duplicate.id)
    duplicate = session.get(Child, duplicate_id)
    duplicate.merged_into_id = None
    if merge is not None:
        merge = session.get(ChildMerge, merge.id)
        merge.unmerged_at, merge.unmerged_by_sub = current, actor.sub
        merge.unmerge_reason = data["reason"]
    session.flush()
    audit.record(actor, "child.unmerged", "child", duplicate.id,
                 {"was_merged_into": survivor.id, "merge_id": merge.id if merge else None,
                  "reason": data["reason"]})
    if merge is not None:
        _record_moved(actor, "unmerged", merge.moved, survivor.id, duplicate.id, merge.id)
    return duplicate


# ---- what the council records about a child ------------------------------------------------------


def record_disability(actor, child_id, data):
    """Whether the child has a disability (null: not known) and which (CIN census codes): given
    with true, none with false or null. Annex A and the CIN census read it."""
    child = lock(get_child(child_id, actor))
    disability, codes = data["disability"], list(data.get("disabilities") or [])
    if disability and not codes:
        raise RuleViolation("disabilities", "Say which (at least one code) when disability is true.")
    if not disability and codes:
        raise RuleViolation("disabilities", "Only when disability is true.")
    child.disability = disability
    child.disabilities = codes if disability else None
    session.flush()
    audit.record(actor, "child.disability_recorded", "child", child.id,
                 {"disability": child.disability, "disabilities": child.disabilities})
    return child
