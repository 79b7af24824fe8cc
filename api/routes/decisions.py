from ..access import records_shown
from ..auth import CASE_READERS, MANAGERS, STAFF
from ..caller import current_actor
from ..domain import chronology, decisions
from . import Blueprint, located
from .contacts import if_contact_matches
from schemas.chronology import ChronologySchema
from schemas.common import page_of
from schemas.decisions import (
    ApprovalCreateSchema, DecisionCreateSchema, DecisionListArgsSchema, DecisionListSchema,
    DecisionSchema, FeedbackCreateSchema, FeedbackSchema, ListedDecisionSchema,
)

blp = Blueprint("decisions", __name__, description="Threshold decisions, sign-off, feedback, history")


@blp.route("/contacts/<uuid:contact_id>/decisions", methods=["POST"], roles=STAFF, writes=True)
@if_contact_matches
@blp.arguments(DecisionCreateSchema)
@blp.response(201, DecisionSchema)
def record_decision(data, contact_id):
    """Record a threshold decision with its rationale (a second one must supersede the first)."""
    decision = decisions.record_decision(current_actor(), contact_id, data)
    return located(decision, "decisions.list_decisions", contact_id=contact_id)


@blp.route("/contacts/<uuid:contact_id>/decisions", roles=CASE_READERS, logs_access="contact")
@blp.response(200, DecisionListSchema)
def list_decisions(contact_id):
    """List a contact's decisions, superseded ones included, oldest first."""
    return {"items": decisions.list_decisions(current_actor(), contact_id)}


@blp.route("/decisions", roles=CASE_READERS, logs_access="contact")
@blp.arguments(DecisionListArgsSchema, location="query")
@blp.response(200, page_of(ListedDecisionSchema))
def list_current_decisions(args):
    """List current decisions, oldest decided first; approval=pending is the managers' sign-off inbox."""
    page = decisions.list_current_decisions(current_actor(), args)
    records_shown([decision.contact_id for decision in page["items"]])
    return page


@blp.route("/decisions/<uuid:decision_id>/approval", methods=["POST"], roles=MANAGERS, writes=True)
@blp.arguments(ApprovalCreateSchema, required=False)
@blp.response(201, DecisionSchema)
def approve_decision(data, decision_id):
    """Sign off a decision (a manager, not the decider; once; not a superseded one)."""
    decision = decisions.approve_decision(current_actor(), decision_id, data)
    return located(decision, "decisions.list_decisions", contact_id=decision.contact_id)


@blp.route("/contacts/<uuid:contact_id>/feedback", methods=["POST"], roles=STAFF, writes=True)
@if_contact_matches
@blp.arguments(FeedbackCreateSchema)
@blp.response(201, FeedbackSchema)
def record_feedback(data, contact_id):
    """Record feedback given to the referrer: when, how, what they were told."""
    feedback = decisions.record_feedback(current_actor(), contact_id, data)
    return located(feedback, "contacts.get_contact", contact_id=contact_id)


@blp.route("/contacts/<uuid:contact_id>/history", roles=CASE_READERS, logs_access="contact")
@blp.response(200, ChronologySchema)
def contact_history(contact_id):
    """Everything about this contact, in time order."""
    return chronology.contact_history(current_actor(), contact_id)
