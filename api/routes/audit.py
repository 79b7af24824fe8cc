from .. import audit
from ..auth import requires
from . import Blueprint
from schemas.audit import AuditEventArgsSchema, AuditEventSchema, VerificationSchema
from schemas.common import page_of

blp = Blueprint("audit", __name__, description="The append-only, hash-chained audit trail")


@blp.route("/audit/events")
@requires("auditor")
@blp.arguments(AuditEventArgsSchema, location="query")
@blp.response(200, page_of(AuditEventSchema))
def list_audit_events(args):
    """List audit events in chain order (seq ascending)."""
    return audit.list_events(args)


@blp.route("/audit/verify")
@requires("auditor")
@blp.response(200, VerificationSchema)
def verify_audit_chain():
    """Recompute the hash chain and report the first event that does not verify."""
    return audit.verify().as_dict()
