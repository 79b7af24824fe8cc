"""Step-up (early help -> social care) and step-down (social care -> early help) requests."""


from flask import current_app
from sqlalchemy import and_, not_, select, update

from .. import audit
from ..db import session
from ..errors import Conflict, Forbidden, NotFound, RuleViolation
from ..models import Child, Transition
from ..pages import filtered, keyset_page
from ..timescales import configured_deadline_after, london_date, now, working_days_between
from ..vocab import DIRECTIONS
from . import restrictions
from .references import next_reference
from .rationale import check_not_future, check_rationale
from .services import current_service

SERVICE_NAMES = {"early_help": "early help", "social_care": "social care", None: "no service"}


def request_transition(actor, data):
    current = now()
    requested_at = data.get("requested_at") or current
    check_not_future("requested_at", requested_at, current)
    child = session.get(Child, data["child_id"])
    if child is None or restrictions.hides_child(actor, child.id):
        raise RuleViolation("child_id", "No such child.")
    direction = data["direction"]
    from_service, to_service = DIRECTIONS[direction]
    rationale = check_rationale("rationale", data.get("rationale"))
    open_to = current_service(child.id)
    if open_to != from_service:
        raise RuleViolation(
            "child_id",
            f"A {direction.replace('_', '-')} moves a child from {SERVICE_NAMES[from_service]}; "
            f"this child is open to {SERVICE_NAMES[open_to]}.",
        )
    plan = data.get("plan")
    if direction == "step_down":
        if not plan:
            raise RuleViolation("plan", "A step-down needs a plan with a summary and expected outcomes.")
        if not plan.get("expected_outcomes"):
            raise RuleViolation("plan.expected_outcomes", "Give at least one expected outcome.")
    pending = session.scalar(
        select(Transition.id).where(Transition.child_id == child.id, Transition.status == "requested")
    )
    if pending is not None:
        raise Conflict(
            f"The child already has an open transition request ({pending}).",
            errors={"child_id": ["Already has an open transition request."]},
        )
    transition = Transition(
        reference=next_reference("T", london_date(current).year),
        child_id=child.id,
        direction=direction,
        from_service=from_service,
        to_service=to_service,
        rationale=rationale,
        plan=plan,
        requested_at=requested_at,
        requested_by_sub=actor.sub,
        requested_by_role=actor.role,
        requested_by_service=actor.service,
        recorded_at=current,
        status="requested",
        response_due_at=configured_deadline_after(
            requested_at, current_app.config["TRANSITION_RESPONSE_WORKING_DAYS"]
        ),
    )
    session.add(transition)
    session.flush()
    audit.record(actor, "transition.requested", "transition", transition.id, audit.snapshot(transition))
    return transition


def get_transition(actor, transition_id):
    """The transition, unless there is none or its child is restricted from `actor` (one 404)."""
    transition = session.get(Transition, transition_id)
    if transition is None or restrictions.hides_child(actor, transition.child_id):
        raise NotFound(f"No transition {transition_id}.")
    return transition


def _close(transition, values, expected_status="requested"):
    """Move a request on from `requested` exactly once, even with two managers at the same moment."""
    changed = session.execute(
        update(Transition)
        .where(Transition.id == transition.id, Transition.status == expected_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        session.refresh(transition)
        raise Conflict(f"The request has already been {transition.status}.")
    session.refresh(transition)


def respond_to_transition(actor, transition_id, data):
    transition = get_transition(actor, transition_id)
    if actor.role != "manager" or actor.service != transition.to_service:
        raise Forbidden(
            f"Only a {SERVICE_NAMES[transition.to_service]} manager may answer a "
            f"{transition.direction.replace('_', '-')} request."
        )
    if transition.status != "requested":
        raise Conflict(f"The request has already been {transition.status}.")
    decision = data["decision"]
    rationale = check_rationale(
        "rationale", data.get("rationale"), required=decision == "refused"
    )
    answered_at = now()
    _close(transition, {
        "status": decision,
        "response_by_sub": actor.sub,
        "response_at": answered_at,
        "working_days_to_response": working_days_between(
            london_date(transition.requested_at), london_date(answered_at),
            current_app.config["HOLIDAY_COUNTRY"], current_app.config["HOLIDAY_SUBDIVISION"],
        ),
        "response_decision": decision,
        "response_rationale": rationale,
    })
    audit.record(actor, f"transition.{decision}", "transition", transition.id,
                 {"decision": decision, "rationale": rationale, "at": transition.response_at})
    return transition


def withdraw_transition(actor, transition_id, data):
    transition = get_transition(actor, transition_id)
    sending_manager = actor.role == "manager" and actor.service == transition.from_service
    if actor.sub != transition.requested_by_sub and not sending_manager:
        raise Forbidden("Only the requester or a manager of the sending service may withdraw it.")
    if transition.status != "requested":
        raise Conflict(f"The request has already been {transition.status}.")
    reason = (data.get("reason") or "").strip() or None
    _close(transition, {"status": "withdrawn", "withdrawn_by_sub": actor.sub,
                        "withdrawn_at": now(), "withdrawal_reason": reason})
    audit.record(actor, "transition.withdrawn", "transition", transition.id,
                 {"reason": reason, "at": transition.withdrawn_at})
    return transition


def list_transitions(actor, args):
    shut = restrictions.hidden(actor)
    stmt = filtered(select(Transition).where(shut.children_clause(Transition.child_id)), args,
                    equal={"status": Transition.status, "direction": Transition.direction,
                           "to_service": Transition.to_service,
                           "from_service": Transition.from_service})
    if "overdue" in args:
        overdue = and_(Transition.status == "requested", Transition.response_due_at < now())
        stmt = stmt.where(overdue if args["overdue"] else not_(overdue))
    return keyset_page(
        stmt, [Transition.requested_at, Transition.id],
        limit=args["limit"], cursor=args.get("cursor"), descending=True,
    )
