from ..auth import CASE_READERS, STAFF
from ..caller import current_actor
from ..domain import children, chronology
from . import Blueprint, located
from schemas.chronology import (
    ChildDetailSchema, ChildMergeSchema, ChildSearchArgsSchema, ChildUnmergeSchema, ChronologySchema,
)
from schemas.assessments import DisabilityCreateSchema
from schemas.common import page_of
from schemas.contacts import ChildSchema

blp = Blueprint("children", __name__, description="Children: their records, chronologies, "
                "searches and merges")


@blp.route("/children", roles=STAFF, logs_access="child")
@blp.arguments(ChildSearchArgsSchema, location="query")
@blp.response(200, page_of(ChildSchema))
def search_children(args):
    """Search child records by NHS number, local child id, or names with date of birth.

    Staff only. Every search is in the access log as one event, with its query and the records
    it showed (each child found is then in that child's "who read this" list). Merged records are
    found too, with `merged_into`."""
    return children.search_children(current_actor(), args)


@blp.route("/children/<uuid:child_id>", roles=CASE_READERS, logs_access="child")
@blp.etag
@blp.response(200, ChildDetailSchema)
def get_child(child_id):
    """Read a child: identity, current service, contacts and open possible matches.

    A record merged into another answers 404 with `merged_into` and a `Location` naming it."""
    return chronology.child_detail(current_actor(), child_id)


@blp.route("/children/<uuid:child_id>/chronology", roles=CASE_READERS, logs_access="child")
@blp.response(200, ChronologySchema)
def child_chronology(child_id):
    """Every event about this child across contacts, meetings and transitions, in time order."""
    return chronology.child_chronology(current_actor(), child_id)


@blp.route("/children/<uuid:child_id>/merge", methods=["POST"], roles=STAFF, writes=True)
@blp.arguments(ChildMergeSchema)
@blp.response(201, ChildDetailSchema)
def merge_child(data, child_id):
    """Merge a duplicate record into this child, with the reason; undone by .../unmerge."""
    child = children.merge_children(current_actor(), child_id, data)
    return located(chronology.child_detail(current_actor(), child.id), "children.get_child",
                   child_id=child.id)


@blp.route("/children/<uuid:child_id>/unmerge", methods=["POST"], roles=STAFF, writes=True)
@blp.arguments(ChildUnmergeSchema)
@blp.response(201, ChildDetailSchema)
def unmerge_child(data, child_id):
    """Undo the merge of this duplicate (the child of the URL) into another record.

    The duplicate answers again, and what the merge moved from it that is still on the other
    record moves back; 409 if it is not merged."""
    child = children.unmerge_child(current_actor(), child_id, data)
    return located(chronology.child_detail(current_actor(), child.id), "children.get_child",
                   child_id=child.id)


@blp.route("/children/<uuid:child_id>/disability", methods=["POST"], roles=STAFF, writes=True)
@blp.arguments(DisabilityCreateSchema)
@blp.response(201, ChildDetailSchema)
def record_disability(data, child_id):
    """Record whether the child has a disability and which (DfE CIN census codes); each
    recording replaces the last, and the audit trail keeps them all."""
    child = children.record_disability(current_actor(), child_id, data)
    return located(chronology.child_detail(current_actor(), child.id), "children.get_child",
                   child_id=child.id)
