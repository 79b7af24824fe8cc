"""Feedback to the referrer: how and when they were told, the rules it must meet, its audit event."""

import uuid

import pytest

from api.vocab import FEEDBACK_METHODS
from tests.helpers import (
    DROP, as_audited, audit_events, audit_length, feedback_body, field_errors, give_feedback,
    record_contact, utc,
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
    assert events[0]["entity_type"] == "feedback"
    assert events[0]["data"]["summary"] == feedback["summary"]


def test_the_contact_holds_when_the_referrer_was_first_told_and_its_trail_each_change(
    police, practitioner, auditor, clock
):
    contact = record_contact(police)  # received at 09:00
    clock.advance(hours=2)

    def told(at):
        response = give_feedback(practitioner, contact["id"], feedback_body(clock, given_at=at))
        assert response.status_code == 201, response.json
        return response.json["id"]

    first = told("2026-11-20T10:30:00Z")
    told("2026-11-20T10:30:00Z")  # told again at the same instant: not earlier, no change
    told("2026-11-20T10:45:00Z")  # later: no change
    earliest = told("2026-11-20T09:15:00Z")  # recorded late, but it came first
    changes = [data for action, data in audit_events(auditor, contact["id"])
               if action == "contact.feedback_given"]
    assert changes == [
        {"feedback_given_at": as_audited(utc("2026-11-20T10:30:00Z")), "feedback_id": first},
        {"feedback_given_at": as_audited(utc("2026-11-20T09:15:00Z")), "feedback_id": earliest}]


@pytest.mark.parametrize("method", FEEDBACK_METHODS)
def test_feedback_may_be_given_by_each_recognised_method(police, manager, clock, method):
    contact = record_contact(police)
    response = give_feedback(manager, contact["id"], feedback_body(clock, method=method))
    assert response.status_code == 201, response.json
    assert response.json["method"] == method


WRONG_FEEDBACK = [
    *(pytest.param("method", method, None, id=f"feedback by an unrecognised method ({method!r}) "
                                              "is rejected")
      for method in ("fax", "carrier_pigeon", "", "Phone")),
    *(pytest.param(missing, DROP, None, id=f"feedback without its {missing} is rejected")
      for missing in ("given_at", "method", "summary")),
    pytest.param("summary", "   ", None, id="feedback with a blank summary is rejected"),
    # The contact was received at 09:00 (contact_body()).
    pytest.param("given_at", "2026-11-20T08:00:00Z", "received_at",
                 id="feedback given before the contact was received is rejected"),
    # Three hours after the clock's 10:00.
    pytest.param("given_at", "2026-11-20T13:00:00Z", "future",
                 id="feedback given in the future is rejected"),
    pytest.param("given_at", "2026-11-20T09:30:00", None,
                 id="feedback given_at without an offset is rejected"),
]


@pytest.mark.parametrize("field, value, says", WRONG_FEEDBACK)
def test_feedback_that_breaks_a_rule_is_rejected_naming_the_field(
    police, practitioner, clock, field, value, says
):
    contact = record_contact(police)
    body = {key: item for key, item in feedback_body(clock, **{field: value}).items()
            if item is not DROP}
    errors = field_errors(give_feedback(practitioner, contact["id"], body))
    assert field in errors
    if says is not None:
        assert says in errors[field][0]


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
