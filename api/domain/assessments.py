"""After the front door (DOMAIN.md): a referral allocated to a team and a worker, its s17 single
assessments, its primary need and its closure, in the DfE CIN census's codes.

A referral is a contact whose current decision is `assessment` or `strategy_discussion` (as
Annex A and the CIN census count them); its referral date is that decision's London date. An
assessment is due at the end of the 45th working day after it (England bank holidays excluded).

The rules the census's validation would otherwise find in the return are refused here, when the
record is written: an assessment authorised before it started, a child seen before the referral,
an assessment authorised by the worker who did it, factor 21 ("no factors identified") beside
another, a closure before the referral or before an assessment it follows, RC8/RC9 ("after
assessment") with no completed assessment.

Who may see them: staff and auditors, on a referral they may see (restrictions as for the
contact); never a partner agency.
"""

import uuid

from sqlalchemy import and_, not_, select

from .. import audit
from ..db import lock, session
from ..errors import Conflict, NotFound, RuleViolation
from ..models import Allocation, Assessment, AssessmentFactor, Contact
from ..pages import filtered, keyset_page
from ..timescales import configured_deadline_after, london_date, now
from ..vocab import AFTER_ASSESSMENT, NO_FACTORS, REFERRAL_OUTCOMES
from . import restrictions
from .contacts import lock_contact
from .rationale import check_not_future, check_rationale
from .references import next_reference

ASSESSMENT_WORKING_DAYS = 45


def _referral_decision(contact):
    """The contact's current decision if it makes the contact a referral; else 409."""
    decision = contact.current_decision
    if decision is None or decision.outcome not in REFERRAL_OUTCOMES:
        raise Conflict(
            "Only a referral (a contact whose current decision is assessment or "
            "strategy_discussion) is allocated, assessed or closed; this contact's is "
            f"{decision.outcome if decision else 'not yet decided'}.")
    return decision


def _open_referral(actor, contact_id):
    contact = lock_contact(actor, contact_id)
    decision = _referral_decision(contact)
    if contact.closed_on is not None:
        raise Conflict(f"The referral was closed on {contact.closed_on.isoformat()}.")
    return contact, decision


# ---- allocation -------------------------------------------------------------------------------


def _allocate(actor, record, referred_at, data, action, entity_type, **owner):
    """A new allocation of `record` (a referral's contact, or an assessment), made its current
    one; the earlier ones kept. Not before the referral (`referred_at`), not in the future."""
    current = now()
    allocated_at = data.get("allocated_at") or current
    check_not_future("allocated_at", allocated_at, current)
    if allocated_at < referred_at:
        raise RuleViolation("allocated_at", "Must not be before the referral (the current "
                            "decision's decided_at).")
    allocation = Allocation(
        id=uuid.uuid4(), position=len(record.allocations), team=data["team"],
        worker=data["worker"], allocated_at=allocated_at, recorded_at=current,
        recorded_by_sub=actor.sub, recorded_by_role=actor.role, **owner)
    session.add(allocation)
    record.allocated_team = allocation.team
    record.allocated_worker = allocation.worker
    record.allocated_at = allocation.allocated_at
    session.flush()
    session.expire(record, ["allocations"])
    audit.record(actor, action, entity_type, record.id,
                 {"allocation_id": allocation.id, "team": allocation.team,
                  "worker": allocation.worker, "allocated_at": allocation.allocated_at})
    return record


def allocation_view(record):
    if record.allocated_at is None:
        return None
    return {"team": record.allocated_team, "worker": record.allocated_worker,
            "at": record.allocated_at}


def allocation_history(allocations):
    return [{"team": a.team, "worker": a.worker, "at": a.allocated_at, "by": a.recorded_by_sub,
             "recorded_at": a.recorded_at} for a in allocations]


def allocate_referral(actor, contact_id, data):
    """Allocate an open referral to a team and a worker (again: a new allocation, the earlier
    ones kept)."""
    contact, decision = _open_referral(actor, contact_id)
    return _allocate(actor, contact, decision.decided_at, data, "referral.allocated", "contact",
                     contact_id=contact.id)


def allocate_assessment(actor, assessment_id, data):
    assessment = _locked_assessment(actor, assessment_id)
    if assessment.status != "open":
        raise Conflict("A completed assessment is not allocated.")
    return _allocate(actor, assessment, assessment.referred_at, data, "assessment.allocated",
                     "assessment", assessment_id=assessment.id)


# ---- single assessments -----------------------------------------------------------------------


def _visible(actor):
    return select(Assessment).where(
        restrictions.hidden(actor).contacts_clause(Assessment.contact_id),
        restrictions.hidden(actor).children_clause(Assessment.child_id))


def get_assessment(actor, assessment_id):
    record = session.scalar(_visible(actor).where(Assessment.id == assessment_id))
    if record is None:
        raise NotFound(f"No assessment {assessment_id} that you may see.")
    return record


def _locked_assessment(actor, assessment_id):
    return lock(get_assessment(actor, assessment_id))


def start_assessment(actor, data):
    contact, decision = _open_referral(actor, data["contact_id"])
    if data["child_id"] not in {link.child_id for link in contact.child_links}:
        raise RuleViolation("child_id", "Must be one of the referral's children (its "
                            "children[].id).")
    current = now()
    started_at = data["started_at"]
    check_not_future("started_at", started_at, current)
    if london_date(started_at) < london_date(decision.decided_at):
        raise RuleViolation("started_at", "Must not be before the referral (the London date of "
                            "the current decision).")
    existing = session.scalar(select(Assessment.reference).where(
        Assessment.contact_id == contact.id, Assessment.child_id == data["child_id"]))
    if existing is not None:
        raise Conflict(f"The child already has an assessment on this referral ({existing}).",
                       errors={"child_id": ["Already assessed on this referral."]})
    record = Assessment(
        id=uuid.uuid4(), reference=next_reference("A", london_date(started_at).year),
        contact_id=contact.id, child_id=data["child_id"], referred_at=decision.decided_at,
        started_at=started_at, started_by_sub=actor.sub, started_by_role=actor.role,
        due_at=configured_deadline_after(decision.decided_at, ASSESSMENT_WORKING_DAYS),
        status="open",
    )
    session.add(record)
    session.flush()
    audit.record(actor, "assessment.started", "assessment", record.id, audit.snapshot(record))
    return record


def _worker(assessment):
    """Who did the assessment: its allocated worker, else the referral's, else who started it."""
    if assessment.allocated_worker:
        return assessment.allocated_worker
    allocated = session.scalar(select(Contact.allocated_worker).where(
        Contact.id == assessment.contact_id))
    return allocated or assessment.started_by_sub


def _check_factors(factors):
    if NO_FACTORS in factors and len(factors) > 1:
        raise RuleViolation("factors", f"{NO_FACTORS} (no factors identified) stands alone.")


def complete_assessment(actor, assessment_id, data):
    """A manager authorises the assessment: the child seen, the factors, outcome and rationale."""
    assessment = _locked_assessment(actor, assessment_id)
    if assessment.status != "open":
        raise Conflict(f"The assessment was completed already, by {assessment.authorised_by_sub}.")
    if _worker(assessment) == actor.sub:
        raise RuleViolation("assessment", "A manager cannot authorise an assessment they did "
                            "(its allocated worker, or who started it).")
    current = now()
    seen, authorised = data["child_seen_at"], data["authorised_at"]
    check_not_future("child_seen_at", seen, current)
    check_not_future("authorised_at", authorised, current)
    if london_date(seen) < london_date(assessment.referred_at):
        raise RuleViolation("child_seen_at", "Must not be before the referral.")
    if authorised < assessment.started_at:
        raise RuleViolation("authorised_at", "Must not be before the assessment started "
                            "(started_at).")
    if seen > authorised:
        raise RuleViolation("child_seen_at", "The child is seen before the assessment is "
                            "authorised (authorised_at).")
    _check_factors(data["factors"])
    rationale = check_rationale("rationale", data["rationale"], explains="the outcome")
    assessment.status = "completed"
    assessment.child_seen_at = seen
    assessment.authorised_at = authorised
    assessment.authorised_by_sub = actor.sub
    assessment.completion_recorded_at = current
    assessment.factor_rows = [AssessmentFactor(position=n, code=code)
                              for n, code in enumerate(data["factors"])]
    assessment.outcome = data["outcome"]
    assessment.rationale = rationale
    assessment.primary_need = data.get("primary_need")
    assessment.within_45_working_days = authorised <= assessment.due_at
    session.flush()
    audit.record(actor, "assessment.completed", "assessment", assessment.id, {
        "child_seen_at": seen, "authorised_at": authorised, "factors": list(data["factors"]),
        "outcome": assessment.outcome, "rationale": rationale,
        "primary_need": assessment.primary_need,
        "within_45_working_days": assessment.within_45_working_days})
    if assessment.primary_need:
        contact = lock(session.get(Contact, assessment.contact_id))
        contact.primary_need = assessment.primary_need
        session.flush()
        audit.record(actor, "referral.primary_need_recorded", "contact", contact.id,
                     {"primary_need": contact.primary_need, "assessment_id": assessment.id})
    return assessment


def list_assessments(actor, args):
    stmt = filtered(_visible(actor), args,
                    equal={"status": Assessment.status, "contact_id": Assessment.contact_id,
                           "child_id": Assessment.child_id},
                    since={"from_": Assessment.started_at}, before={"to": Assessment.started_at})
    if "overdue" in args:
        overdue = and_(Assessment.status == "open", Assessment.due_at < now())
        stmt = stmt.where(overdue if args["overdue"] else not_(overdue))
    return keyset_page(stmt, [Assessment.started_at, Assessment.id], limit=args["limit"],
                       cursor=args.get("cursor"), descending=True)


def view(assessment):
    """An assessment as staff and auditors see it."""
    return {
        "id": assessment.id, "reference": assessment.reference,
        "contact_id": assessment.contact_id, "child_id": assessment.child_id,
        "referred_at": assessment.referred_at, "started_at": assessment.started_at,
        "started_by": assessment.started_by_sub, "due_at": assessment.due_at,
        "status": assessment.status,
        "overdue": assessment.status == "open" and assessment.due_at < now(),
        "child_seen_at": assessment.child_seen_at, "authorised_at": assessment.authorised_at,
        "authorised_by": assessment.authorised_by_sub,
        "factors": [row.code for row in assessment.factor_rows],
        "outcome": assessment.outcome, "rationale": assessment.rationale,
        "primary_need": assessment.primary_need,
        "within_45_working_days": assessment.within_45_working_days,
        "allocation": allocation_view(assessment),
        "allocation_history": allocation_history(assessment.allocations),
    }


# ---- closure ----------------------------------------------------------------------------------


def close_referral(actor, contact_id, data):
    """Close a referral with its CIN reason (RC1-RC9) and rationale, once."""
    contact, decision = _open_referral(actor, contact_id)
    current = now()
    closed_on = data["closed_on"]
    if closed_on > london_date(current):
        raise RuleViolation("closed_on", "Must not be in the future.")
    if closed_on < london_date(decision.decided_at):
        raise RuleViolation("closed_on", "Must not be before the referral (the London date of "
                            "the current decision).")
    assessments = session.scalars(select(Assessment).where(
        Assessment.contact_id == contact.id)).all()
    still_open = [a.reference for a in assessments if a.status == "open"]
    if still_open:
        raise Conflict(f"Complete the referral's open assessments first: {', '.join(still_open)}.")
    for assessment in assessments:
        if closed_on < london_date(assessment.authorised_at):
            raise RuleViolation("closed_on", f"Must not be before assessment "
                                f"{assessment.reference} was authorised.")
    if data["reason"] in AFTER_ASSESSMENT and not assessments:
        raise RuleViolation("reason", f"{data['reason']} closes a referral after an assessment; "
                            "this referral has none.")
    primary_need = data.get("primary_need") or contact.primary_need
    if primary_need is None:
        raise RuleViolation("primary_need", "The referral has no primary need recorded: give it "
                            "(N0-N9).")
    rationale = check_rationale("rationale", data["rationale"], explains="the closure")
    contact.closed_on = closed_on
    contact.closure_reason = data["reason"]
    contact.closure_rationale = rationale
    contact.closure_recorded_at = current
    contact.closed_by_sub = actor.sub
    contact.primary_need = primary_need
    session.flush()
    audit.record(actor, "referral.closed", "contact", contact.id, {
        "closed_on": closed_on, "reason": contact.closure_reason, "rationale": rationale,
        "primary_need": primary_need})
    return contact


def closure_view(contact):
    if contact.closed_on is None:
        return None
    return {"closed_on": contact.closed_on, "reason": contact.closure_reason,
            "rationale": contact.closure_rationale, "by": contact.closed_by_sub,
            "recorded_at": contact.closure_recorded_at}
