from .. import access
from ..auth import AUDITORS
from . import Blueprint
from schemas.access import AccessEventArgsSchema, AccessEventSchema
from schemas.common import page_of

blp = Blueprint("access", __name__, description="The access log: who read which case records")


@blp.route("/audit/access", roles=AUDITORS, logs_access="access_log")
@blp.arguments(AccessEventArgsSchema, location="query")
@blp.response(200, page_of(AccessEventSchema))
def list_access_events(args):
    """List reads of case records, refused ones included, newest first (this read is logged too)."""
    return access.list_events(args)
