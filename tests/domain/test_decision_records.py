"""Decision records as the database keeps them: the copies the metrics read, and supersession."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from api.db import session
from api.domain.contacts import record_contact
from api.domain.decisions import record_decision, record_feedback
from api.models import Decision
from schemas.contacts import ContactCreateSchema
from tests.helpers import PRACTITIONER, contact_body


def a_contact(received_at="2026-11-18T09:30:00Z"):
    return record_contact(PRACTITIONER, ContactCreateSchema().load(contact_body(received_at=received_at)))


def decide(contact, outcome="nfa", **extra):
    return record_decision(PRACTITIONER, contact.id, {
        "outcome": outcome, "rationale": "No role for children's services at this time.", **extra})


def test_a_decision_keeps_its_contacts_receipt_for_the_metrics():
    contact = a_contact("2026-11-18T09:30:00+00:00")
    first = decide(contact)
    second = decide(contact, "information_advice", supersedes=first.id,
                    supersede_reason="The school sent more detail.")
    assert first.contact_received_at == second.contact_received_at == datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def test_a_contact_keeps_the_earliest_feedback_time_whatever_the_order_recorded():
    contact = a_contact()
    decide(contact)
    assert contact.feedback_given_at is None
    record_feedback(PRACTITIONER, contact.id, {
        "given_at": datetime(2026, 11, 19, 15, 0, tzinfo=UTC), "method": "phone", "summary": "Told."})
    assert contact.feedback_given_at == datetime(2026, 11, 19, 15, 0, tzinfo=UTC)
    record_feedback(PRACTITIONER, contact.id, {
        "given_at": datetime(2026, 11, 19, 11, 0, tzinfo=UTC), "method": "email", "summary": "Told."})
    record_feedback(PRACTITIONER, contact.id, {
        "given_at": datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "method": "letter", "summary": "Told."})
    assert contact.feedback_given_at == datetime(2026, 11, 19, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("column", ["supersedes_id", "superseded_by_id"])
def test_the_database_refuses_two_decisions_naming_the_same_one(column):
    """The rule holds below the API too: unique among the non-null values."""
    one, other = a_contact(), a_contact("2026-11-18T10:30:00Z")
    first = decide(one)
    second = decide(one, "information_advice", supersedes=first.id, supersede_reason="More detail.")
    third = decide(other)
    named = first.id if column == "supersedes_id" else second.id
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(update(Decision).where(Decision.id == third.id).values({column: named}))
    # Many decisions with no value at all are fine (two first decisions, two current ones).
    assert first.supersedes_id is None and third.supersedes_id is None
    assert second.superseded_by_id is None and third.superseded_by_id is None
