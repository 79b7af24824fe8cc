"""Threshold decisions, approval and feedback."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.vocab import FEEDBACK_METHODS, OUTCOMES, SERVICES

from .common import NOT_BLANK, Characters, Day, PageArgsSchema, Text, Timestamp
from .information_requests import InformationRequestSchema

# GET /decisions?approval=: awaiting a manager's sign-off, or signed off.
APPROVAL_STATES = ("pending", "given")

RATIONALE_HELP = (
    "Required: at least 20 characters once trimmed, and not a placeholder (n/a, see notes, "
    "as above, nfa, tbc and the like, whatever the case)."
)
# A required rationale's field: what JSON Schema can say of that (length, not blank, no NUL).
RATIONALE_SAYS = {"description": RATIONALE_HELP, "minLength": 20, "pattern": NOT_BLANK}


class DecisionCreateSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    rationale = Characters(required=True, validate=validate.Length(max=20_000),
                           metadata=RATIONALE_SAYS)
    decided_at = Timestamp(metadata={"description": "Defaults to now. Not before the contact's "
                                     "received_at, not in the future."})
    supersedes = fields.UUID(metadata={"description": "Required when the contact already has a "
                                       "current decision (otherwise 409): its id."})
    supersede_reason = Text(max_length=5_000, metadata={"description": "Why the earlier decision "
                                                         "is superseded; required with supersedes."})
    keep_information_requests_open = fields.Boolean(load_default=False, metadata={
        "description": "The information requests still open on the contact are withdrawn with "
        "the reason \"decided without it\" unless this is true (they then stay open)."})


class ApprovalSchema(Schema):
    approved_by = fields.String()
    approved_at = Timestamp()
    note = fields.String(allow_none=True)


class DecisionSchema(Schema):
    id = fields.UUID()
    open_information_requests = fields.List(
        fields.Nested(InformationRequestSchema), metadata={"description": (
            "Only in the answer of the POST that recorded it: the information requests that were "
            "open on the contact, each now withdrawn (\"decided without it\") or, with "
            "keep_information_requests_open, still open.")})
    contact_id = fields.UUID()
    outcome = fields.String()
    rationale = fields.String()
    decided_at = Timestamp()
    recorded_at = Timestamp()
    decided_by = fields.String(attribute="decided_by_sub")
    within_24_hours = fields.Boolean(metadata={"description": "Decided within 24 clock hours of received_at."})
    within_1_working_day = fields.Boolean(metadata={"description": "Decided by the statutory deadline: "
        "the end of the configured working days (default 1) after the London date of receipt, "
        "whatever the contact's RAG rating."})
    within_rag_deadline = fields.Boolean(metadata={"description": "Decided by the contact's "
        "decision_due_at as its RAG rating set it (unrated: the statutory deadline)."})
    supersedes = fields.UUID(attribute="supersedes_id", allow_none=True)
    supersede_reason = fields.String(allow_none=True)
    superseded_by = fields.UUID(attribute="superseded_by_id", allow_none=True)
    approval = fields.Nested(ApprovalSchema, allow_none=True)


class DecisionListSchema(Schema):
    items = fields.List(fields.Nested(DecisionSchema),
                        metadata={"description": "Every decision, superseded ones included, oldest first."})


class ListedDecisionSchema(DecisionSchema):
    """A decision as GET /decisions lists it: with the contact it is about and the decider's
    service, so that a manager's inbox can show and link each one."""

    contact_reference = fields.String(metadata={
        "description": "The contact's human reference, e.g. C-2026-000123."})
    decided_by_service = fields.String(allow_none=True, metadata={
        "description": "The service of the person who decided (mash, early_help, social_care)."})


class DecisionListArgsSchema(PageArgsSchema):
    approval = fields.String(validate=validate.OneOf(APPROVAL_STATES), metadata={
        "description": "pending: not signed off yet (a manager's inbox); given: signed off."})
    service = fields.String(validate=validate.OneOf(SERVICES), metadata={
        "description": "Only decisions made by staff of this service."})
    from_ = Day(data_key="from", metadata={
        "description": "Decided on or after this London date (inclusive)."})
    to = Day(metadata={"description": "Decided before this London date (exclusive): after "
                       "`from` when both are given."})

    @validates_schema
    def _to_after_from(self, data, **_kwargs):
        if "from_" in data and "to" in data and data["to"] <= data["from_"]:
            raise ValidationError("Must be after from (the period is from inclusive, to exclusive).",
                                  "to")


class ApprovalCreateSchema(Schema):
    note = Text(max_length=5_000, metadata={"description": "Optional."})


class FeedbackCreateSchema(Schema):
    given_at = Timestamp(required=True)
    method = fields.String(required=True, validate=validate.OneOf(FEEDBACK_METHODS))
    summary = Text(required=True, max_length=10_000,
                   metadata={"description": "What the referrer was told."})


class FeedbackSchema(Schema):
    id = fields.UUID()
    contact_id = fields.UUID()
    given_at = Timestamp()
    method = fields.String()
    summary = fields.String()
    recorded_at = Timestamp()
    recorded_by = fields.String(attribute="recorded_by_sub")
