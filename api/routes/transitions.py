from ..auth import CASE_READERS, MANAGERS, STAFF
from ..caller import current_actor
from ..domain import transitions
from . import Blueprint, honours_if_match, locator
from schemas.common import page_of
from schemas.transitions import (
    ResponseCreateSchema, TransitionCreateSchema, TransitionListArgsSchema, TransitionSchema,
    WithdrawalCreateSchema,
)

blp = Blueprint("transitions", __name__, description="Step-up and step-down between services")


def current_transition(transition_id):
    """The transition as its GET shows it to this actor (for If-Match)."""
    return transitions.get_transition(current_actor(), transition_id)


if_transition_matches = honours_if_match(current_transition, TransitionSchema, "transition")


_located = locator("transitions.get_transition", "transition_id")


@blp.route("/transitions", methods=["POST"], roles=STAFF, writes=True)
@blp.arguments(TransitionCreateSchema)
@blp.response(201, TransitionSchema)
def request_transition(data):
    """Request a step-up or step-down for a child (one open request per child)."""
    return _located(transitions.request_transition(current_actor(), data))


@blp.route("/transitions", roles=CASE_READERS, logs_access="transition")
@blp.arguments(TransitionListArgsSchema, location="query")
@blp.response(200, page_of(TransitionSchema))
def list_transitions(args):
    """List transition requests, most recent first; overdue=true for those past response_due_at."""
    return transitions.list_transitions(current_actor(), args)


@blp.route("/transitions/<uuid:transition_id>", roles=CASE_READERS, logs_access="transition")
@blp.etag
@blp.response(200, TransitionSchema)
def get_transition(transition_id):
    """Read a transition request and its response."""
    return transitions.get_transition(current_actor(), transition_id)


@blp.route("/transitions/<uuid:transition_id>/response",
           methods=["POST"], roles=MANAGERS, writes=True)
@if_transition_matches
@blp.arguments(ResponseCreateSchema)
@blp.response(201, TransitionSchema)
def respond_to_transition(data, transition_id):
    """Accept or refuse (with the threshold reasoning): a manager of the receiving service, once."""
    return _located(transitions.respond_to_transition(current_actor(), transition_id, data))


@blp.route("/transitions/<uuid:transition_id>/withdrawal",
           methods=["POST"], roles=STAFF, writes=True)
@if_transition_matches
@blp.arguments(WithdrawalCreateSchema, required=False)
@blp.response(201, TransitionSchema)
def withdraw_transition(data, transition_id):
    """Withdraw a request still awaiting a response (the requester, or a sending-service manager)."""
    return _located(transitions.withdraw_transition(current_actor(), transition_id, data))
