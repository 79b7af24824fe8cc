from .. import audit, jobs, record_state
from ..auth import AUDITORS
from ..streams import (
    JSON, NDJSON, NDJSON_TRAILER_DESCRIPTION, ndjson_response, preferred_format,
)
from . import Blueprint
from schemas.audit import (
    AuditEventArgsSchema, AuditEventSchema, CheckedVerificationSchema, CheckpointSchema,
    CheckpointsSchema, StateArgsSchema, StateReportSchema, VerificationSchema,
)
from schemas.common import page_of

blp = Blueprint("audit", __name__, description="The append-only, hash-chained audit trail")


@blp.route("/audit/events", roles=AUDITORS, logs_access="audit_log")
# its events hold snapshots of case records
@blp.arguments(AuditEventArgsSchema, location="query")
@blp.response(200, page_of(AuditEventSchema))
# flask-smorest documents one content type per response: the 200 is written out whole here.
@blp.doc(responses={"200": {
    "description": f"`{JSON}` (default): one page. `{NDJSON}`: every matching event, streamed, "
    f"one a line, in seq order (`limit` and `cursor` are ignored). {NDJSON_TRAILER_DESCRIPTION}",
    "content": {JSON: {"schema": page_of(AuditEventSchema)}, NDJSON: {"schema": AuditEventSchema}},
}, "406": "NOT_ACCEPTABLE"})
def list_audit_events(args):
    """List audit events in chain order (seq ascending); all of them as NDJSON."""
    if preferred_format(JSON, NDJSON) == NDJSON:
        return ndjson_response(lambda reading: audit.stream_events(reading, args), AuditEventSchema())
    return audit.list_events(args)


@blp.route("/audit/verify", roles=AUDITORS)
@blp.response(200, VerificationSchema)
@blp.doc(responses={"422": "UNPROCESSABLE_ENTITY"})
def verify_audit_chain():
    """Recompute the hash chain and report the first event that does not verify. A chain too
    long for one request: 422 `use-a-job` (POST /api/v1/jobs/audit-verifications)."""
    jobs.verification_fits_a_request()
    return audit.verify().as_dict()


# A POST only because signed checkpoints do not belong in a URL: it writes nothing, so it is not
# declared writes=True and runs as a read (tests/api/test_route_declarations.py lists it as such).
@blp.route("/audit/verify", methods=["POST"], roles=AUDITORS)
@blp.arguments(CheckpointsSchema)
@blp.response(200, CheckedVerificationSchema)
def verify_audit_chain_against_checkpoints(data):
    """Recompute the hash chain and check it still reaches each signed checkpoint given. A
    chain too long for one request: 422 `use-a-job`."""
    jobs.verification_fits_a_request()
    verification, checks = audit.verify_against(data["checkpoints"])
    return {
        **verification.as_dict(),
        "valid": verification.valid and all(check.valid for check in checks),
        "checkpoints": [check.as_dict() for check in checks],
    }


@blp.route("/audit/state", roles=AUDITORS)
@blp.arguments(StateArgsSchema, location="query")
@blp.response(200, StateReportSchema)
def check_record_states(args):
    """Check every current record against the state its latest audit event recorded. Too many
    records for one request: 422 `use-a-job` (POST /api/v1/jobs/state-checks)."""
    jobs.state_check_fits_a_request(args["limit"])
    return record_state.check_states(limit=args["limit"]).as_dict()


@blp.route("/audit/checkpoint", roles=AUDITORS)
@blp.response(200, CheckpointSchema)
def sign_audit_checkpoint():
    """Sign the chain's length and head hash now, for keeping outside this system."""
    return {"checkpoint": audit.sign_checkpoint()}
