"""Feedback to the referrer: how and when they were told, the rules it must meet, its audit event."""

import uuid
from datetime import timedelta

import pytest

from api.vocab import FEEDBACK_METHODS
from tests.helpers import (
    audit_length, feedback_body, field_errors, give_feedback, iso, record_contact, utc,
)


def test_a_practitioner_records_feedback_given_to_the_referrer(
    police, practitioner, auditor, clock
):
    contact = record_contact(police)
    clock.advance(hours=2)
    response = give_feedback(practitioner, contact["id"],
                             feedback_body(clock, given_at="2026-11-20T11:30:00+00:00"))
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"/api/v1/contacts/{contact['id']}")
    feedback = response.json
    assert feedback["contact_id"] == contact["id"]
    assert feedback["given_at"] == "2026-11-20T11:30:00Z"
    assert feedback["method"] == "phone"
    assert feedback["summary"] == "Told PC Doe the family will be offered early help support."
    assert feedback["recorded_by"] == "priya"
    assert utc(feedback["recorded_at"]) == clock()
    events = auditor.get(f"/api/v1/audit/events?entity_id={feedback['id']}").json["items"]
    assert [e["action"] for e in events] == ["feedback.recorded"]
    assert events[0]["data"]["summary"] == feedback["summary"]


@pytest.mark.parametrize("method", FEEDBACK_METHODS)
def test_feedback_may_be_given_by_each_recognised_method(police, manager, clock, method):
    contact = record_contact(police)
    response = give_feedback(manager, contact["id"], feedback_body(clock, method=method))
    assert response.status_code == 201, response.json
    assert response.json["method"] == method


@pytest.mark.parametrize("method", ["fax", "carrier_pigeon", "", "Phone"])
def test_feedback_by_an_unrecognised_method_is_rejected(police, practitioner, clock, method):
    contact = record_contact(police)
    errors = field_errors(give_feedback(practitioner, contact["id"],
                                        feedback_body(clock, method=method)))
    assert "method" in errors


@pytest.mark.parametrize("missing", ["given_at", "method", "summary"])
def test_feedback_without_each_required_field_is_rejected(police, practitioner, clock, missing):
    contact = record_contact(police)
    body = feedback_body(clock)
    del body[missing]
    assert missing in field_errors(give_feedback(practitioner, contact["id"], body))


def test_feedback_with_a_blank_summary_is_rejected(police, practitioner, clock):
    contact = record_contact(police)
    errors = field_errors(give_feedback(practitioner, contact["id"],
                                        feedback_body(clock, summary="   ")))
    assert "summary" in errors


def test_feedback_given_before_the_contact_was_received_is_rejected(police, practitioner, clock):
    contact = record_contact(police, received_at="2026-11-20T09:00:00Z")
    errors = field_errors(give_feedback(practitioner, contact["id"],
                                        feedback_body(clock, given_at="2026-11-20T08:00:00Z")))
    assert "received_at" in errors["given_at"][0]


def test_feedback_given_in_the_future_is_rejected(police, practitioner, clock):
    contact = record_contact(police)
    errors = field_errors(give_feedback(
        practitioner, contact["id"],
        feedback_body(clock, given_at=iso(clock() + timedelta(hours=3)))))
    assert "future" in errors["given_at"][0]


def test_feedback_given_at_without_an_offset_is_rejected(police, practitioner, clock):
    contact = record_contact(police)
    errors = field_errors(give_feedback(practitioner, contact["id"],
                                        feedback_body(clock, given_at="2026-11-20T09:30:00")))
    assert "given_at" in errors


def test_feedback_on_an_unknown_contact_is_not_found(practitioner, clock):
    assert give_feedback(practitioner, uuid.uuid4(), feedback_body(clock)).status_code == 404


def test_refused_feedback_appends_no_audit_event(police, practitioner, auditor, api_as, clock):
    contact = record_contact(police)
    before = audit_length(auditor)
    refusals = [
        give_feedback(practitioner, contact["id"], feedback_body(clock, method="fax")),
        give_feedback(practitioner, contact["id"],
                      feedback_body(clock, given_at="2026-11-19T09:00:00Z")),
        give_feedback(api_as("agency", agency="wmp"), contact["id"], feedback_body(clock)),
        give_feedback(api_as("auditor"), contact["id"], feedback_body(clock)),
    ]
    assert [r.status_code for r in refusals] == [422, 422, 403, 403]
    assert audit_length(auditor) == before
