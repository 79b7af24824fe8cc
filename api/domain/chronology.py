"""Chronologies: every event about a contact or a child, in time order, one query per kind."""

from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..db import session
from ..models import (
    Agency, Child, ChildLinkDecision, ChildMerge, ConsentRecord, Contact, ContactChild, Decision,
    Feedback, InformationRequest, MeetingChild, RagRating, StrategyMeeting, Transition,
)
from ..vocab import CHRONOLOGY_KINDS
from . import restrictions
from .children import get_child, linked_child_ids, open_matches_of_child
from .contacts import child_fields, get_contact, match_view
from .services import current_service


def _item(at, kind, summary, by, ref_type, ref_id, contact_id=None):
    return {"at": at, "kind": kind, "summary": summary, "by": by,
            "ref": {"type": ref_type, "id": str(ref_id)},
            "contact_id": str(contact_id) if contact_id is not None else None}


def _contact_items(contact_ids):
    items = []
    agencies = dict(session.execute(select(Agency.code, Agency.name)).all())
    for c in session.scalars(
        select(Contact).where(Contact.id.in_(contact_ids)).options(lazyload("*"))
    ):
        categories = ", ".join(c.concern_categories) or "no category"
        items.append(_item(c.received_at, "contact_received",
                           f"Contact {c.reference} received from {agencies.get(c.source_agency, c.source_agency)} "
                           f"({categories}).", c.recorded_by_sub, "contact", c.id, c.id))
    for r in session.scalars(select(ConsentRecord).where(ConsentRecord.contact_id.in_(contact_ids))):
        reason = f": {r.reason}" if r.reason else ""
        items.append(_item(r.recorded_at, "consent_recorded", f"Consent {r.status}{reason}",
                           r.recorded_by_sub, "contact", r.contact_id, r.contact_id))
    for r in session.scalars(select(RagRating).where(RagRating.contact_id.in_(contact_ids))):
        items.append(_item(r.rated_at, "rag_rated", f"RAG rated {r.rating}: {r.reason}",
                           r.rated_by_sub, "contact", r.contact_id, r.contact_id))
    for r in session.scalars(select(InformationRequest).where(
            InformationRequest.contact_id.in_(contact_ids)).options(lazyload("*"))):
        name = agencies.get(r.agency, r.agency)
        items.append(_item(r.requested_at, "information_requested",
                           f"Information requested from {name}: {r.question}",
                           r.requested_by_sub, "information_request", r.id, r.contact_id))
        if r.status == "answered":
            said = r.information if r.known else "Not known to the agency."
            late = "" if r.within_deadline else " (late)"
            items.append(_item(r.responded_at, "information_answered",
                               f"{name} answered{late}: {said}", r.responded_by_sub,
                               "information_request", r.id, r.contact_id))
        elif r.status == "withdrawn":
            items.append(_item(r.withdrawn_at, "information_request_withdrawn",
                               f"Request to {name} withdrawn: {r.withdrawal_reason}",
                               r.withdrawn_by_sub, "information_request", r.id, r.contact_id))
    for d in session.scalars(select(Decision).where(Decision.contact_id.in_(contact_ids))):
        superseding = " (supersedes an earlier decision)" if d.supersedes_id else ""
        items.append(_item(d.decided_at, "decision_recorded",
                           f"Threshold decision: {d.outcome}{superseding}.", d.decided_by_sub,
                           "decision", d.id, d.contact_id))
        if d.approved_at is not None:
            items.append(_item(d.approved_at, "decision_approved",
                               f"Decision ({d.outcome}) approved by a manager.", d.approved_by_sub,
                               "decision", d.id, d.contact_id))
    for f in session.scalars(select(Feedback).where(Feedback.contact_id.in_(contact_ids))):
        items.append(_item(f.given_at, "feedback_given", f"Feedback to the referrer by {f.method}.",
                           f.recorded_by_sub, "feedback", f.id, f.contact_id))
    return items


def _meeting_items(meetings):
    items = []
    for m in meetings:
        items.append(_item(m.convened_at, "strategy_meeting_convened",
                           f"Strategy meeting {m.reference} convened (chair {m.chair}).",
                           m.recorded_by_sub, "strategy_meeting", m.id, m.contact_id))
        if m.held_at is not None:
            items.append(_item(m.held_at, "strategy_meeting_held",
                               f"Strategy meeting held: {m.outcome}.", m.outcome_recorded_by_sub,
                               "strategy_meeting", m.id, m.contact_id))
        if m.minutes_recorded_at is not None:
            items.append(_item(m.minutes_recorded_at, "strategy_meeting_minutes_recorded",
                               "Strategy meeting minutes recorded.", m.minutes_recorded_by_sub,
                               "strategy_meeting", m.id, m.contact_id))
        if m.icpc_recorded_at is not None:
            items.append(_item(m.icpc_recorded_at, "icpc_recorded", _icpc_summary(m),
                               m.icpc_recorded_by_sub, "strategy_meeting", m.id, m.contact_id))
    return items


def _icpc_summary(meeting):
    if meeting.icpc_not_required:
        return f"Initial child protection conference not required: {meeting.icpc_not_required_reason}"
    timing = "within" if meeting.icpc_within_timescale else "outside"
    plans = sum(1 for c in meeting.icpc_children if c.child_protection_plan)
    return (f"Initial child protection conference held on {meeting.icpc_held_on.isoformat()} "
            f"({timing} timescale): {plans} of {len(meeting.icpc_children)} children made "
            "subject to a child protection plan.")


def _transition_items(transitions):
    items = []
    for t in transitions:
        label = t.direction.replace("_", "-")
        items.append(_item(t.requested_at, "transition_requested",
                           f"{label.capitalize()} requested ({t.from_service} to {t.to_service}).",
                           t.requested_by_sub, "transition", t.id))
        if t.response_at is not None:
            items.append(_item(t.response_at, f"transition_{t.response_decision}",
                               f"{label.capitalize()} {t.response_decision}.", t.response_by_sub,
                               "transition", t.id))
        if t.withdrawn_at is not None:
            items.append(_item(t.withdrawn_at, "transition_withdrawn", f"{label.capitalize()} withdrawn.",
                               t.withdrawn_by_sub, "transition", t.id))
    return items


def _in_order(items):
    return {"items": sorted(
        items, key=lambda i: (i["at"], CHRONOLOGY_KINDS.index(i["kind"]), i["ref"]["id"]))}


def _references(child_ids):
    ids = {child_id for child_id in child_ids if child_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Child.id, Child.reference).where(Child.id.in_(ids))).all())


def _link_items(decisions):
    """A practitioner's decisions on contacts' child entries (confirmed and rejected matches)."""
    decisions = list(decisions)
    contacts = dict(session.execute(select(Contact.id, Contact.reference).where(
        Contact.id.in_({d.contact_id for d in decisions}))).all()) if decisions else {}
    references = _references([d.from_child_id for d in decisions]
                             + [d.to_child_id for d in decisions])
    items = []
    for d in decisions:
        entry = f"Child {d.position} of contact {contacts.get(d.contact_id, d.contact_id)}"
        if d.to_child_id is None:
            items.append(_item(d.decided_at, "possible_matches_rejected",
                               f"{entry}: possible matches rejected, still "
                               f"{references.get(d.from_child_id)}: {d.reason}",
                               d.decided_by_sub, "contact", d.contact_id, d.contact_id))
        else:
            items.append(_item(d.decided_at, "child_linked",
                               f"{entry} linked to {references.get(d.to_child_id)} (was "
                               f"{references.get(d.from_child_id)}): {d.reason}",
                               d.decided_by_sub, "contact", d.contact_id, d.contact_id))
    return items


def _merge_items(merges):
    merges = list(merges)
    references = _references([m.child_id for m in merges] + [m.duplicate_id for m in merges])
    items = []
    for m in merges:
        pair = f"{references.get(m.duplicate_id)} into {references.get(m.child_id)}"
        items.append(_item(m.merged_at, "child_merged", f"Child {pair} merged: {m.reason}",
                           m.merged_by_sub, "child", m.duplicate_id))
        if m.unmerged_at is not None:
            items.append(_item(m.unmerged_at, "child_unmerged",
                               f"Merge of child {pair} undone: {m.unmerge_reason}",
                               m.unmerged_by_sub, "child", m.duplicate_id))
    return items


def contact_history(actor, contact_id):
    contact = get_contact(actor, contact_id)
    meetings = session.scalars(select(StrategyMeeting).where(StrategyMeeting.contact_id == contact.id))
    links = session.scalars(select(ChildLinkDecision).where(
        ChildLinkDecision.contact_id == contact.id))
    return _in_order(_contact_items([contact.id]) + _meeting_items(meetings) + _link_items(links))


def child_detail(actor, child_id):
    shut = restrictions.hidden(actor)
    child = get_child(child_id, actor, shut)
    contacts = session.scalars(
        select(Contact).where(Contact.id.in_(
            select(ContactChild.contact_id).where(ContactChild.child_id == child.id)),
            shut.contacts_clause(Contact.id))
        .order_by(Contact.received_at, Contact.id)
        .options(lazyload("*"))
    ).all()
    matches = open_matches_of_child(child.id)
    linked = linked_child_ids(matches)
    return SimpleNamespace(
        **child_fields(child), current_service=current_service(child.id), contacts=contacts,
        possible_matches=[match_view(m, linked.get((m.contact_id, m.position)))
                          for m in matches
                          if not shut.hides_match(m, linked.get((m.contact_id, m.position)))])


def child_chronology(actor, child_id):
    """Everything about this child: its contacts, meetings and transitions (a duplicate merged
    into it brought its own), the decisions linking contacts' entries to or from it, and its
    merges. A restricted contact about them (and its meetings) is left out for those it is
    hidden from."""
    shut = restrictions.hidden(actor)
    child = get_child(child_id, actor, shut)
    contact_ids = list(session.scalars(
        select(ContactChild.contact_id).where(ContactChild.child_id == child.id,
                                              shut.contacts_clause(ContactChild.contact_id))
        .distinct()))
    meetings = session.scalars(
        select(StrategyMeeting).join(MeetingChild, MeetingChild.meeting_id == StrategyMeeting.id)
        .where(MeetingChild.child_id == child.id, shut.contacts_clause(StrategyMeeting.contact_id)))
    transitions = session.scalars(select(Transition).where(Transition.child_id == child.id))
    links = session.scalars(select(ChildLinkDecision).where(
        (ChildLinkDecision.from_child_id == child.id) | (ChildLinkDecision.to_child_id == child.id),
        shut.contacts_clause(ChildLinkDecision.contact_id)))
    merges = session.scalars(select(ChildMerge).where(
        (ChildMerge.child_id == child.id) | (ChildMerge.duplicate_id == child.id),
        shut.children_clause(ChildMerge.child_id), shut.children_clause(ChildMerge.duplicate_id)))
    return _in_order(_contact_items(contact_ids) + _meeting_items(meetings)
                     + _transition_items(transitions) + _link_items(links) + _merge_items(merges))
