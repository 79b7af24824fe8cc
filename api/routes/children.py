from ..auth import CASE_READERS
from ..caller import current_actor
from ..domain import chronology
from . import Blueprint
from schemas.chronology import ChildDetailSchema, ChronologySchema

blp = Blueprint("children", __name__, description="Children and their chronologies")


@blp.route("/children/<uuid:child_id>", roles=CASE_READERS, logs_access="child")
@blp.etag
@blp.response(200, ChildDetailSchema)
def get_child(child_id):
    """Read a child: identity, current service, and the contacts about them."""
    return chronology.child_detail(current_actor(), child_id)


@blp.route("/children/<uuid:child_id>/chronology", roles=CASE_READERS, logs_access="child")
@blp.response(200, ChronologySchema)
def child_chronology(child_id):
    """Every event about this child across contacts, meetings and transitions, in time order."""
    return chronology.child_chronology(current_actor(), child_id)
