"""Information requests to partner agencies and their answers."""

from marshmallow import Schema, fields, validate

from api.vocab import INFORMATION_REQUEST_STATUSES

from .common import Characters, PageArgsSchema, Text, Timestamp, UniqueList


class InformationRequestCreateSchema(Schema):
    agency = Characters(required=True, validate=validate.Length(min=1, max=32), metadata={
        "description": "The agency asked (its code: GET /api/v1/agencies). Asking several agencies "
        "is several requests; an agency with an open request on the contact cannot be asked again "
        "until it answers or the request is withdrawn (409)."})
    question = Text(required=True, max_length=10_000, metadata={
        "description": "What the MASH asks the agency; the agency sees it with the children's identity."})
    child_ids = UniqueList(fields.UUID(), required=True, min_items=1, max_items=30, metadata={
        "description": "The children asked about: each one of the contact's children (children[].id)."})


class InformationResponseCreateSchema(Schema):
    known = fields.Boolean(required=True, metadata={
        "description": "Whether the agency knows the child(ren) or holds anything relevant."})
    information = Text(max_length=50_000, metadata={
        "description": "What the agency knows: required when known is true, optional when false."})
    responded_at = Timestamp(metadata={
        "description": "When the agency answered; defaults to now. Not in the future, not before "
        "the request. After due_at the answer is kept and marked within_deadline false."})


class InformationWithdrawalCreateSchema(Schema):
    reason = Text(required=True, max_length=5_000, metadata={
        "description": "Why the request is no longer needed."})


class ChildIdentitySchema(Schema):
    id = fields.UUID()
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    nhs_number = fields.String(allow_none=True)


class InformationAnswerSchema(Schema):
    known = fields.Boolean()
    information = fields.String(allow_none=True)
    responded_at = Timestamp(metadata={"description": "When the agency says it answered."})
    at = Timestamp(metadata={"description": "The same instant as responded_at (the contract's "
                             "name for it: API.md, Information request)."})
    recorded_at = Timestamp(metadata={"description": "When the answer reached the API."})
    by = fields.String(metadata={"description": "Who answered (token sub)."})
    within_deadline = fields.Boolean(metadata={"description": "responded_at at or before due_at."})
    after_decision = fields.Boolean(metadata={"description": (
        "The answer arrived after the contact's threshold decision (flagged for the decider). "
        "Staff and auditors only: absent from an agency's view.")})


STAFF_ONLY = "Staff and auditors only: absent from an agency's view."


class InformationRequestSchema(Schema):
    id = fields.UUID()
    agency = fields.String(metadata={"description": "The agency asked (its code)."})
    question = fields.String()
    children = fields.List(fields.Nested(ChildIdentitySchema), metadata={
        "description": "The children asked about, as the council holds their identity."})
    requested_at = Timestamp()
    due_at = Timestamp(metadata={"description": (
        "When the answer is due, set by the contact's RAG rating when asked: red 2 clock hours, "
        "amber 4 working hours (09:00-17:00 London on working days), green the end of the first "
        "working day after; unrated as amber (all configurable).")})
    status = fields.String(metadata={"description": ", ".join(INFORMATION_REQUEST_STATUSES)})
    overdue = fields.Boolean(metadata={"description": "Still open and past due_at."})
    response = fields.Nested(InformationAnswerSchema, allow_none=True, metadata={
        "description": "The agency's answer (null until answered)."})
    withdrawn_at = Timestamp(allow_none=True)
    contact_id = fields.UUID(metadata={"description": STAFF_ONLY})
    rag_rating = fields.String(allow_none=True, metadata={
        "description": "The contact's rating when asked (null: unrated). " + STAFF_ONLY})
    requested_by = fields.String(metadata={"description": "Token sub. " + STAFF_ONLY})
    withdrawn_by = fields.String(allow_none=True, metadata={"description": STAFF_ONLY})
    withdrawal_reason = fields.String(allow_none=True, metadata={"description": STAFF_ONLY})


class InformationRequestListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(INFORMATION_REQUEST_STATUSES))
    agency = Characters(validate=validate.Length(min=1, max=32), metadata={
        "description": "Only requests to this agency (an agency sees only its own anyway)."})
    contact_id = fields.UUID(metadata={"description": "Only requests on this contact."})
    overdue = fields.Boolean(metadata={"description": "true: still open and past due_at; false: "
                                       "the others."})
