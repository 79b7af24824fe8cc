"""Restricted records: a child or contact only named staff may see, and break-glass access."""

from marshmallow import Schema, fields, validate

from api.vocab import RESTRICTED_RECORDS

from .common import Characters, PageArgsSchema, Text, Timestamp, UniqueList
from .decisions import RATIONALE_HELP, RATIONALE_SAYS

RESTRICTION_RULES = (
    "For any practitioner or manager the restriction does not name it is as if the record did not "
    "exist: 404 on reads (the same answer as an id that was never used), absent from lists, "
    "chronologies and exports. A child's restriction covers the contacts about the child and "
    "their meetings and transitions; a contact's covers its decisions, feedback and strategy "
    "meetings. Not hidden from: the staff named in `allowed`, the manager who set it, a manager "
    "with a live break-glass grant, auditors (every read of theirs is in the access log), and the "
    "partner agency that posted a contact (it sees only what it sent and the outcome, as ever). "
    "Metrics count restricted records like any other."
)


class RestrictionCreateSchema(Schema):
    entity_type = fields.String(required=True, validate=validate.OneOf(RESTRICTED_RECORDS))
    entity_id = fields.UUID(required=True, metadata={
        "description": "The child or contact; it must be one you may see (else 422)."})
    allowed = UniqueList(
        Text(max_length=100), required=True, min_items=1, max_items=50,
        metadata={"description": "The account names (`sub`) of the staff who may still see the "
                  "record: each an active practitioner's or manager's account. The manager "
                  "restricting it is always allowed."})
    reason = Characters(required=True, validate=validate.Length(max=5_000), metadata=RATIONALE_SAYS)


class BreakGlassSchema(Schema):
    reason = Characters(required=True, validate=validate.Length(max=5_000), metadata={
        **RATIONALE_SAYS, "description": "Why you need to see the record now. " + RATIONALE_HELP})


class LiftSchema(Schema):
    reason = Characters(required=True, validate=validate.Length(max=5_000), metadata=RATIONALE_SAYS)


class GrantSchema(Schema):
    id = fields.UUID()
    granted_to = fields.String(attribute="granted_to_sub")
    reason = fields.String()
    granted_at = Timestamp()
    expires_at = Timestamp(metadata={"description": "The grant's end: RESTRICTION_GRANT_MINUTES "
                                     "(default 30) after granted_at."})


class RestrictionSchema(Schema):
    id = fields.UUID()
    entity_type = fields.String(metadata={"description": ", ".join(RESTRICTED_RECORDS)})
    entity_id = fields.UUID()
    allowed = fields.List(fields.String(), metadata={"description": "Account names, sorted."})
    reason = fields.String()
    restricted_at = Timestamp()
    restricted_by = fields.String(attribute="restricted_by_sub")
    in_force = fields.Function(lambda r: r.lifted_at is None, metadata={
        "type": "boolean", "description": "false once lifted."})
    lifted_at = Timestamp(allow_none=True)
    lifted_by = fields.String(attribute="lifted_by_sub", allow_none=True)
    lift_reason = fields.String(allow_none=True)
    grants = fields.List(fields.Nested(GrantSchema), metadata={
        "description": "Every break-glass grant, oldest first (expired ones included)."})


class RestrictionListArgsSchema(PageArgsSchema):
    entity_type = fields.String(validate=validate.OneOf(RESTRICTED_RECORDS))
    entity_id = fields.UUID()
    in_force = fields.Boolean(metadata={"description": "true: not lifted; false: lifted."})
