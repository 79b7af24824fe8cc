from ..auth import EVERYONE
from ..domain import agencies
from . import Blueprint
from schemas.agencies import AgencySchema
from schemas.common import PageArgsSchema, page_of

blp = Blueprint("agencies", __name__, description="Reference data: partner agencies")


@blp.route("/agencies", roles=EVERYONE)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(AgencySchema))
def list_agencies(args):
    """List agencies with their kind and DfE CIN referral source code."""
    return agencies.list_agencies(args)
