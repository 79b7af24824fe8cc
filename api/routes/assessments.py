from ..auth import CASE_READERS, MANAGERS, STAFF
from ..caller import current_actor
from ..domain import assessments, contacts
from . import Blueprint, honours_if_match, locator
from .contacts import if_contact_matches
from schemas.assessments import (
    AllocationCreateSchema, AssessmentCompletionSchema, AssessmentCreateSchema,
    AssessmentListArgsSchema, AssessmentSchema, ClosureCreateSchema,
)
from schemas.common import page_of
from schemas.contacts import ContactSchema

blp = Blueprint("assessments", __name__, description=(
    "After the front door: a referral's allocation, single assessments and closure, in the DfE "
    "CIN census's codes"))


def current_assessment(assessment_id):
    """The assessment as its GET shows it (for If-Match)."""
    return assessments.view(assessments.get_assessment(current_actor(), assessment_id))


if_assessment_matches = honours_if_match(current_assessment, AssessmentSchema, "assessment")

_assessment_located = locator("assessments.get_assessment", "assessment_id")
_contact_located = locator("contacts.get_contact", "contact_id")


def _assessment(record):
    body, headers = _assessment_located(record)
    return assessments.view(body), headers


def _contact(record):
    body, headers = _contact_located(record)
    return contacts.view_for(current_actor(), body), headers


@blp.route("/contacts/<uuid:contact_id>/allocation", methods=["POST"], roles=STAFF, writes=True)
@if_contact_matches
@blp.arguments(AllocationCreateSchema)
@blp.response(201, ContactSchema)
def allocate_referral(data, contact_id):
    """Allocate a referral (a contact decided assessment or strategy_discussion, not closed) to a
    team and a worker. Allocating again replaces the current allocation; every one is kept
    (allocation_history). Not a referral, or closed: 409."""
    return _contact(assessments.allocate_referral(current_actor(), contact_id, data))


@blp.route("/assessments", methods=["POST"], roles=STAFF, writes=True)
@blp.arguments(AssessmentCreateSchema)
@blp.response(201, AssessmentSchema)
@blp.doc(responses={"404": "NOT_FOUND"})  # contact_id names no contact this caller may see
def start_assessment(data):
    """Start a referral's single assessment (s17) of one of its children. Due at the end of the
    45th working day after the referral."""
    return _assessment(assessments.start_assessment(current_actor(), data))


@blp.route("/assessments", roles=CASE_READERS, logs_access="assessment")
@blp.arguments(AssessmentListArgsSchema, location="query")
@blp.response(200, page_of(AssessmentSchema))
def list_assessments(args):
    """Assessments, most recently started first; `overdue=true` for those open past due_at."""
    page = assessments.list_assessments(current_actor(), args)
    return {**page, "items": [assessments.view(record) for record in page["items"]]}


@blp.route("/assessments/<uuid:assessment_id>", roles=CASE_READERS, logs_access="assessment")
@blp.etag
@blp.response(200, AssessmentSchema)
def get_assessment(assessment_id):
    """One assessment, with its allocation and, once completed, its authorisation."""
    return current_assessment(assessment_id)


@blp.route("/assessments/<uuid:assessment_id>/allocation", methods=["POST"], roles=STAFF,
           writes=True)
@if_assessment_matches
@blp.arguments(AllocationCreateSchema)
@blp.response(201, AssessmentSchema)
def allocate_assessment(data, assessment_id):
    """Allocate an open assessment to a team and a worker (again: replaces the current one)."""
    return _assessment(assessments.allocate_assessment(current_actor(), assessment_id, data))


@blp.route("/assessments/<uuid:assessment_id>/completion", methods=["POST"], roles=MANAGERS,
           writes=True)
@if_assessment_matches
@blp.arguments(AssessmentCompletionSchema)
@blp.response(201, AssessmentSchema)
def complete_assessment(data, assessment_id):
    """A manager authorises the assessment, once: when the child was seen, when it was
    authorised, the factors identified, the outcome and its rationale. Not by the worker who did
    it (422 naming `assessment`); a second completion: 409."""
    return _assessment(assessments.complete_assessment(current_actor(), assessment_id, data))


@blp.route("/referrals/<uuid:contact_id>/closure", methods=["POST"], roles=STAFF, writes=True)
@if_contact_matches
@blp.arguments(ClosureCreateSchema)
@blp.response(201, ContactSchema)
def close_referral(data, contact_id):
    """Close a referral with its CIN census reason (RC1-RC9) and rationale, once (again: 409).
    The referral is the contact: its `closure` shows it."""
    return _contact(assessments.close_referral(current_actor(), contact_id, data))
