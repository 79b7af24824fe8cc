from ..auth import MANAGERS, OVERSEERS
from ..caller import current_actor
from ..domain import restrictions
from . import Blueprint, locator
from schemas.common import page_of
from schemas.restrictions import (
    RESTRICTION_RULES, BreakGlassSchema, LiftSchema, RestrictionCreateSchema,
    RestrictionListArgsSchema, RestrictionSchema,
)

blp = Blueprint("restrictions", __name__,
                description="Restricted records and break-glass access. " + RESTRICTION_RULES)

_located = locator("restrictions.get_restriction", "restriction_id")


@blp.route("/restrictions", methods=["POST"], roles=MANAGERS, writes=True)
@blp.arguments(RestrictionCreateSchema)
@blp.response(201, RestrictionSchema)
def restrict_record(data):
    """Restrict a child or contact to named staff, with a reason (one restriction in force per
    record: 409 while one is)."""
    return _located(restrictions.restrict(current_actor(), data))


@blp.route("/restrictions", roles=OVERSEERS)
@blp.arguments(RestrictionListArgsSchema, location="query")
@blp.response(200, page_of(RestrictionSchema))
def list_restrictions(args):
    """List restrictions, newest first, with their break-glass grants (managers, to know what
    they may break the glass on; auditors, to review every grant)."""
    return restrictions.list_restrictions(args)


@blp.route("/restrictions/<uuid:restriction_id>", roles=OVERSEERS)
@blp.etag
@blp.response(200, RestrictionSchema)
def get_restriction(restriction_id):
    """Read a restriction and its break-glass grants."""
    return restrictions.get_restriction(restriction_id)


@blp.route("/restrictions/<uuid:restriction_id>/access", methods=["POST"], roles=MANAGERS,
           writes=True)
@blp.arguments(BreakGlassSchema)
@blp.response(201, RestrictionSchema)
def break_glass(data, restriction_id):
    """Break the glass: see the restricted record for RESTRICTION_GRANT_MINUTES (default 30),
    with a reason; recorded in the audit trail and the access log, and alerted in the
    application log. 409 once the restriction is lifted."""
    return _located(restrictions.break_glass(current_actor(), restriction_id, data))


@blp.route("/restrictions/<uuid:restriction_id>/lifting", methods=["POST"], roles=MANAGERS,
           writes=True)
@blp.arguments(LiftSchema)
@blp.response(201, RestrictionSchema)
def lift_restriction(data, restriction_id):
    """Lift a restriction (a manager it allows), with a reason; it stays on record."""
    return _located(restrictions.lift(current_actor(), restriction_id, data))
