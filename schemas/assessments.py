"""After the front door: allocation, single assessments, closure and a child's disability, in the
DfE CIN census's codes (api/vocab.py)."""

from marshmallow import Schema, fields, validate

from api.vocab import (
    ASSESSMENT_FACTORS, ASSESSMENT_OUTCOMES, ASSESSMENT_STATUSES, CLOSURE_REASONS, DISABILITIES,
    NO_FACTORS, PRIMARY_NEEDS,
)

from .common import Characters, Day, PageArgsSchema, Text, Timestamp, UniqueList


def _codes(labels):
    return "; ".join(f"{code} {label}" for code, label in labels.items())


PRIMARY_NEED_HELP = ("The referral's primary need, a DfE CIN census PrimaryNeedCode: "
                     + _codes(PRIMARY_NEEDS) + ".")


class AllocationCreateSchema(Schema):
    team = Text(required=True, max_length=100, metadata={
        "description": "The team allocated (Annex A's Allocated Team), as the council names it."})
    worker = Text(required=True, max_length=100, metadata={
        "description": "The worker allocated (Annex A's Allocated Worker): their user name, the "
                       "`sub` of their token, so that an assessment is never authorised by the "
                       "worker who did it."})
    allocated_at = Timestamp(metadata={
        "description": "When it was allocated; defaults to now. Not before the referral, not in "
                       "the future. A later allocation replaces the current one; every one is "
                       "kept in allocation_history."})


class AllocationSchema(Schema):
    team = fields.String()
    worker = fields.String()
    at = Timestamp(metadata={"description": "When it was allocated."})


class AllocationRecordSchema(AllocationSchema):
    by = fields.String(metadata={"description": "Who recorded it (token sub)."})
    recorded_at = Timestamp()


class AssessmentCreateSchema(Schema):
    contact_id = fields.UUID(required=True, metadata={
        "description": "The referral: a contact whose current decision is assessment or "
                       "strategy_discussion, not closed (else 409)."})
    child_id = fields.UUID(required=True, metadata={
        "description": "The child assessed: one of the referral's children (children[].id). One "
                       "assessment of a child on a referral (a second: 409)."})
    started_at = Timestamp(required=True, metadata={
        "description": "When the assessment started: not before the referral's London date, "
                       "not in the future."})


class AssessmentCompletionSchema(Schema):
    child_seen_at = Timestamp(required=True, metadata={
        "description": "When the child was seen: not before the referral's London date, not after "
                       "authorised_at."})
    authorised_at = Timestamp(required=True, metadata={
        "description": "When the manager authorised the assessment: not before started_at, not "
                       "in the future. The manager is the caller, who must not be the worker "
                       "who did it (its allocated worker, else the referral's, else who started "
                       "it): 422 naming `assessment`."})
    factors = UniqueList(
        fields.String(validate=validate.OneOf(tuple(ASSESSMENT_FACTORS))), required=True,
        min_items=1, max_items=len(ASSESSMENT_FACTORS), metadata={
            "description": "The factors identified, DfE CIN census AssessmentFactors codes: "
                           + _codes(ASSESSMENT_FACTORS) + f". {NO_FACTORS} stands alone."})
    outcome = fields.String(required=True, validate=validate.OneOf(ASSESSMENT_OUTCOMES))
    rationale = Text(required=True, max_length=20_000, metadata={
        "description": "Why this outcome: at least 20 characters, not a placeholder."})
    primary_need = fields.String(validate=validate.OneOf(tuple(PRIMARY_NEEDS)), metadata={
        "description": PRIMARY_NEED_HELP + " Given here, it becomes the referral's."})


class AssessmentSchema(Schema):
    id = fields.UUID()
    reference = fields.String(metadata={"description": "Human reference, e.g. A-2026-000012."})
    contact_id = fields.UUID()
    child_id = fields.UUID()
    referred_at = Timestamp(metadata={"description": "The referral: its current decision's time."})
    started_at = Timestamp()
    started_by = fields.String()
    due_at = Timestamp(metadata={
        "description": "The end (London) of the 45th working day after the referral's London "
                       "date, England bank holidays excluded."})
    status = fields.String(metadata={"description": " or ".join(ASSESSMENT_STATUSES)})
    overdue = fields.Boolean(metadata={"description": "Still open and past due_at."})
    child_seen_at = Timestamp(allow_none=True)
    authorised_at = Timestamp(allow_none=True)
    authorised_by = fields.String(allow_none=True)
    factors = fields.List(fields.String())
    outcome = fields.String(allow_none=True)
    rationale = fields.String(allow_none=True)
    primary_need = fields.String(allow_none=True)
    within_45_working_days = fields.Boolean(allow_none=True, metadata={
        "description": "authorised_at at or before due_at; null while open."})
    allocation = fields.Nested(AllocationSchema, allow_none=True, metadata={
        "description": "The current allocation (POST /assessments/{id}/allocation), or null."})
    allocation_history = fields.List(fields.Nested(AllocationRecordSchema))


class AssessmentListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(ASSESSMENT_STATUSES))
    overdue = fields.Boolean(metadata={"description": "true: still open and past due_at; false: "
                                       "the others."})
    contact_id = fields.UUID(metadata={"description": "The assessments of this referral only."})
    child_id = fields.UUID(metadata={"description": "The assessments of this child only."})
    from_ = Timestamp(data_key="from", metadata={"description": "Started at or after."})
    to = Timestamp(metadata={"description": "Started strictly before."})


class ClosureCreateSchema(Schema):
    closed_on = Day(required=True, metadata={
        "description": "The London date the referral closed (the census's CINclosureDate): not "
                       "before the referral or any of its assessments' authorisation, not in "
                       "the future. Every assessment must be completed first (409)."})
    reason = fields.String(required=True, validate=validate.OneOf(tuple(CLOSURE_REASONS)),
                           metadata={"description": "DfE CIN census ReasonForClosure: "
                                     + _codes(CLOSURE_REASONS) + ". RC8 and RC9 need a "
                                     "completed assessment."})
    rationale = Text(required=True, max_length=20_000, metadata={
        "description": "Why the referral closes: at least 20 characters, not a placeholder."})
    primary_need = fields.String(validate=validate.OneOf(tuple(PRIMARY_NEEDS)), metadata={
        "description": PRIMARY_NEED_HELP + " Required unless an assessment recorded it."})


class ClosureSchema(Schema):
    closed_on = fields.Date()
    reason = fields.String()
    rationale = fields.String()
    by = fields.String()
    recorded_at = Timestamp()


class DisabilityCreateSchema(Schema):
    disability = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "Whether the child has a disability: true, false, or null (not known)."})
    disabilities = UniqueList(
        Characters(validate=validate.OneOf(tuple(DISABILITIES))), max_items=len(DISABILITIES),
        metadata={"description": "With true, which (at least one): DfE CIN census Disability "
                  "codes: " + _codes(DISABILITIES) + ". Not with false or null."})
