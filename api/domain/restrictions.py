"""Restricted records: a child or contact that only named staff may see (DOMAIN.md).

For any other practitioner or manager a restricted record is as if it did not exist: 404 on a
read, absent from every list, search and export. A child's restriction covers what is about the
child (the contacts naming them, their meetings and transitions); a contact's covers the contact
and what hangs off it (decisions, feedback, its strategy meetings). A manager may break the glass
with a reason: a grant of RESTRICTION_GRANT_MINUTES, in the audit trail and the access log, and
listed for auditors.

Who is not hidden from: the staff a restriction names (and the manager who set it), a manager
with a live grant, auditors (their every read is in the access log; an audit must see every
record), the system, and a partner agency reading a contact its own system posted (it sent what
it holds; it sees only that and the outcome, and its answer must not change when the council
restricts a record). Metrics count restricted records like any other.

Every read that can reach case data asks `hidden(actor)` once: one indexed query over the
restrictions in force (a council holds a handful), answered as sets of ids the queries exclude.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, exists, not_, or_, select, true
from sqlalchemy.orm import aliased

from .. import audit
from ..db import session
from ..errors import Conflict, NotFound, RuleViolation
from ..models import (
    Account, Child, ContactChild, Restriction, RestrictionGrant, RestrictionMember,
)
from ..pages import filtered, keyset_page
from ..timescales import now
from ..vocab import STAFF_ROLES, SYSTEM_ROLE
from .rationale import check_rationale

log = logging.getLogger(__name__)

# Roles a restriction never hides from (see the module's docstring): auditors, the system, admins
# (who read no case data), and a partner agency (which reads only what its own system posted).
NOT_HIDDEN_FROM = ("auditor", SYSTEM_ROLE, "admin", "agency")


@dataclass(frozen=True)
class Hidden:
    """What one actor may not see: restricted children and restricted contacts, by id."""

    children: frozenset = frozenset()
    contacts: frozenset = frozenset()

    def __bool__(self):
        return bool(self.children or self.contacts)

    def contacts_clause(self, column):
        """A WHERE clause keeping only the rows whose contact (`column`) this actor may see."""
        if not self:
            return true()
        parts = []
        if self.contacts:
            parts.append(column.not_in(self.contacts))
        if self.children:
            # Its own alias: the outer query may join contact_children itself.
            named = aliased(ContactChild)
            parts.append(not_(exists().where(named.contact_id == column,
                                             named.child_id.in_(self.children))))
        return and_(*parts)

    def hides_match(self, match, linked_child_id):
        """True if a possible match (api/domain/children.py) would show a hidden record: its
        candidate, the record its entry is linked to, or its contact."""
        return (match.candidate_id in self.children or linked_child_id in self.children
                or match.contact_id in self.contacts)

    def children_clause(self, column):
        """A WHERE clause keeping only the rows whose child (`column`) this actor may see."""
        return column.not_in(self.children) if self.children else true()


NOTHING_HIDDEN = Hidden()


def _allowed(actor, at):
    """The restrictions in force that let this actor in: named, or a live grant."""
    named = exists().where(RestrictionMember.restriction_id == Restriction.id,
                           RestrictionMember.sub == actor.sub)
    granted = exists().where(RestrictionGrant.restriction_id == Restriction.id,
                             RestrictionGrant.granted_to_sub == actor.sub,
                             RestrictionGrant.expires_at > at)
    return or_(named, granted)


def hidden(actor, at=None):
    """What `actor` may not see now."""
    if actor.role in NOT_HIDDEN_FROM:
        return NOTHING_HIDDEN
    rows = session.execute(
        select(Restriction.entity_type, Restriction.entity_id)
        .where(Restriction.lifted_at.is_(None), not_(_allowed(actor, at or now())))
    ).all()
    if not rows:
        return NOTHING_HIDDEN
    return Hidden(children=frozenset(i for kind, i in rows if kind == "child"),
                  contacts=frozenset(i for kind, i in rows if kind == "contact"))


def hides_contact(actor, contact_id, child_ids):
    """True if this contact (about these children) is hidden from `actor`."""
    shut = hidden(actor)
    return contact_id in shut.contacts or any(c in shut.children for c in child_ids)


def hides_child(actor, child_id):
    return child_id in hidden(actor).children


def restricted_among(child_ids):
    """Which of these children have a restriction in force (whoever asks)."""
    return set(session.scalars(select(Restriction.entity_id).where(
        Restriction.entity_type == "child", Restriction.entity_id.in_(child_ids),
        Restriction.lifted_at.is_(None))))


# ---- restricting, breaking the glass, lifting --------------------------------------------------


def _record_to_restrict(actor, entity_type, entity_id):
    """The record to restrict: it must exist and be one the manager may see now."""
    from .contacts import get_contact  # contacts reads restrictions too

    if entity_type == "contact":
        try:
            get_contact(actor, entity_id)
        except NotFound:
            raise RuleViolation("entity_id", "No contact with this id that you may see.") from None
    elif session.get(Child, entity_id) is None or hides_child(actor, entity_id):
        raise RuleViolation("entity_id", "No child with this id that you may see.")


def _check_allowed(actor, subs):
    """Each name is an active practitioner's or manager's account."""
    found = dict(session.execute(
        select(Account.name, Account.role).where(Account.name.in_(subs), Account.active.is_(True))
    ).all())
    wrong = [sub for sub in subs if found.get(sub) not in STAFF_ROLES]
    if wrong:
        raise RuleViolation(
            "allowed",
            f"Not an active practitioner's or manager's account: {', '.join(sorted(wrong))}.")
    # The manager who restricts a record keeps sight of it.
    return sorted(set(subs) | {actor.sub})


def restrict(actor, data):
    entity_type, entity_id = data["entity_type"], data["entity_id"]
    reason = check_rationale("reason", data.get("reason"))
    _record_to_restrict(actor, entity_type, entity_id)
    allowed = _check_allowed(actor, data["allowed"])
    in_force = session.scalar(select(Restriction.id).where(
        Restriction.entity_type == entity_type, Restriction.entity_id == entity_id,
        Restriction.lifted_at.is_(None)))
    if in_force is not None:
        raise Conflict(f"This {entity_type} is already restricted ({in_force}); lift that first.",
                       errors={"entity_id": ["Already restricted."]})
    restriction = Restriction(
        id=uuid.uuid4(), entity_type=entity_type, entity_id=entity_id, reason=reason,
        restricted_at=now(), restricted_by_sub=actor.sub,
        members=[RestrictionMember(sub=sub) for sub in allowed], grants=[],
    )
    session.add(restriction)
    session.flush()
    audit.record(actor, "restriction.set", "restriction", restriction.id, {
        "entity_type": entity_type, "entity_id": entity_id, "reason": reason, "allowed": allowed,
    })
    return restriction


def get_restriction(restriction_id):
    restriction = session.get(Restriction, restriction_id)
    if restriction is None:
        raise NotFound(f"No restriction {restriction_id}.")
    return restriction


def break_glass(actor, restriction_id, data):
    """A manager's short-lived access to a restricted record, with a reason: in the audit trail,
    the access log (api/access.py, in this same transaction) and the application log (alerting)."""
    from ..access import record_break_glass

    restriction = get_restriction(restriction_id)
    if restriction.lifted_at is not None:
        raise Conflict("The restriction has been lifted: the record is open to staff again.")
    reason = check_rationale("reason", data.get("reason"))
    current = now()
    grant = RestrictionGrant(
        id=uuid.uuid4(), restriction_id=restriction.id, granted_to_sub=actor.sub, reason=reason,
        granted_at=current,
        expires_at=current + timedelta(minutes=current_app.config["RESTRICTION_GRANT_MINUTES"]),
    )
    restriction.grants.append(grant)
    session.flush()
    audit.record(actor, "restriction.glass_broken", "restriction", restriction.id, {
        "grant_id": grant.id, "entity_type": restriction.entity_type,
        "entity_id": restriction.entity_id, "reason": reason, "expires_at": grant.expires_at,
    })
    record_break_glass(actor, restriction.entity_type, restriction.entity_id, current)
    # Who, which record and until when, for alerting; not the reason: free text that may name
    # people, and no personal data is logged (api/logs.py). The reason is in the audit trail.
    log.warning("break-glass access by %s to restricted %s %s (restriction %s) until %s",
                actor.sub, restriction.entity_type, restriction.entity_id, restriction.id,
                grant.expires_at.isoformat(), extra={"event": "restriction.glass_broken"})
    return restriction


def lift(actor, restriction_id, data):
    restriction = get_restriction(restriction_id)
    if restriction.lifted_at is not None:
        raise Conflict("The restriction has already been lifted.")
    if actor.sub not in restriction.allowed:
        raise NotFound(f"No restriction {restriction_id} that you may lift.")
    reason = check_rationale("reason", data.get("reason"))
    restriction.lifted_at = now()
    restriction.lifted_by_sub = actor.sub
    restriction.lift_reason = reason
    session.flush()
    audit.record(actor, "restriction.lifted", "restriction", restriction.id, {"reason": reason})
    return restriction


def list_restrictions(args):
    stmt = filtered(select(Restriction), args,
                    equal={"entity_type": Restriction.entity_type,
                           "entity_id": Restriction.entity_id})
    if "in_force" in args:
        stmt = stmt.where(Restriction.lifted_at.is_(None) if args["in_force"]
                          else Restriction.lifted_at.is_not(None))
    return keyset_page(stmt, [Restriction.restricted_at, Restriction.id], limit=args["limit"],
                       cursor=args.get("cursor"), descending=True)

