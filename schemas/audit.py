from marshmallow import Schema, fields, validate

from api.audit import (
    BAD_SIGNATURE, CHAIN_SHORTER, CHECKPOINT_TYPE, HASH_DIFFERS, NOT_A_CHECKPOINT,
)
from .common import Characters, PageArgsSchema, Timestamp, UniqueList


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
    entity_type = Characters()
    entity_id = Characters()
    actor = Characters(metadata={"description": "The actor's `sub`."})
    since = Timestamp(metadata={"description": "Events at or after this instant."})


class VerificationSchema(Schema):
    valid = fields.Boolean()
    length = fields.Integer(metadata={"description": "Events in the chain."})
    head_hash = fields.String(metadata={"description": "Hash of the last event (64 zeros if none)."})
    first_bad_seq = fields.Integer(
        allow_none=True, metadata={"description": "First event that does not verify, or null."}
    )


CHECKPOINT_HELP = (
    f"A signed checkpoint: a compact JWS (header `typ` `{CHECKPOINT_TYPE}`) over "
    "`{length, head_hash, at, iss}`: the chain's length and its last event's hash at `at` "
    "(RFC 3339, UTC), signed with the server's token key. Keep it outside this system; "
    "POST /audit/verify tells whether the chain, recomputed, still reaches `head_hash` at "
    "`length`, which a wholesale rewrite of the database cannot fake."
)
# Three base64url segments, as the compact serialization has them (RFC 7515 section 7.1).
COMPACT_JWS = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
MAX_CHECKPOINTS = 100


class CheckpointSchema(Schema):
    checkpoint = fields.String(metadata={"description": CHECKPOINT_HELP})


class CheckpointsSchema(Schema):
    checkpoints = UniqueList(
        fields.String(validate=[
            validate.Length(max=2048),
            validate.Regexp(COMPACT_JWS, error="Must be a compact JWS, as GET /audit/checkpoint "
                            "returns it."),
        ]),
        required=True, min_items=1, max_items=MAX_CHECKPOINTS,
        metadata={"description": "Checkpoints from GET /audit/checkpoint (or `flask audit "
                  "checkpoint`), in any order."},
    )


class CheckpointCheckSchema(Schema):
    valid = fields.Boolean(metadata={
        "description": "The checkpoint was signed by this server and the chain, recomputed, "
        "still has its hash at its length."})
    length = fields.Integer(allow_none=True, metadata={
        "description": "The checkpoint's length; null unless its signature verified."})
    reason = fields.String(
        allow_none=True,
        validate=validate.OneOf([BAD_SIGNATURE, NOT_A_CHECKPOINT, CHAIN_SHORTER, HASH_DIFFERS]),
        metadata={"description": f"Null when valid. `{BAD_SIGNATURE}`: not signed with this "
                  "server's key (forged, altered, or signed with a key since retired); "
                  f"`{NOT_A_CHECKPOINT}`: signed by this server but something else, such as an "
                  f"access token; `{CHAIN_SHORTER}`: events have been removed since; "
                  f"`{HASH_DIFFERS}`: events up to that length were changed, removed or "
                  "rewritten since, even if the chain is now consistent with itself."},
    )


class CheckedVerificationSchema(VerificationSchema):
    valid = fields.Boolean(metadata={
        "description": "True only if the chain verifies and every checkpoint given is valid."})
    checkpoints = fields.List(
        fields.Nested(CheckpointCheckSchema),
        metadata={"description": "One result per checkpoint sent, in the order sent."},
    )
