"""Children are recorded once: a later contact with the same NHS number or local id links to them."""

import uuid

from sqlalchemy import bindparam, or_, select

from .. import audit
from ..db import attach_as_stored, insert_unless_present, session
from ..errors import ConcurrentChange, RuleViolation
from ..models import Child
from ..timescales import london_date
from .references import next_reference

# Built once (building a statement costs more than running it): every contact looks its
# children up. One statement finds the child by either identifier.
_BY_IDENTIFIERS = select(Child).where(
    or_(Child.nhs_number == bindparam("nhs_number"),
        Child.local_child_id == bindparam("local_child_id"))
)


def _find(nhs_number, local_child_id):
    """(the child with this NHS number, the child with this local id): one query."""
    if not (nhs_number or local_child_id):
        return None, None
    found = session.scalars(
        _BY_IDENTIFIERS, {"nhs_number": nhs_number, "local_child_id": local_child_id}
    ).all()
    by_nhs = next((c for c in found if nhs_number and c.nhs_number == nhs_number), None)
    by_local = next((c for c in found if local_child_id and c.local_child_id == local_child_id),
                    None)
    return by_nhs, by_local


def find_or_record_child(actor, data, field, now):
    """The child these details identify, recorded if new. `field` names it in errors."""
    nhs_number, local_child_id = data.get("nhs_number"), data.get("local_child_id")
    by_nhs, by_local = _find(nhs_number, local_child_id)
    if by_nhs and by_local and by_nhs.id != by_local.id:
        raise RuleViolation(
            f"{field}.local_child_id",
            f"Belongs to child {by_local.reference}, but the NHS number is that of {by_nhs.reference}.",
        )
    child = by_nhs or by_local
    if child is not None:
        _link_identifiers(actor, child, nhs_number, local_child_id, field)
        _add_ethnicity(actor, child, data.get("ethnicity"))
        return child
    values = {
        "id": uuid.uuid4(),
        "reference": next_reference("CH", london_date(now).year),
        "given_name": data["given_name"],
        "family_name": data["family_name"],
        "date_of_birth": data.get("date_of_birth"),
        "expected_date_of_birth": data.get("expected_date_of_birth"),
        "sex": data.get("sex", "unknown"),
        "ethnicity": data.get("ethnicity"),
        "nhs_number": nhs_number,
        "local_child_id": local_child_id,
        "created_at": now,
    }
    if not insert_unless_present(session.connection(), Child.__table__, values):
        # A concurrent contact recorded the same child (same NHS number or local id) a moment
        # ago: link to theirs (the reference number taken for this one stays unused).
        by_nhs, by_local = _find(nhs_number, local_child_id)
        if not (by_nhs or by_local):
            raise ConcurrentChange()
        return by_nhs or by_local
    child = Child(**values)
    attach_as_stored(child)
    audit.record(actor, "child.recorded", "child", child.id, audit.snapshot(child))
    return child


def _add_ethnicity(actor, child, ethnicity):
    """A child on record without an ethnicity takes the one a later contact gives; one recorded
    is kept (a referrer's description does not overwrite the record)."""
    if ethnicity and not child.ethnicity:
        child.ethnicity = ethnicity
        session.flush()
        audit.record(actor, "child.ethnicity_added", "child", child.id, {"ethnicity": ethnicity})


def _link_identifiers(actor, child, nhs_number, local_child_id, field):
    """Fill in an identifier the child record lacks; never overwrite one it has."""
    if nhs_number and child.nhs_number and child.nhs_number != nhs_number:
        raise RuleViolation(
            f"{field}.nhs_number",
            f"Child {child.reference} (matched by local_child_id) has a different NHS number.",
        )
    if local_child_id and child.local_child_id and child.local_child_id != local_child_id:
        raise RuleViolation(
            f"{field}.local_child_id",
            f"Child {child.reference} (matched by NHS number) has a different local_child_id.",
        )
    added = {}
    if nhs_number and not child.nhs_number:
        child.nhs_number = added["nhs_number"] = nhs_number
    if local_child_id and not child.local_child_id:
        child.local_child_id = added["local_child_id"] = local_child_id
    if added:
        session.flush()
        audit.record(actor, "child.identifiers_added", "child", child.id, added)
