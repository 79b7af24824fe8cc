from ..auth import CASE_READERS, STAFF
from ..caller import current_actor
from ..domain import information_requests as requests
from . import Blueprint, honours_if_match, locator
from schemas.common import page_of
from schemas.information_requests import (
    InformationRequestCreateSchema, InformationRequestListArgsSchema, InformationRequestSchema,
    InformationResponseCreateSchema, InformationWithdrawalCreateSchema,
)

blp = Blueprint("information_requests", __name__,
                description="Information requests to partner agencies and their answers")

READERS = ("agency", *CASE_READERS)


def current_request(request_id):
    """The request as its GET shows it to this actor (for If-Match)."""
    actor = current_actor()
    return requests.view_for(actor, requests.get_request(actor, request_id))


if_request_matches = honours_if_match(current_request, InformationRequestSchema,
                                      "information request")

_located = locator("information_requests.get_information_request", "request_id")


def _shown(record):
    """A write's answer: the request as the writer is shown it, with its Location."""
    body, headers = _located(record)
    return requests.view_for(current_actor(), body), headers


@blp.route("/contacts/<uuid:contact_id>/information-requests", methods=["POST"], roles=STAFF,
           writes=True)
@blp.arguments(InformationRequestCreateSchema)
@blp.response(201, InformationRequestSchema)
def request_information(data, contact_id):
    """Ask a partner agency what it knows about some of the contact's children. Due by a time
    the contact's RAG rating sets; a second open request to the same agency on the contact: 409."""
    return _shown(requests.request_information(current_actor(), contact_id, data))


@blp.route("/information-requests", roles=READERS, logs_access="information_request")
@blp.arguments(InformationRequestListArgsSchema, location="query")
@blp.response(200, page_of(InformationRequestSchema))
def list_information_requests(args):
    """Information requests, most recent first. An agency sees only those addressed to it (and
    none on a restricted contact); staff see every one on a contact they may see."""
    return requests.list_requests(current_actor(), args)


@blp.route("/information-requests/<uuid:request_id>", roles=READERS,
           logs_access="information_request")
@blp.etag
@blp.response(200, InformationRequestSchema)
def get_information_request(request_id):
    """One information request and its answer (an agency: only one addressed to it)."""
    return current_request(request_id)


@blp.route("/information-requests/<uuid:request_id>/response", methods=["POST"],
           roles=("agency",), writes=True)
@if_request_matches
@blp.arguments(InformationResponseCreateSchema)
@blp.response(201, InformationRequestSchema)
def respond_to_information_request(data, request_id):
    """The agency asked answers, once (a second answer: 409). known false needs no information;
    known true needs it. An answer after due_at is kept, marked within_deadline false."""
    return _shown(requests.respond(current_actor(), request_id, data))


@blp.route("/information-requests/<uuid:request_id>/withdrawal", methods=["POST"], roles=STAFF,
           writes=True)
@if_request_matches
@blp.arguments(InformationWithdrawalCreateSchema)
@blp.response(201, InformationRequestSchema)
def withdraw_information_request(data, request_id):
    """Withdraw an open request, with the reason (the agency sees it withdrawn)."""
    return _shown(requests.withdraw(current_actor(), request_id, data))
