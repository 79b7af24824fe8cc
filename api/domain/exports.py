"""The decision history export: every threshold decision decided in a period, superseded ones too.

A page for small pulls; for bulk pulls a stream whose memory stays flat however many rows: two
queries read side by side in the same order (decisions, and the feedback of each decision's
contact), merged as they go, so nothing is held beyond a batch of each.
"""

from sqlalchemy import func, select

from ..models import Assessment, Contact, Decision, Feedback, StrategyMeeting, Transition
from ..vocab import REFERRAL_OUTCOMES
from ..pages import keyset_page
from ..timescales import start_of_london_day

BATCH = 1000  # rows fetched at a time by a stream

ORDER = (Decision.decided_at, Decision.id)


def _in_period(stmt, args, shut):
    """The period's decisions, less those of contacts restricted from the reader (`shut`)."""
    return stmt.where(Decision.decided_at >= start_of_london_day(args["from_"]),
                      Decision.decided_at < start_of_london_day(args["to"]),
                      shut.contacts_clause(Decision.contact_id))


def _decisions(args, shut):
    return _in_period(
        select(
            Decision.id, Decision.contact_id, Contact.reference.label("contact_reference"),
            Contact.received_at.label("contact_received_at"), Contact.source_agency,
            Decision.outcome, Decision.rationale, Decision.decided_at, Decision.recorded_at,
            Decision.decided_by_sub, Decision.decided_by_role, Decision.decided_by_service,
            Decision.within_24_hours, Decision.within_1_working_day,
            Decision.approved_by_sub, Decision.approved_at, Decision.approval_note,
            Decision.supersedes_id, Decision.supersede_reason, Decision.superseded_by_id,
        ).join(Contact, Contact.id == Decision.contact_id),
        args, shut,
    )


FEEDBACK_COLUMNS = (Feedback.given_at, Feedback.method, Feedback.summary, Feedback.recorded_by_sub)


def _feedback(row):
    return {"given_at": row.given_at, "method": row.method, "summary": row.summary,
            "recorded_by": row.recorded_by_sub}


def _export_row(decision, feedback):
    approval = None
    if decision.approved_at is not None:
        approval = {"approved_by": decision.approved_by_sub, "approved_at": decision.approved_at,
                    "note": decision.approval_note}
    return {
        "id": decision.id,
        "contact": {"id": decision.contact_id, "reference": decision.contact_reference,
                    "received_at": decision.contact_received_at,
                    "source_agency": decision.source_agency},
        "outcome": decision.outcome,
        "rationale": decision.rationale,
        "decided_by": {"sub": decision.decided_by_sub, "role": decision.decided_by_role,
                       "service": decision.decided_by_service},
        "decided_at": decision.decided_at,
        "recorded_at": decision.recorded_at,
        "within_24_hours": decision.within_24_hours,
        "within_1_working_day": decision.within_1_working_day,
        "approval": approval,
        "current": decision.superseded_by_id is None,
        "supersedes": decision.supersedes_id,
        "supersede_reason": decision.supersede_reason,
        "superseded_by": decision.superseded_by_id,
        "feedback": feedback,
    }


def decision_page(session, args, shut):
    """One page of the period's decisions in (decided_at, id) order, with their feedback."""
    page = keyset_page(_decisions(args, shut), list(ORDER), limit=args["limit"],
                       cursor=args.get("cursor"), rows=True)
    contact_ids = {row.contact_id for row in page["items"]}
    feedback = {contact_id: [] for contact_id in contact_ids}
    if contact_ids:
        for row in session.execute(
            select(Feedback.contact_id, *FEEDBACK_COLUMNS)
            .where(Feedback.contact_id.in_(contact_ids))
            .order_by(Feedback.contact_id, Feedback.given_at, Feedback.id)
        ):
            feedback[row.contact_id].append(_feedback(row))
    page["items"] = [_export_row(row, feedback[row.contact_id]) for row in page["items"]]
    return page


def count_decisions(session, args, shut):
    """How many decisions the period's export holds (a job's progress: done of this)."""
    return session.scalar(_in_period(select(func.count()).select_from(Decision), args, shut))


def count_annex_a_records(session, name, first, last, shut):
    """How many records an Annex A list is made of (its rows are these, one for each child of
    each): contacts received, early help decisions and step downs, referrals decided,
    assessments started, s47 enquiries started in the period."""
    start, end = start_of_london_day(first), start_of_london_day(last)
    if name == "early-help":
        decided = session.scalar(select(func.count()).select_from(Decision).where(
            Decision.superseded_by_id.is_(None), Decision.outcome == "early_help",
            Decision.decided_at >= start, Decision.decided_at < end,
            shut.contacts_clause(Decision.contact_id)))
        return decided + session.scalar(select(func.count()).select_from(Transition).where(
            Transition.direction == "step_down", Transition.status == "accepted",
            Transition.response_at >= start, Transition.response_at < end,
            shut.children_clause(Transition.child_id)))
    if name == "assessments":
        return session.scalar(select(func.count()).select_from(Assessment).where(
            Assessment.started_at >= start, Assessment.started_at < end,
            shut.contacts_clause(Assessment.contact_id), shut.children_clause(Assessment.child_id)))
    if name == "contacts":
        stmt = select(func.count()).select_from(Contact).where(
            Contact.received_at >= start, Contact.received_at < end, shut.contacts_clause(Contact.id))
    elif name == "referrals":
        stmt = select(func.count()).select_from(Decision).where(
            Decision.superseded_by_id.is_(None), Decision.outcome.in_(REFERRAL_OUTCOMES),
            Decision.decided_at >= start, Decision.decided_at < end,
            shut.contacts_clause(Decision.contact_id))
    else:
        stmt = select(func.count()).select_from(StrategyMeeting).where(
            StrategyMeeting.outcome == "s47_enquiry", StrategyMeeting.held_at >= start,
            StrategyMeeting.held_at < end, shut.contacts_clause(StrategyMeeting.contact_id))
    return session.scalar(stmt)


def stream_decisions(session, args, shut):
    """Every decision of the period in (decided_at, id) order, with its contact's feedback.

    Feedback comes from a second query in the same order (one row per decision and feedback),
    merged as both are read. Under PostgreSQL's read committed the two may see slightly different
    moments: feedback of a decision the first query did not see is skipped, not misplaced.
    """
    stmt = _decisions(args, shut).order_by(*ORDER)
    feedback_stmt = _in_period(
        select(Decision.decided_at, Decision.id.label("decision_id"), *FEEDBACK_COLUMNS)
        .join(Feedback, Feedback.contact_id == Decision.contact_id),
        args, shut,
    ).order_by(*ORDER, Feedback.given_at, Feedback.id)
    options = {"yield_per": BATCH}
    decisions = session.execute(stmt, execution_options=options)
    feedback_rows = session.execute(feedback_stmt, execution_options=options)
    try:
        pending = next(feedback_rows, None)
        for decision in decisions:
            key = (decision.decided_at, decision.id)
            while pending is not None and (pending.decided_at, pending.decision_id) < key:
                pending = next(feedback_rows, None)
            feedback = []
            while pending is not None and (pending.decided_at, pending.decision_id) == key:
                feedback.append(_feedback(pending))
                pending = next(feedback_rows, None)
            yield _export_row(decision, feedback)
    finally:
        feedback_rows.close()
        decisions.close()
