"""Working-day facts stored on records, recomputed when the bank holiday calendar changes.

Deadlines and on-time flags are stored when a record is written, so that lists and metrics compare
columns. A newly announced bank holiday (a coronation, a state funeral) moves some of them after
the fact: this puts every one right on the configured calendar, streaming each table in batches,
changing only the records whose value differs, with one audit event per record changed, all in
the caller's transaction.
"""

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import raiseload

from .. import audit
from ..db import session
from ..models import Contact, Decision, StrategyMeeting, Transition
from ..timescales import (
    configured_deadline_after,
    london_date,
    rag_decision_due_at,
    statutory_decision_due_at,
    working_days_after,
    working_days_between,
)

BATCH_SIZE = 500


def recompute_working_day_facts(actor, batch_size=BATCH_SIZE):
    """Recompute every stored working-day fact; return how many records changed, per kind."""
    config = current_app.config
    calendar = (config["HOLIDAY_COUNTRY"], config["HOLIDAY_SUBDIVISION"])

    def contact_facts(contact):
        # The deadline its current RAG rating sets (unrated: the statutory one).
        return {"decision_due_at": rag_decision_due_at(contact.received_at, contact.rag_rating)}

    def decision_facts(decision, decision_due_at):
        # The RAG deadline is the contact's as it now stands: a rating is given only before the
        # decision, so it is the one the decision was made under.
        return {"within_1_working_day":
                decision.decided_at <= statutory_decision_due_at(decision.contact_received_at),
                "within_rag_deadline": decision.decided_at <= decision_due_at}

    def transition_facts(transition):
        facts = {"response_due_at": configured_deadline_after(
            transition.requested_at, config["TRANSITION_RESPONSE_WORKING_DAYS"])}
        if transition.response_at is not None:
            facts["working_days_to_response"] = working_days_between(
                london_date(transition.requested_at), london_date(transition.response_at),
                *calendar)
        return facts

    def meeting_facts(meeting):
        facts = {}
        if meeting.outcome == "s47_enquiry":
            facts["icpc_due_date"] = working_days_after(
                london_date(meeting.held_at), config["ICPC_WORKING_DAYS"], *calendar)
            if meeting.icpc_held_on is not None:
                facts["icpc_within_timescale"] = meeting.icpc_held_on <= facts["icpc_due_date"]
        if meeting.minutes_recorded_at is not None:
            facts["minutes_within_1_working_day"] = meeting.minutes_recorded_at <= (
                configured_deadline_after(meeting.held_at, config["MINUTES_WORKING_DAYS"]))
        return facts

    # Contacts first: each decision is judged against its contact's recomputed due time, which
    # the join reads back from the database (flushed by then).
    return {
        "contacts": _recompute(
            actor, "contact", contact_facts, batch_size,
            select(Contact).order_by(Contact.received_at, Contact.id),
        ),
        "decisions": _recompute(
            actor, "decision", decision_facts, batch_size,
            select(Decision, Contact.decision_due_at)
            .join(Contact, Contact.id == Decision.contact_id)
            .order_by(Decision.decided_at, Decision.id),
        ),
        "transitions": _recompute(
            actor, "transition", transition_facts, batch_size,
            select(Transition).order_by(Transition.requested_at, Transition.id),
        ),
        "strategy_meetings": _recompute(
            actor, "strategy_meeting", meeting_facts, batch_size,
            select(StrategyMeeting)
            .where(StrategyMeeting.held_at.is_not(None))
            .order_by(StrategyMeeting.convened_at, StrategyMeeting.id),
        ),
    }


def _recompute(actor, entity_type, facts_of, batch_size, stmt):
    """Set each record's facts where they differ, with an audit event saying from what to what."""
    # Batches keep memory flat; no relationship is loaded, and records already flushed are
    # only weakly held by the session, so each batch can be let go.
    rows = session.execute(
        stmt.options(raiseload("*")).execution_options(yield_per=batch_size)
    )
    changed = 0
    for record, *context in rows:
        differences = {
            field: {"from": getattr(record, field), "to": value}
            for field, value in facts_of(record, *context).items()
            if getattr(record, field) != value
        }
        if not differences:
            continue
        for field, change in differences.items():
            setattr(record, field, change["to"])
        session.flush()
        audit.record(actor, f"{entity_type}.timescales_recomputed", entity_type, record.id,
                     differences)
        changed += 1
    rows.close()
    return changed
