"""Which service a child is open to, derived from their history (never stored twice).

The latest of: an accepted transition (its to_service, at its response time), or a current
decision on a contact about the child (early_help -> early help; assessment, strategy_discussion,
existing_case -> social care; any other outcome -> none, at its decision time).
"""

from sqlalchemy import select

from ..db import session
from ..models import ContactChild, Decision, Transition

SERVICE_OF_OUTCOME = {
    "early_help": "early_help",
    "assessment": "social_care",
    "strategy_discussion": "social_care",
    "existing_case": "social_care",
}


def current_service(child_id, excluding_contact_id=None):
    """'early_help', 'social_care' or None; optionally as it stood apart from one contact."""
    decisions = (
        select(Decision.outcome, Decision.decided_at)
        .join(ContactChild, ContactChild.contact_id == Decision.contact_id)
        .where(ContactChild.child_id == child_id, Decision.superseded_by_id.is_(None))
    )
    if excluding_contact_id is not None:
        decisions = decisions.where(Decision.contact_id != excluding_contact_id)
    decision = session.execute(decisions.order_by(Decision.decided_at.desc()).limit(1)).first()
    transition = session.execute(
        select(Transition.to_service, Transition.response_at)
        .where(Transition.child_id == child_id, Transition.status == "accepted")
        .order_by(Transition.response_at.desc())
        .limit(1)
    ).first()
    candidates = []
    if decision:
        candidates.append((decision.decided_at, SERVICE_OF_OUTCOME.get(decision.outcome)))
    if transition:
        candidates.append((transition.response_at, transition.to_service))
    if not candidates:
        return None
    return max(candidates, key=lambda pair: pair[0])[1]
