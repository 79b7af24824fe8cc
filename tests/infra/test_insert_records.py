"""api.db.insert_records: the write path's INSERTs without the unit of work."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select

from api.db import insert_records, session
from api.models import ConsentRecord, Contact
from api.domain.contacts import record_contact
from tests.helpers import POLICE, parsed

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def a_contact(**fields):
    values = dict(
        id=uuid.uuid4(), reference=f"C-2026-9{uuid.uuid4().int % 10**5:05d}", received_at=AT,
        recorded_at=AT, source_agency="wmp", concern_categories=["neglect"],
        concern_summary="Hungry at school.", consent_status="given", status="awaiting_decision",
        decision_due_at=AT, recorded_by_sub="test", recorded_by_role="agency", version=1,
    )
    values.update(fields)
    return Contact(**values)


def test_inserted_records_join_the_session_as_stored_and_match_their_rows():
    contact = a_contact()
    consent = ConsentRecord(id=uuid.uuid4(), contact_id=contact.id, status="given",
                            recorded_at=AT, recorded_by_sub="test", recorded_by_role="agency")
    insert_records(contact, consent)

    assert inspect(contact).persistent and inspect(consent).persistent
    assert not session.dirty and not session.new  # nothing left for a flush to write again
    row = session.execute(select(Contact.__table__).where(Contact.id == contact.id)).one()
    assert (row.reference, row.version, row.consent_status) == (contact.reference, 1, "given")
    assert session.scalar(select(ConsentRecord.contact_id)) == contact.id


def test_a_column_with_a_model_default_left_unset_is_refused_before_anything_is_written():
    contact = a_contact(version=None)
    with pytest.raises(ValueError, match="Contact.version must be set"):
        insert_records(contact)
    assert session.scalar(select(Contact.id).where(Contact.id == contact.id)) is None


def test_a_recorded_contact_reads_back_as_it_was_returned():
    contact = record_contact(POLICE, parsed())
    session.commit()
    returned = {attr.key: getattr(contact, attr.key) for attr in inspect(Contact).column_attrs}
    session.expire_all()
    stored = session.get(Contact, contact.id)
    assert {attr.key: getattr(stored, attr.key) for attr in inspect(Contact).column_attrs} == returned
    assert [link.child_id for link in stored.child_links] == [
        link.child_id for link in contact.child_links]
    assert [r.id for r in stored.consent_history] == [r.id for r in contact.consent_history]
