from flask import url_for

from ..access import logs_access
from ..auth import current_actor, requires
from ..domain import transitions
from ..idempotency import idempotent
from . import Blueprint, honours_if_match
from schemas.common import page_of
from schemas.transitions import (
    ResponseCreateSchema, TransitionCreateSchema, TransitionListArgsSchema, TransitionSchema,
    WithdrawalCreateSchema,
)

blp = Blueprint("transitions", __name__, description="Step-up and step-down between services")

STAFF = ("practitioner", "manager")
CASE_READERS = ("practitioner", "manager", "auditor")


if_transition_matches = honours_if_match(transitions.get_transition, TransitionSchema, "transition")


def _located(transition):
    return transition, {"Location": url_for("transitions.get_transition", transition_id=transition.id)}


@blp.route("/transitions", methods=["POST"])
@requires(*STAFF)
@idempotent
@blp.arguments(TransitionCreateSchema)
@blp.response(201, TransitionSchema)
def request_transition(data):
    """Request a step-up or step-down for a child (one open request per child)."""
    return _located(transitions.request_transition(current_actor(), data))


@blp.route("/transitions")
@requires(*CASE_READERS)
@logs_access("transition")
@blp.arguments(TransitionListArgsSchema, location="query")
@blp.response(200, page_of(TransitionSchema))
def list_transitions(args):
    """List transition requests, most recent first; overdue=true for those past response_due_at."""
    return transitions.list_transitions(args)


@blp.route("/transitions/<uuid:transition_id>")
@requires(*CASE_READERS)
@logs_access("transition")
@blp.etag
@blp.response(200, TransitionSchema)
def get_transition(transition_id):
    """Read a transition request and its response."""
    return transitions.get_transition(transition_id)


@blp.route("/transitions/<uuid:transition_id>/response", methods=["POST"])
@requires("manager")
@idempotent
@if_transition_matches
@blp.arguments(ResponseCreateSchema)
@blp.response(201, TransitionSchema)
def respond_to_transition(data, transition_id):
    """Accept or refuse (with the threshold reasoning): a manager of the receiving service, once."""
    return _located(transitions.respond_to_transition(current_actor(), transition_id, data))


@blp.route("/transitions/<uuid:transition_id>/withdrawal", methods=["POST"])
@requires(*STAFF)
@idempotent
@if_transition_matches
@blp.arguments(WithdrawalCreateSchema, required=False)
@blp.response(201, TransitionSchema)
def withdraw_transition(data, transition_id):
    """Withdraw a request still awaiting a response (the requester, or a sending-service manager)."""
    return _located(transitions.withdraw_transition(current_actor(), transition_id, data))
