from marshmallow import Schema, fields

from .common import PageArgsSchema, Timestamp


class ActorSchema(Schema):
    sub = fields.String()
    role = fields.String()
    agency = fields.String(allow_none=True)
    service = fields.String(allow_none=True)


class AuditEventSchema(Schema):
    seq = fields.Integer(metadata={"description": "Position in the chain, from 1, without gaps."})
    at = Timestamp(microseconds=True, metadata={
        "description": "When the event was appended, UTC, always with six fractional digits: "
        "exactly the text hashed."})
    actor = fields.Nested(ActorSchema)
    action = fields.String(metadata={"description": "e.g. contact.recorded, contact.consent_recorded"})
    entity_type = fields.String()
    entity_id = fields.String()
    data = fields.Dict(attribute="data_object", metadata={"description": "What was written."})
    prev_hash = fields.String()
    hash = fields.String(
        metadata={"description": "sha256(prev_hash + canonical JSON of {seq, at, actor, action, "
                  "entity_type, entity_id, data}), hex; canonical JSON has sorted keys, no spaces, "
                  "UTF-8, timestamps as in `at` with microseconds."}
    )


class AuditEventArgsSchema(PageArgsSchema):
    entity_type = fields.String()
    entity_id = fields.String()
    actor = fields.String(metadata={"description": "The actor's `sub`."})
    since = Timestamp(metadata={"description": "Events at or after this instant."})


class VerificationSchema(Schema):
    valid = fields.Boolean()
    length = fields.Integer(metadata={"description": "Events in the chain."})
    head_hash = fields.String(metadata={"description": "Hash of the last event (64 zeros if none)."})
    first_bad_seq = fields.Integer(
        allow_none=True, metadata={"description": "First event that does not verify, or null."}
    )
