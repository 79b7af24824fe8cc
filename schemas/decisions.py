"""Threshold decisions, approval and feedback."""

from marshmallow import Schema, fields, validate

from api.vocab import FEEDBACK_METHODS, OUTCOMES

from .common import NOT_BLANK, Characters, Text, Timestamp

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


class ApprovalSchema(Schema):
    approved_by = fields.String()
    approved_at = Timestamp()
    note = fields.String(allow_none=True)


class DecisionSchema(Schema):
    id = fields.UUID()
    contact_id = fields.UUID()
    outcome = fields.String()
    rationale = fields.String()
    decided_at = Timestamp()
    recorded_at = Timestamp()
    decided_by = fields.String(attribute="decided_by_sub")
    within_24_hours = fields.Boolean(metadata={"description": "Decided within 24 clock hours of received_at."})
    within_1_working_day = fields.Boolean(metadata={"description": "Decided by the contact's decision_due_at."})
    supersedes = fields.UUID(attribute="supersedes_id", allow_none=True)
    supersede_reason = fields.String(allow_none=True)
    superseded_by = fields.UUID(attribute="superseded_by_id", allow_none=True)
    approval = fields.Nested(ApprovalSchema, allow_none=True)


class DecisionListSchema(Schema):
    items = fields.List(fields.Nested(DecisionSchema),
                        metadata={"description": "Every decision, superseded ones included, oldest first."})


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
