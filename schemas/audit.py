from marshmallow import Schema, fields, validate

from api.audit import (
    BAD_SIGNATURE, CHAIN_SHORTER, CHECKPOINT_TYPE, HASH_DIFFERS, NOT_A_CHECKPOINT,
)
from api.record_state import (
    DIFFERS, FINDINGS, MISSING_EVENT, NO_STATE_RECORDED, ORPHAN_EVENT, RECORDS,
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
                  "entity_type, entity_id, data, state_hash}), hex (`state_hash` left out when "
                  "null); canonical JSON has sorted keys, no spaces, UTF-8, timestamps as in `at` "
                  "with microseconds."}
    )
    state_hash = fields.String(allow_none=True, metadata={
        "description": "sha256 of the canonical JSON of the named record's state just after "
        "this write (its row and the rows belonging to it, every column), hex; "
        "GET /audit/state compares the records now with it. Null for events about no stored "
        "record (such as `access.sealed`) and for events appended before states were recorded."})


class AuditEventArgsSchema(PageArgsSchema):
    entity_type = Characters()
    entity_id = Characters()
    actor = Characters(metadata={"description": "The actor's `sub`."})
    since = Timestamp(metadata={"description": "Events at or after this instant."})


class AccessLogSealsSchema(Schema):
    valid = fields.Boolean(metadata={
        "description": "Every sealed batch of access events is still as it was sealed."})
    sealed_batches = fields.Integer(metadata={"description": "Seals (`access.sealed` events)."})
    sealed_events = fields.Integer(metadata={
        "description": "Access events now present in the sealed ranges."})
    unsealed_events = fields.Integer(metadata={
        "description": "Access events after the last seal: not yet covered (the sealer takes "
        "them within a minute or so, once they are old enough; see the README)."})
    first_bad_seal_seq = fields.Integer(allow_none=True, metadata={
        "description": "The seq of the first seal whose access events were removed, altered or "
        "added since it was taken, or that does not follow the seal before it; null if none."})


class VerificationSchema(Schema):
    valid = fields.Boolean(metadata={
        "description": "The chain verifies and every sealed batch of the access log is intact."})
    length = fields.Integer(metadata={"description": "Events in the chain."})
    head_hash = fields.String(metadata={"description": "Hash of the last event (64 zeros if none)."})
    first_bad_seq = fields.Integer(
        allow_none=True, metadata={"description": "First event that does not verify, or null."}
    )
    access_log = fields.Nested(AccessLogSealsSchema, metadata={
        "description": "The access log against the seals the chain holds."})


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


FINDING_HELP = (
    f"`{DIFFERS}`: the record is not in the state its latest event recorded (changed behind the "
    f"API's back); `{MISSING_EVENT}`: no event names the record (written behind the API's "
    f"back); `{NO_STATE_RECORDED}`: its latest event was appended before states were recorded, "
    f"so it cannot be checked; `{ORPHAN_EVENT}`: events name a record that is gone (deleted "
    "behind the API's back)."
)
MAX_FINDINGS = 1000


class StateArgsSchema(Schema):
    limit = fields.Integer(
        load_default=100, validate=validate.Range(min=1, max=MAX_FINDINGS),
        metadata={"description": f"How many findings to list (1 to {MAX_FINDINGS}); the counts "
                  "always cover every record."})


class StateFindingSchema(Schema):
    entity_type = fields.String(validate=validate.OneOf(sorted(RECORDS)))
    entity_id = fields.String()
    finding = fields.String(validate=validate.OneOf(FINDINGS), metadata={"description": FINDING_HELP})


class StateReportSchema(Schema):
    valid = fields.Boolean(metadata={"description": "No finding at all."})
    checked = fields.Integer(metadata={"description": "Current records checked."})
    differs = fields.Integer(metadata={"description": f"Records found `{DIFFERS}`."})
    missing_event = fields.Integer(metadata={"description": f"Records found `{MISSING_EVENT}`."})
    no_state_recorded = fields.Integer(
        metadata={"description": f"Records found `{NO_STATE_RECORDED}`."})
    orphan_event = fields.Integer(
        metadata={"description": f"Records named by events and gone (`{ORPHAN_EVENT}`)."})
    findings = fields.List(fields.Nested(StateFindingSchema), metadata={
        "description": "The first `limit` findings, by entity type, then records in key order, "
        "then records named by events and gone."})
    findings_truncated = fields.Boolean(
        metadata={"description": "More findings were counted than are listed."})
