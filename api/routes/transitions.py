from flask import request, url_for

from ..auth import current_actor, requires
from ..domain import transitions
from ..errors import PreconditionFailed
from ..idempotency import idempotent
from . import Blueprint
from schemas.common import page_of
from schemas.transitions import (
    ResponseCreateSchema, TransitionCreateSchema, TransitionListArgsSchema, TransitionSchema,
    WithdrawalCreateSchema,
)

blp = Blueprint("transitions", __name__, description="Step-up and step-down between services")

STAFF = ("practitioner", "manager")
CASE_READERS = ("practitioner", "manager", "auditor")


IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "The transition's ETag as last read; 412 if it has changed."}


def _located(transition):
    return transition, {"Location": url_for("transitions.get_transition", transition_id=transition.id)}


def _check_if_match(transition_id):
    """Honour If-Match: the ETag a client last read must still be current."""
    if request.if_match and not request.if_match.contains(
        Blueprint._generate_etag(TransitionSchema().dump(transitions.get_transition(transition_id)))
    ):
        raise PreconditionFailed("The transition has changed since you read it; read it again.")


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
@blp.arguments(TransitionListArgsSchema, location="query")
@blp.response(200, page_of(TransitionSchema))
def list_transitions(args):
    """List transition requests, most recent first; overdue=true for those past response_due_at."""
    return transitions.list_transitions(args)


@blp.route("/transitions/<uuid:transition_id>")
@requires(*CASE_READERS)
@blp.etag
@blp.response(200, TransitionSchema)
def get_transition(transition_id):
    """Read a transition request and its response."""
    return transitions.get_transition(transition_id)


@blp.route("/transitions/<uuid:transition_id>/response", methods=["POST"])
@requires("manager")
@idempotent
@blp.arguments(ResponseCreateSchema)
@blp.response(201, TransitionSchema)
@blp.doc(parameters=[IF_MATCH])
def respond_to_transition(data, transition_id):
    """Accept or refuse (with the threshold reasoning): a manager of the receiving service, once."""
    _check_if_match(transition_id)
    return _located(transitions.respond_to_transition(current_actor(), transition_id, data))


@blp.route("/transitions/<uuid:transition_id>/withdrawal", methods=["POST"])
@requires(*STAFF)
@idempotent
@blp.arguments(WithdrawalCreateSchema, required=False)
@blp.response(201, TransitionSchema)
@blp.doc(parameters=[IF_MATCH])
def withdraw_transition(data, transition_id):
    """Withdraw a request still awaiting a response (the requester, or a sending-service manager)."""
    _check_if_match(transition_id)
    return _located(transitions.withdraw_transition(current_actor(), transition_id, data))
