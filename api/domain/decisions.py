"""Threshold decisions, management oversight, and feedback to the referrer."""

from datetime import timedelta

from sqlalchemy import select

from .. import audit, webhooks
from ..db import lock, session
from ..errors import Conflict, NotFound, RuleViolation
from ..models import Contact, ContactChild, Decision, Feedback
from ..pages import filtered, keyset_page
from ..timescales import (
    configured_deadline_after, now, start_of_london_day, statutory_decision_due_at,
    twelve_months_before,
)
from ..vocab import REFERRAL_OUTCOMES
from . import information_requests, restrictions
from .contacts import get_contact
from .rationale import check_not_future, check_rationale

# A referral is allocated to a team and a worker within this many working days (PI5).
ALLOCATION_WORKING_DAYS = 5

# Which consent statuses let each outcome proceed (outcomes not listed proceed whatever it is).
CONSENT_NEEDED = {
    "early_help": ("given",),  # early help is voluntary
    "assessment": ("given", "overridden"),
}


def _check_instant(field, value, not_before, not_before_name, current):
    check_not_future(field, value, current)
    if value < not_before:
        raise RuleViolation(field, f"Must not be before {not_before_name}.")


def _locked_contact(actor, contact_id):
    """The contact, row-locked for the rest of the transaction (one current decision at a time)."""
    # Re-read under the lock: a request that committed while we waited may have changed the
    # consent (and the version), and the rules must judge the contact as it now stands.
    return lock(get_contact(actor, contact_id))


def _is_re_referral(contact, decided_at):
    """A child of this contact had another referral decided in the 12 months before this one."""
    children = [link.child_id for link in contact.child_links]
    earlier = session.scalar(
        select(Decision.id)
        .join(ContactChild, ContactChild.contact_id == Decision.contact_id)
        .where(
            ContactChild.child_id.in_(children),
            Decision.contact_id != contact.id,
            Decision.superseded_by_id.is_(None),
            Decision.outcome.in_(REFERRAL_OUTCOMES),
            Decision.decided_at >= twelve_months_before(decided_at),
            Decision.decided_at < decided_at,
        )
        .limit(1)
    )
    return earlier is not None


def current_decision(contact_id):
    return session.scalar(
        select(Decision).where(Decision.contact_id == contact_id, Decision.superseded_by_id.is_(None))
    )


def record_decision(actor, contact_id, data):
    contact = _locked_contact(actor, contact_id)
    current = now()
    decided_at = data.get("decided_at") or current
    _check_instant("decided_at", decided_at, contact.received_at, "the contact's received_at", current)
    rationale = check_rationale("rationale", data.get("rationale"))
    outcome = data["outcome"]
    allowed = CONSENT_NEEDED.get(outcome)
    if allowed and contact.consent_status not in allowed:
        needs = " or ".join(allowed)
        raise RuleViolation(
            "outcome",
            f"{outcome} needs consent {needs}; the contact's consent is {contact.consent_status}. "
            "Record the consent first (POST /contacts/{id}/consent).",
        )
    previous = current_decision(contact.id)
    supersedes = data.get("supersedes")
    if previous is not None and supersedes is None:
        raise Conflict(
            f"The contact already has a current decision ({previous.id}); a new one must name it "
            "in supersedes, with a supersede_reason.",
            errors={"supersedes": ["Required: the contact has a current decision."]},
        )
    if supersedes is None and data.get("supersede_reason"):
        raise RuleViolation(
            "supersede_reason", "Give it only with supersedes: the decision this one replaces."
        )
    if supersedes is not None:
        if previous is None or previous.id != supersedes:
            raise Conflict(
                "supersedes must name the contact's current decision.",
                errors={"supersedes": ["Not the contact's current decision."]},
            )
        if not (data.get("supersede_reason") or "").strip():
            raise RuleViolation("supersede_reason", "Say why the earlier decision is superseded.")
    decision = Decision(
        contact_id=contact.id,
        contact_received_at=contact.received_at,
        outcome=outcome,
        rationale=rationale,
        decided_at=decided_at,
        recorded_at=current,
        decided_by_sub=actor.sub,
        decided_by_role=actor.role,
        decided_by_service=actor.service,
        within_24_hours=decided_at - contact.received_at <= timedelta(hours=24),
        # The statutory figure whatever the rating; the RAG figure by the rated deadline.
        within_1_working_day=decided_at <= statutory_decision_due_at(contact.received_at),
        within_rag_deadline=decided_at <= contact.decision_due_at,
        seconds_from_receipt=int((decided_at - contact.received_at).total_seconds()),
        re_referral=_is_re_referral(contact, decided_at) if outcome in REFERRAL_OUTCOMES else None,
        allocation_due_at=configured_deadline_after(decided_at, ALLOCATION_WORKING_DAYS)
        if outcome in REFERRAL_OUTCOMES else None,
        supersedes_id=previous.id if previous else None,
        supersede_reason=(data.get("supersede_reason") or "").strip() or None,
    )
    session.add(decision)
    session.flush()
    if previous is not None:
        previous.superseded_by_id = decision.id
    first = contact.status != "decided"
    contact.status = "decided"
    session.flush()
    audit.record(actor, "decision.recorded", "decision", decision.id, audit.snapshot(decision))
    # The other records this changed get an event each, so each one's latest event holds its
    # state (api/record_state.py).
    if previous is not None:
        audit.record(actor, "decision.superseded", "decision", previous.id,
                     {"superseded_by": decision.id})
    if first:
        audit.record(actor, "contact.decided", "contact", contact.id,
                     {"status": contact.status, "decision_id": decision.id})
    # The information requests still open: each withdrawn ("decided without it") unless the
    # decider keeps them open; the decision's answer lists them either way.
    if data.get("keep_information_requests_open"):
        still_open = information_requests.open_on(contact.id)
    else:
        still_open = information_requests.withdraw_open(actor, contact.id)
    decision.open_information_requests = [
        information_requests.view_for(actor, record) for record in still_open]
    # The referring agency's system hears of the outcome it may see (api/webhooks.py's outbox).
    webhooks.contact_event("contact.decided", contact)
    return decision


def get_decision(actor, decision_id):
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(f"No decision {decision_id}.")
    get_contact(actor, decision.contact_id)  # visibility follows the contact
    return decision


def list_decisions(actor, contact_id):
    contact = get_contact(actor, contact_id)
    return session.scalars(
        select(Decision)
        .where(Decision.contact_id == contact.id)
        .order_by(Decision.recorded_at, Decision.id)
    ).all()


class ListedDecision:
    """A decision with its contact's reference, as GET /decisions lists it."""

    def __init__(self, decision, contact_reference):
        self._decision = decision
        self.contact_reference = contact_reference

    def __getattr__(self, name):
        return getattr(self._decision, name)


APPROVAL_FILTERS = {
    "pending": Decision.approved_at.is_(None),
    "given": Decision.approved_at.is_not(None),
}


def list_current_decisions(actor, args):
    """Current (not superseded) decisions, oldest decided first: the managers' sign-off inbox with
    approval=pending. A superseded decision is never signed off, so it is never listed here (the
    contact's own list and the export keep it). Decisions of contacts restricted from `actor` are
    left out, like the contacts themselves."""
    shut = restrictions.hidden(actor)
    stmt = (
        select(Decision, Contact.reference)
        .join(Contact, Contact.id == Decision.contact_id)
        .where(Decision.superseded_by_id.is_(None), shut.contacts_clause(Decision.contact_id))
    )
    if "approval" in args:
        stmt = stmt.where(APPROVAL_FILTERS[args["approval"]])
    if "from_" in args:
        stmt = stmt.where(Decision.decided_at >= start_of_london_day(args["from_"]))
    if "to" in args:
        stmt = stmt.where(Decision.decided_at < start_of_london_day(args["to"]))
    stmt = filtered(stmt, args, equal={"service": Decision.decided_by_service})
    page = keyset_page(stmt, [Decision.decided_at, Decision.id], limit=args["limit"],
                       cursor=args.get("cursor"), rows=True,
                       values_of=lambda row: (row.Decision.decided_at, row.Decision.id))
    page["items"] = [ListedDecision(row.Decision, row.reference) for row in page["items"]]
    return page


def approve_decision(actor, decision_id, data):
    """Management oversight: a manager signs off someone else's current decision, once."""
    decision = lock(get_decision(actor, decision_id))
    if decision.decided_by_sub == actor.sub:
        raise RuleViolation("decision", "A manager cannot approve their own decision.")
    if decision.superseded_by_id is not None:
        raise Conflict("A superseded decision cannot be approved.")
    if decision.approved_at is not None:
        raise Conflict(f"The decision was approved already, by {decision.approved_by_sub}.")
    decision.approved_by_sub = actor.sub
    decision.approved_at = now()
    decision.approval_note = (data.get("note") or "").strip() or None
    session.flush()
    audit.record(
        actor, "decision.approved", "decision", decision.id,
        {"approved_by": actor.sub, "approved_at": decision.approved_at, "note": decision.approval_note},
    )
    return decision


def record_feedback(actor, contact_id, data):
    contact = _locked_contact(actor, contact_id)
    current = now()
    _check_instant("given_at", data["given_at"], contact.received_at, "the contact's received_at", current)
    feedback = Feedback(
        contact_id=contact.id,
        given_at=data["given_at"],
        method=data["method"],
        summary=data["summary"],
        recorded_at=current,
        recorded_by_sub=actor.sub,
    )
    session.add(feedback)
    earliest = contact.feedback_given_at is None or feedback.given_at < contact.feedback_given_at
    if earliest:
        contact.feedback_given_at = feedback.given_at
    session.flush()
    audit.record(actor, "feedback.recorded", "feedback", feedback.id, audit.snapshot(feedback))
    if earliest:  # the contact changed too
        audit.record(actor, "contact.feedback_given", "contact", contact.id,
                     {"feedback_given_at": contact.feedback_given_at, "feedback_id": feedback.id})
    webhooks.contact_event("contact.feedback_given", contact)
    return feedback
