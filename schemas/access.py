from marshmallow import Schema, fields, validate

from api.vocab import TOKEN_STATES

from .common import PageArgsSchema, Text, Timestamp


class AccessActorSchema(Schema):
    sub = fields.String(allow_none=True, metadata={"description": "Null when no token was sent."})
    role = fields.String(allow_none=True)
    agency = fields.String(allow_none=True)
    service = fields.String(allow_none=True)


class AccessEventSchema(Schema):
    id = fields.Integer(metadata={"description": "Increases with each event appended."})
    at = Timestamp(microseconds=True, metadata={"description": "When the read was answered, UTC."})
    actor = fields.Nested(AccessActorSchema, metadata={
        "description": "Who asked, as their token claims (cut to the stored lengths)."})
    token = fields.String(
        validate=validate.OneOf(TOKEN_STATES),
        metadata={"description": "How far the actor is proven: `valid` (a current token we "
                  "signed), `expired` (we signed it; out of date), `revoked` (we signed it for an "
                  "account since disabled), `invalid` (the claims could not be verified and may "
                  "be forged), `missing` (no token)."},
    )
    method = fields.String()
    endpoint = fields.String(metadata={"description": "The operation, e.g. contacts.get_contact."})
    path = fields.String()
    query = fields.String(allow_none=True, metadata={"description": "The query string as sent."})
    status = fields.Integer(metadata={
        "description": "The answer given: 200, or 401/403/404 for a read that was refused."})
    entity_type = fields.String(metadata={
        "description": "contact, child, strategy_meeting, transition, access_log."})
    entity_id = fields.String(allow_none=True, metadata={
        "description": "The record named in the path; null for a list."})
    record_ids = fields.List(fields.String(), allow_none=True, metadata={
        "description": "For a list: the ids of the records it showed (GET /decisions: the "
        "contacts of the decisions it showed); otherwise null."})
    child_ids = fields.List(fields.String(), metadata={
        "description": "The children the record(s) read are about."})


class AccessEventArgsSchema(PageArgsSchema):
    entity_id = Text(max_length=64, metadata={
        "description": "Reads of this record: a contact, meeting or transition id gives the "
        "reads of it (lists that showed it included); a child's id gives every read of any "
        "record about the child (its contacts, meetings, transitions, chronology)."})
    actor = Text(max_length=100, metadata={"description": "What this person or system (`sub`) read."})
    from_ = Timestamp(data_key="from", metadata={"description": "Reads at or after this instant."})
    to = Timestamp(metadata={"description": "Reads strictly before this instant."})
