"""Step-up and step-down requests."""

from marshmallow import Schema, fields, validate

from api.vocab import DIRECTIONS, TRANSITION_RESPONSES, TRANSITION_STATUSES

# The services a transition moves a child between (DIRECTIONS' ends).
TRANSITION_SERVICES = sorted({service for ends in DIRECTIONS.values() for service in ends})

from .common import Characters, PageArgsSchema, Text, Timestamp, UniqueList
from .decisions import RATIONALE_HELP, RATIONALE_SAYS


class PlanSchema(Schema):
    summary = Text(required=True, max_length=10_000)
    expected_outcomes = UniqueList(Text(max_length=2_000), required=True, min_items=1,
                                   max_items=50)


class TransitionCreateSchema(Schema):
    child_id = fields.UUID(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(list(DIRECTIONS)), metadata={
        "description": "step_up: early help -> social care; step_down: social care -> early help. "
        "The child must be open to the service it leaves."})
    rationale = Characters(required=True, validate=validate.Length(max=20_000),
                           metadata=RATIONALE_SAYS)
    plan = fields.Nested(PlanSchema, metadata={"description": "Required for step_down."})
    requested_at = Timestamp(metadata={"description": "Defaults to now."})


class ResponseCreateSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(TRANSITION_RESPONSES))
    rationale = Characters(validate=validate.Length(max=20_000), metadata={
        "description": "Required when refused (explain the threshold): " + RATIONALE_HELP})


class WithdrawalCreateSchema(Schema):
    reason = Text(max_length=5_000)


class ResponseSchema(Schema):
    by = fields.String()
    at = Timestamp()
    decision = fields.String()
    rationale = fields.String(allow_none=True)


class TransitionSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    child_id = fields.UUID()
    direction = fields.String()
    from_service = fields.String()
    to_service = fields.String()
    rationale = fields.String()
    plan = fields.Nested(PlanSchema, allow_none=True)
    requested_at = Timestamp()
    requested_by = fields.String(attribute="requested_by_sub")
    status = fields.String(metadata={"description": ", ".join(TRANSITION_STATUSES)})
    response_due_at = Timestamp(metadata={"description": "End of the 5th (configurable) working "
                                          "day after requested_at, London time."})
    response = fields.Nested(ResponseSchema, allow_none=True)
    withdrawn_at = Timestamp(allow_none=True)
    withdrawn_by = fields.String(attribute="withdrawn_by_sub", allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)


class TransitionListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(TRANSITION_STATUSES))
    direction = fields.String(validate=validate.OneOf(list(DIRECTIONS)))
    overdue = fields.Boolean(metadata={"description": "true: still requested and past response_due_at."})
    to_service = fields.String(validate=validate.OneOf(TRANSITION_SERVICES), metadata={
        "description": "Only requests into this service (a manager's inbox: the requests their "
        "service must answer)."})
    from_service = fields.String(validate=validate.OneOf(TRANSITION_SERVICES), metadata={
        "description": "Only requests out of this service."})
