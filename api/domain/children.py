"""Children are recorded once: a later contact with the same NHS number or local id links to them."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..db import session
from ..errors import RuleViolation
from ..models import Child
from ..timescales import london_date
from .references import next_reference


def _find(nhs_number, local_child_id):
    by_nhs = session.scalar(select(Child).where(Child.nhs_number == nhs_number)) if nhs_number else None
    by_local = (
        session.scalar(select(Child).where(Child.local_child_id == local_child_id))
        if local_child_id
        else None
    )
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
    child = Child(
        reference=next_reference("CH", london_date(now).year),
        given_name=data["given_name"],
        family_name=data["family_name"],
        date_of_birth=data.get("date_of_birth"),
        expected_date_of_birth=data.get("expected_date_of_birth"),
        sex=data.get("sex", "unknown"),
        ethnicity=data.get("ethnicity"),
        nhs_number=nhs_number,
        local_child_id=local_child_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(child)
    except IntegrityError:
        # A concurrent contact recorded the same child a moment ago: link to theirs.
        by_nhs, by_local = _find(nhs_number, local_child_id)
        if not (by_nhs or by_local):
            raise
        return by_nhs or by_local
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
