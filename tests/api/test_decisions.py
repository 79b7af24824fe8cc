"""Threshold decisions, manager sign-off and feedback to the referrer, through the API.

Each rule is shown both ways: accepted when it is met, refused (with the field and the reason)
when it is not. Roles follow API.md; every write leaves its audit event, a refused write none.
"""

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from time import monotonic

import pytest
from sqlalchemy import text

from api.vocab import FEEDBACK_METHODS, OUTCOMES
from tests.helpers import FakeClock, assert_problem, build_app, contact_body, token_for

RATIONALE = "Mother confirms the partner has left; school reports no injuries and good attendance."
OTHER_RATIONALE = "Health visitor reports the baby is underweight and the home is cold and dirty."
CONSENT_REASON = "Recorded for the test: the reason for this consent status."
ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


def _iso(instant):
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _consent(status):
    if status == "given":
        return {"status": "given", "given_by": "Mother"}
    return {"status": status, "reason": CONSENT_REASON}


def post_contact(poster, **overrides):
    response = poster.post("/api/v1/contacts", json=contact_body(**overrides))
    assert response.status_code == 201, response.json
    return response.json


def decide(client, contact_id, **body):
    body.setdefault("outcome", "nfa")
    body.setdefault("rationale", RATIONALE)
    return client.post(f"/api/v1/contacts/{contact_id}/decisions", json=body)


def decided(client, contact_id, **body):
    response = decide(client, contact_id, **body)
    assert response.status_code == 201, response.json
    return response.json


def audit_actions(auditor, entity_id):
    response = auditor.get(f"/api/v1/audit/events?entity_id={entity_id}")
    assert response.status_code == 200, response.json
    return [event["action"] for event in response.json["items"]]


def audit_length(auditor):
    response = auditor.get("/api/v1/audit/verify")
    assert response.status_code == 200, response.json
    assert response.json["valid"] is True
    return response.json["length"]


def field_errors(response, status=422):
    return assert_problem(response, status).get("errors", {})


# ---- recording a decision ------------------------------------------------------------------


def test_a_practitioner_records_a_decision_and_the_contact_becomes_decided(
    police, practitioner, clock
):
    contact = post_contact(police)
    response = decide(practitioner, contact["id"], outcome="information_advice")
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"/api/v1/contacts/{contact['id']}/decisions")
    decision = response.json
    assert decision["contact_id"] == contact["id"]
    assert decision["outcome"] == "information_advice"
    assert decision["rationale"] == RATIONALE
    assert decision["decided_by"] == "priya"
    assert decision["approval"] is None
    assert decision["supersedes"] is None
    assert decision["superseded_by"] is None
    read = practitioner.get(f"/api/v1/contacts/{contact['id']}")
    assert read.json["status"] == "decided"
    assert read.json["current_outcome"] == {"outcome": "information_advice",
                                            "decided_at": decision["decided_at"]}


def test_a_contact_awaits_a_decision_until_one_is_recorded(police, practitioner):
    contact = post_contact(police)
    read = practitioner.get(f"/api/v1/contacts/{contact['id']}")
    assert read.json["status"] == "awaiting_decision"
    assert read.json["current_outcome"] is None


def test_a_manager_may_record_a_decision_too(police, api_as):
    contact = post_contact(police)
    response = decide(api_as("manager", sub="mo", service="mash"), contact["id"])
    assert response.status_code == 201, response.json
    assert response.json["decided_by"] == "mo"


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_every_outcome_is_accepted_when_consent_is_given(police, practitioner, outcome):
    contact = post_contact(police, consent=_consent("given"))
    response = decide(practitioner, contact["id"], outcome=outcome)
    assert response.status_code == 201, response.json
    assert response.json["outcome"] == outcome


@pytest.mark.parametrize("outcome", ["s47", "NFA", "", None])
def test_an_outcome_outside_the_list_is_rejected(police, practitioner, outcome):
    contact = post_contact(police)
    errors = field_errors(decide(practitioner, contact["id"], outcome=outcome))
    assert "outcome" in errors


def test_a_decision_without_an_outcome_is_rejected(police, practitioner):
    contact = post_contact(police)
    response = practitioner.post(f"/api/v1/contacts/{contact['id']}/decisions",
                                 json={"rationale": RATIONALE})
    assert "outcome" in field_errors(response)


def test_decided_by_comes_from_the_token_and_cannot_be_sent_in_the_body(police, practitioner):
    contact = post_contact(police)
    errors = field_errors(decide(practitioner, contact["id"], decided_by="somebody-else"))
    assert "decided_by" in errors
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"] == []


def test_a_decision_on_an_unknown_contact_is_not_found(practitioner):
    response = decide(practitioner, uuid.uuid4())
    assert response.status_code == 404, response.json


# ---- decided_at ------------------------------------------------------------------------------


def test_decided_at_defaults_to_now(police, practitioner, clock):
    contact = post_contact(police)
    clock.advance(minutes=45)
    decision = decided(practitioner, contact["id"])
    assert _at(decision["decided_at"]) == clock()
    assert _at(decision["recorded_at"]) == clock()


def test_decided_at_sent_with_an_offset_is_returned_in_utc(police, practitioner, clock):
    contact = post_contact(police, received_at="2026-11-20T08:00:00Z")
    decision = decided(practitioner, contact["id"], decided_at="2026-11-20T09:30:00+01:00")
    assert decision["decided_at"] == "2026-11-20T08:30:00Z"


def test_decided_at_without_an_offset_is_rejected(police, practitioner):
    contact = post_contact(police)
    errors = field_errors(decide(practitioner, contact["id"], decided_at="2026-11-20T09:30:00"))
    assert "decided_at" in errors


def test_decided_at_before_the_contact_was_received_is_rejected(police, practitioner):
    contact = post_contact(police, received_at="2026-11-20T09:00:00Z")
    errors = field_errors(decide(practitioner, contact["id"], decided_at="2026-11-20T08:59:59Z"))
    assert "received_at" in errors["decided_at"][0]


def test_decided_at_the_moment_the_contact_was_received_is_accepted(police, practitioner):
    contact = post_contact(police, received_at="2026-11-20T09:00:00Z")
    decision = decided(practitioner, contact["id"], decided_at="2026-11-20T09:00:00Z")
    assert decision["decided_at"] == "2026-11-20T09:00:00Z"


def test_decided_at_in_the_future_is_rejected(police, practitioner, clock):
    contact = post_contact(police)
    errors = field_errors(decide(practitioner, contact["id"],
                                 decided_at=_iso(clock() + timedelta(hours=1))))
    assert "future" in errors["decided_at"][0]


def test_decided_at_ahead_of_now_by_no_more_than_the_allowed_clock_skew_is_accepted(
    app, police, practitioner, clock
):
    contact = post_contact(police)
    ahead = clock() + timedelta(seconds=app.config["CLOCK_SKEW_SECONDS"])
    decision = decided(practitioner, contact["id"], decided_at=_iso(ahead))
    assert _at(decision["decided_at"]) == ahead


def test_decided_at_a_second_beyond_the_allowed_clock_skew_is_rejected(
    app, police, practitioner, clock
):
    contact = post_contact(police)
    beyond = clock() + timedelta(seconds=app.config["CLOCK_SKEW_SECONDS"] + 1)
    errors = field_errors(decide(practitioner, contact["id"], decided_at=_iso(beyond)))
    assert "future" in errors["decided_at"][0]


# ---- the rationale --------------------------------------------------------------------------


def test_a_decision_without_a_rationale_is_rejected(police, practitioner):
    contact = post_contact(police)
    response = practitioner.post(f"/api/v1/contacts/{contact['id']}/decisions",
                                 json={"outcome": "nfa"})
    assert "rationale" in field_errors(response)


@pytest.mark.parametrize("rationale", ["", "   \n\t  ", None])
def test_an_empty_rationale_is_rejected(police, practitioner, rationale):
    contact = post_contact(police)
    errors = field_errors(decide(practitioner, contact["id"], rationale=rationale))
    assert "rationale" in errors


def test_a_rationale_shorter_than_20_characters_once_trimmed_is_rejected(police, practitioner):
    contact = post_contact(police)
    nineteen = "Child safe with mum"
    assert len(nineteen) == 19
    errors = field_errors(decide(practitioner, contact["id"], rationale=f"   {nineteen}      "))
    assert "20 characters" in errors["rationale"][0]


def test_a_rationale_of_20_characters_is_accepted_and_kept_trimmed(police, practitioner):
    contact = post_contact(police)
    twenty = "Child safe with mum."
    assert len(twenty) == 20
    decision = decided(practitioner, contact["id"], rationale=f"  {twenty}\n")
    assert decision["rationale"] == twenty


@pytest.mark.parametrize("rationale", [
    "N/A N/A N/A N/A N/A N/A",
    "See notes. See notes. See notes.",
    "AS ABOVE - AS ABOVE - AS ABOVE",
    "nfa ..................................",
    "TBC, to be confirmed, tbc",
    "See case notes / as per notes",
    "Please see the case notes.",
])
def test_a_placeholder_rationale_is_rejected_whatever_the_case(police, practitioner, rationale):
    contact = post_contact(police)
    errors = field_errors(decide(practitioner, contact["id"], rationale=rationale))
    assert "placeholder" in errors["rationale"][0]


def test_a_real_rationale_that_mentions_nfa_and_notes_is_accepted(police, practitioner):
    contact = post_contact(police)
    rationale = "NFA: school notes show 98% attendance and no marks; mother engaged with the GP."
    assert decided(practitioner, contact["id"], rationale=rationale)["rationale"] == rationale


# ---- consent --------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome, consent, accepted", [
    ("early_help", "given", True),
    ("early_help", "overridden", False),
    ("early_help", "refused", False),
    ("early_help", "not_sought", False),
    ("assessment", "given", True),
    ("assessment", "overridden", True),
    ("assessment", "refused", False),
    ("assessment", "not_sought", False),
    ("strategy_discussion", "given", True),
    ("strategy_discussion", "overridden", True),
    ("strategy_discussion", "refused", True),
    ("strategy_discussion", "not_sought", True),
    ("nfa", "refused", True),
    ("information_advice", "not_sought", True),
])
def test_consent_decides_whether_an_outcome_may_proceed(
    police, practitioner, outcome, consent, accepted
):
    contact = post_contact(police, consent=_consent(consent))
    response = decide(practitioner, contact["id"], outcome=outcome)
    if accepted:
        assert response.status_code == 201, response.json
        assert response.json["outcome"] == outcome
        return
    message = field_errors(response)["outcome"][0]
    assert "consent" in message
    assert consent in message
    needs = "given or overridden" if outcome == "assessment" else "given"
    assert f"needs consent {needs}" in message
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}").json["status"] == \
        "awaiting_decision"


def test_early_help_proceeds_once_consent_is_recorded_as_given(police, practitioner):
    contact = post_contact(police, consent=_consent("not_sought"))
    assert decide(practitioner, contact["id"], outcome="early_help").status_code == 422
    consent = practitioner.post(f"/api/v1/contacts/{contact['id']}/consent",
                                json=_consent("given"))
    assert consent.status_code == 201, consent.json
    assert decide(practitioner, contact["id"], outcome="early_help").status_code == 201


def test_a_superseding_decision_is_held_to_the_consent_rule_too(police, practitioner, clock):
    contact = post_contact(police, consent=_consent("refused"))
    first = decided(practitioner, contact["id"], outcome="nfa")
    clock.advance(minutes=5)
    response = decide(practitioner, contact["id"], outcome="early_help", supersedes=first["id"],
                      supersede_reason="The family now asks for help with the children's routines.")
    assert "outcome" in field_errors(response)


# ---- one current decision: superseding ---------------------------------------------------


def test_a_second_decision_that_does_not_name_the_current_one_is_a_conflict(
    police, practitioner, clock
):
    contact = post_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    errors = field_errors(decide(practitioner, contact["id"], outcome="universal_services"), 409)
    assert "supersedes" in errors
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert [item["id"] for item in items] == [first["id"]]
    assert items[0]["superseded_by"] is None


def test_a_decision_that_names_the_current_one_with_a_reason_supersedes_it(
    police, practitioner, clock
):
    contact = post_contact(police, consent=_consent("overridden"))
    first = decided(practitioner, contact["id"], outcome="information_advice")
    clock.advance(hours=2)
    reason = "  The health visitor's further information raised the level of concern. "
    second = decided(practitioner, contact["id"], outcome="assessment", rationale=OTHER_RATIONALE,
                     supersedes=first["id"], supersede_reason=reason)
    assert second["supersedes"] == first["id"]
    assert second["supersede_reason"] == reason.strip()
    assert second["superseded_by"] is None
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert [item["id"] for item in items] == [first["id"], second["id"]]
    assert items[0]["superseded_by"] == second["id"]
    assert items[0]["outcome"] == "information_advice"
    assert items[0]["rationale"] == RATIONALE
    read = practitioner.get(f"/api/v1/contacts/{contact['id']}").json
    assert read["status"] == "decided"
    assert read["current_outcome"]["outcome"] == "assessment"


def test_superseding_without_a_reason_is_rejected(police, practitioner, clock):
    contact = post_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    response = decide(practitioner, contact["id"], outcome="universal_services",
                      supersedes=first["id"])
    assert "supersede_reason" in field_errors(response)
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert len(items) == 1 and items[0]["superseded_by"] is None


def test_superseding_with_a_blank_reason_is_rejected(police, practitioner, clock):
    contact = post_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    response = decide(practitioner, contact["id"], outcome="universal_services",
                      supersedes=first["id"], supersede_reason="   ")
    assert "supersede_reason" in field_errors(response)


def test_superseding_a_decision_that_is_no_longer_current_is_a_conflict(
    police, practitioner, clock
):
    contact = post_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    second = decided(practitioner, contact["id"], outcome="universal_services",
                     supersedes=first["id"], supersede_reason="School shared new information.")
    clock.advance(minutes=5)
    response = decide(practitioner, contact["id"], outcome="information_advice",
                      supersedes=first["id"], supersede_reason="Second thoughts on the first.")
    assert "supersedes" in field_errors(response, 409)
    third = decided(practitioner, contact["id"], outcome="information_advice",
                    supersedes=second["id"], supersede_reason="Family asked only for advice.")
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert [i["superseded_by"] for i in items] == [second["id"], third["id"], None]


def test_a_first_decision_that_claims_to_supersede_something_is_a_conflict(police, practitioner):
    contact = post_contact(police)
    response = decide(practitioner, contact["id"], supersedes=str(uuid.uuid4()),
                      supersede_reason="There is nothing to supersede here.")
    assert "supersedes" in field_errors(response, 409)
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"] == []


def test_a_decision_cannot_supersede_another_contacts_decision(police, practitioner, clock):
    contact = post_contact(police)
    other = post_contact(police, source_reference="PPN-2026-0099")
    decided(practitioner, contact["id"])
    elsewhere = decided(practitioner, other["id"])
    clock.advance(minutes=5)
    response = decide(practitioner, contact["id"], supersedes=elsewhere["id"],
                      supersede_reason="Wrong contact's decision named on purpose.")
    assert "supersedes" in field_errors(response, 409)


def test_supersedes_that_is_not_an_id_is_rejected(police, practitioner):
    contact = post_contact(police)
    errors = field_errors(decide(practitioner, contact["id"], supersedes="the last one",
                                 supersede_reason="A reason that would otherwise do."))
    assert "supersedes" in errors


def test_a_supersede_reason_without_supersedes_is_rejected(police, practitioner):
    contact = post_contact(police)
    response = decide(practitioner, contact["id"],
                      supersede_reason="A reason for superseding nothing at all.")
    assert "supersede_reason" in field_errors(response)
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"] == []


# ---- timeliness: within 24 hours and within 1 working day ---------------------------------


def _timeliness(police, practitioner, clock, received_at, decided_at):
    clock.set(decided_at + timedelta(days=1))
    contact = post_contact(police, received_at=_iso(received_at))
    decision = decided(practitioner, contact["id"], decided_at=_iso(decided_at))
    return contact, decision


def test_a_decision_an_hour_after_receipt_is_within_24_hours_and_1_working_day(
    police, practitioner, clock
):
    received = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # Wednesday
    _, decision = _timeliness(police, practitioner, clock, received, received + timedelta(hours=1))
    assert decision["within_24_hours"] is True
    assert decision["within_1_working_day"] is True


def test_a_decision_exactly_24_hours_after_receipt_is_within_24_hours(police, practitioner, clock):
    received = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    _, decision = _timeliness(police, practitioner, clock, received, received + timedelta(hours=24))
    assert decision["within_24_hours"] is True
    assert decision["within_1_working_day"] is True


def test_a_decision_a_second_over_24_hours_is_not_within_24_hours(police, practitioner, clock):
    received = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    _, decision = _timeliness(police, practitioner, clock, received,
                              received + timedelta(hours=24, seconds=1))
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is True  # Thursday, the next working day


def test_a_christmas_eve_contact_decided_late_on_the_next_working_day_is_on_time_but_over_24_hours(
    police, practitioner, clock
):
    # Thu 24 Dec 2026; Fri 25 Christmas, weekend, Mon 28 the Boxing Day substitute: Tue 29 is due.
    received = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    decided_at = datetime(2026, 12, 29, 23, 0, tzinfo=UTC)  # 23:00 London (GMT)
    contact, decision = _timeliness(police, practitioner, clock, received, decided_at)
    assert contact["decision_due_at"] == "2026-12-29T23:59:59.999999Z"
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is True


def test_a_christmas_eve_contact_decided_after_the_next_working_day_is_late_on_both_counts(
    police, practitioner, clock
):
    received = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    decided_at = datetime(2026, 12, 30, 0, 0, 30, tzinfo=UTC)  # Wed 30 Dec, just after midnight
    _, decision = _timeliness(police, practitioner, clock, received, decided_at)
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is False


def test_a_friday_contact_decided_on_monday_evening_is_within_1_working_day(
    police, practitioner, clock
):
    received = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday
    _, decision = _timeliness(police, practitioner, clock, received,
                              datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is True


def test_a_friday_contact_decided_on_tuesday_is_not_within_1_working_day(
    police, practitioner, clock
):
    received = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    _, decision = _timeliness(police, practitioner, clock, received,
                              datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC))
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is False


def test_the_working_day_is_judged_by_the_london_date_of_receipt(police, practitioner, clock):
    # 23:30 UTC on Thu 22 Oct 2026 is 00:30 BST on Friday: the decision is due on Monday 26th
    # (clocks go back on Sunday 25th), not on Friday as the UTC date would have it.
    received = datetime(2026, 10, 22, 23, 30, tzinfo=UTC)
    contact, decision = _timeliness(police, practitioner, clock, received,
                                    datetime(2026, 10, 26, 20, 0, tzinfo=UTC))
    assert contact["decision_due_at"] == "2026-10-26T23:59:59.999999Z"
    assert decision["within_1_working_day"] is True
    assert decision["within_24_hours"] is False


# ---- listing decisions ---------------------------------------------------------------------


def test_the_decisions_list_is_empty_for_a_contact_not_yet_decided(police, practitioner):
    contact = post_contact(police)
    response = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions")
    assert response.status_code == 200
    assert response.json == {"items": []}


def test_the_decisions_list_shows_every_decision_oldest_first_with_approval(
    police, practitioner, manager, clock
):
    contact = post_contact(police)
    first = decided(practitioner, contact["id"], outcome="nfa")
    clock.advance(minutes=10)
    assert manager.post(f"/api/v1/decisions/{first['id']}/approval",
                        json={"note": "Agreed."}).status_code == 201
    clock.advance(minutes=10)
    second = decided(practitioner, contact["id"], outcome="universal_services",
                     supersedes=first["id"], supersede_reason="School raised attendance concerns.")
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert [(i["id"], i["outcome"]) for i in items] == [
        (first["id"], "nfa"), (second["id"], "universal_services")]
    assert items[0]["approval"]["approved_by"] == "mark"
    assert items[0]["approval"]["note"] == "Agreed."
    assert items[1]["approval"] is None
    assert items[1]["decided_by"] == "priya"


def test_listing_the_decisions_of_an_unknown_contact_is_not_found(practitioner):
    assert practitioner.get(f"/api/v1/contacts/{uuid.uuid4()}/decisions").status_code == 404


# ---- audit ----------------------------------------------------------------------------------


def test_recording_a_decision_appends_its_audit_event(police, practitioner, auditor):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"], outcome="nfa")
    events = auditor.get(f"/api/v1/audit/events?entity_id={decision['id']}").json["items"]
    assert [e["action"] for e in events] == ["decision.recorded"]
    assert events[0]["entity_type"] == "decision"
    assert events[0]["actor"]["sub"] == "priya"
    assert events[0]["data"]["outcome"] == "nfa"
    assert events[0]["data"]["rationale"] == RATIONALE
    assert events[0]["data"]["contact_id"] == contact["id"]


def test_a_superseding_decision_records_what_it_supersedes_in_the_audit_trail(
    police, practitioner, auditor, clock
):
    contact = post_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    second = decided(practitioner, contact["id"], outcome="universal_services",
                     supersedes=first["id"], supersede_reason="School raised new concerns.")
    events = auditor.get(f"/api/v1/audit/events?entity_id={second['id']}").json["items"]
    assert [e["action"] for e in events] == ["decision.recorded"]
    assert events[0]["data"]["supersedes_id"] == first["id"]
    assert events[0]["data"]["supersede_reason"] == "School raised new concerns."


def test_refused_decisions_append_no_audit_event(police, practitioner, auditor, api_as, clock):
    contact = post_contact(police, consent=_consent("refused"))
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    before = audit_length(auditor)
    cid = contact["id"]
    refusals = [
        decide(practitioner, cid, rationale="See notes, see notes, see notes."),
        decide(practitioner, cid, outcome="early_help", supersedes=first["id"],
               supersede_reason="Family asks for help."),
        decide(practitioner, cid, outcome="universal_services"),
        decide(practitioner, cid, supersedes=first["id"]),
        decide(practitioner, cid, decided_at=_iso(clock() + timedelta(days=1))),
        decide(api_as("auditor"), cid),
        decide(api_as("agency", agency="wmp"), cid),
    ]
    assert [r.status_code for r in refusals] == [422, 422, 409, 422, 422, 403, 403]
    assert audit_length(auditor) == before
    assert audit_actions(auditor, first["id"]) == ["decision.recorded"]


def test_a_decision_posted_twice_with_one_idempotency_key_is_recorded_once(
    police, practitioner, auditor
):
    contact = post_contact(police)
    url = f"/api/v1/contacts/{contact['id']}/decisions"
    body = {"outcome": "nfa", "rationale": RATIONALE}
    headers = {"Idempotency-Key": "decision-1"}
    first = practitioner.post(url, json=body, headers=headers)
    again = practitioner.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(practitioner.get(url).json["items"]) == 1
    assert audit_actions(auditor, first.json["id"]) == ["decision.recorded"]


# ---- approval ----------------------------------------------------------------------------


def approve(client, decision_id, **kwargs):
    return client.post(f"/api/v1/decisions/{decision_id}/approval", **kwargs)


def test_a_manager_approves_a_practitioners_decision(
    police, practitioner, manager, auditor, clock
):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"])
    clock.advance(hours=1)
    response = approve(manager, decision["id"], json={"note": "  Agreed: proportionate.  "})
    assert response.status_code == 201, response.json
    assert response.json["id"] == decision["id"]
    assert response.json["approval"] == {"approved_by": "mark", "approved_at": _iso(clock()),
                                         "note": "Agreed: proportionate."}
    assert response.headers["Location"].endswith(f"/contacts/{contact['id']}/decisions")
    listed = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert listed[0]["approval"]["approved_by"] == "mark"
    events = auditor.get(f"/api/v1/audit/events?entity_id={decision['id']}").json["items"]
    assert [e["action"] for e in events] == ["decision.recorded", "decision.approved"]
    assert events[1]["actor"]["sub"] == "mark"
    assert events[1]["data"]["note"] == "Agreed: proportionate."


def test_an_approval_needs_no_body_at_all(police, practitioner, manager):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"])
    response = approve(manager, decision["id"])
    assert response.status_code == 201, response.json
    assert response.json["approval"]["approved_by"] == "mark"
    assert response.json["approval"]["note"] is None


def test_an_approval_with_an_empty_json_object_is_accepted(police, practitioner, manager):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"])
    response = approve(manager, decision["id"], json={})
    assert response.status_code == 201, response.json
    assert response.json["approval"]["note"] is None


def test_an_approval_cannot_name_its_approver_in_the_body(police, practitioner, manager):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"])
    response = approve(manager, decision["id"], json={"approved_by": "someone-senior"})
    assert "approved_by" in field_errors(response)


def test_a_manager_cannot_approve_their_own_decision(police, manager, auditor, api_as):
    contact = post_contact(police)
    decision = decided(manager, contact["id"])
    response = approve(manager, decision["id"], json={"note": "Self-approval."})
    errors = field_errors(response)
    assert "own decision" in errors["decision"][0]
    assert audit_actions(auditor, decision["id"]) == ["decision.recorded"]
    other = approve(api_as("manager", sub="maya", service="mash"), decision["id"])
    assert other.status_code == 201, other.json
    assert other.json["approval"]["approved_by"] == "maya"


def test_a_decision_is_approved_only_once(police, practitioner, manager, auditor, api_as, clock):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"])
    assert approve(manager, decision["id"], json={"note": "First."}).status_code == 201
    approved_at = _iso(clock())
    clock.advance(minutes=30)
    for second in (approve(manager, decision["id"]),
                   approve(api_as("manager", sub="maya", service="mash"), decision["id"])):
        assert second.status_code == 409, second.json
    listed = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert listed[0]["approval"] == {"approved_by": "mark", "approved_at": approved_at,
                                     "note": "First."}
    assert audit_actions(auditor, decision["id"]) == ["decision.recorded", "decision.approved"]


def test_a_superseded_decision_cannot_be_approved_but_its_successor_can(
    police, practitioner, manager, auditor, clock
):
    contact = post_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    second = decided(practitioner, contact["id"], outcome="universal_services",
                     supersedes=first["id"], supersede_reason="School raised new concerns.")
    refused = approve(manager, first["id"])
    assert refused.status_code == 409, refused.json
    assert "superseded" in refused.json["detail"]
    assert audit_actions(auditor, first["id"]) == ["decision.recorded"]
    assert approve(manager, second["id"]).status_code == 201


def test_approving_an_unknown_decision_is_not_found(manager):
    assert approve(manager, uuid.uuid4()).status_code == 404


# ---- feedback to the referrer --------------------------------------------------------------


def feedback_body(clock, **overrides):
    body = {"given_at": _iso(clock()), "method": "phone",
            "summary": "Told PC Doe the family will be offered early help support."}
    body.update(overrides)
    return body


def give_feedback(client, contact_id, body):
    return client.post(f"/api/v1/contacts/{contact_id}/feedback", json=body)


def test_a_practitioner_records_feedback_given_to_the_referrer(
    police, practitioner, auditor, clock
):
    contact = post_contact(police)
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
    assert _at(feedback["recorded_at"]) == clock()
    events = auditor.get(f"/api/v1/audit/events?entity_id={feedback['id']}").json["items"]
    assert [e["action"] for e in events] == ["feedback.recorded"]
    assert events[0]["data"]["summary"] == feedback["summary"]


@pytest.mark.parametrize("method", FEEDBACK_METHODS)
def test_feedback_may_be_given_by_each_recognised_method(police, manager, clock, method):
    contact = post_contact(police)
    response = give_feedback(manager, contact["id"], feedback_body(clock, method=method))
    assert response.status_code == 201, response.json
    assert response.json["method"] == method


@pytest.mark.parametrize("method", ["fax", "carrier_pigeon", "", "Phone"])
def test_feedback_by_an_unrecognised_method_is_rejected(police, practitioner, clock, method):
    contact = post_contact(police)
    errors = field_errors(give_feedback(practitioner, contact["id"],
                                        feedback_body(clock, method=method)))
    assert "method" in errors


@pytest.mark.parametrize("missing", ["given_at", "method", "summary"])
def test_feedback_without_each_required_field_is_rejected(police, practitioner, clock, missing):
    contact = post_contact(police)
    body = feedback_body(clock)
    del body[missing]
    assert missing in field_errors(give_feedback(practitioner, contact["id"], body))


def test_feedback_with_a_blank_summary_is_rejected(police, practitioner, clock):
    contact = post_contact(police)
    errors = field_errors(give_feedback(practitioner, contact["id"],
                                        feedback_body(clock, summary="   ")))
    assert "summary" in errors


def test_feedback_given_before_the_contact_was_received_is_rejected(police, practitioner, clock):
    contact = post_contact(police, received_at="2026-11-20T09:00:00Z")
    errors = field_errors(give_feedback(practitioner, contact["id"],
                                        feedback_body(clock, given_at="2026-11-20T08:00:00Z")))
    assert "received_at" in errors["given_at"][0]


def test_feedback_given_in_the_future_is_rejected(police, practitioner, clock):
    contact = post_contact(police)
    errors = field_errors(give_feedback(
        practitioner, contact["id"],
        feedback_body(clock, given_at=_iso(clock() + timedelta(hours=3)))))
    assert "future" in errors["given_at"][0]


def test_feedback_given_at_without_an_offset_is_rejected(police, practitioner, clock):
    contact = post_contact(police)
    errors = field_errors(give_feedback(practitioner, contact["id"],
                                        feedback_body(clock, given_at="2026-11-20T09:30:00")))
    assert "given_at" in errors


def test_feedback_on_an_unknown_contact_is_not_found(practitioner, clock):
    assert give_feedback(practitioner, uuid.uuid4(), feedback_body(clock)).status_code == 404


def test_refused_feedback_appends_no_audit_event(police, practitioner, auditor, api_as, clock):
    contact = post_contact(police)
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


# ---- what the referring agency sees ---------------------------------------------------------

REFERRER_KEYS = {
    "id", "reference", "status", "received_at", "recorded_at", "decision_due_at",
    "source_agency", "source_reference", "referrer", "channel", "children", "concerns",
    "consent", "current_outcome", "feedback",
}


def _a_full_case(police, practitioner, manager, clock):
    """A police contact decided, superseded, approved, consent updated, feedback given."""
    contact = post_contact(police)
    clock.advance(minutes=20)
    overridden = practitioner.post(f"/api/v1/contacts/{contact['id']}/consent", json={
        "status": "overridden", "reason": "Internal: mother's partner is a risk; do not tell."})
    assert overridden.status_code == 201, overridden.json
    first = decided(practitioner, contact["id"], outcome="information_advice")
    clock.advance(minutes=20)
    second = decided(practitioner, contact["id"], outcome="assessment", rationale=OTHER_RATIONALE,
                     supersedes=first["id"],
                     supersede_reason="Internal: the GP's records change the picture.")
    clock.advance(minutes=20)
    approval = approve(manager, second["id"], json={"note": "Internal: manager's sign-off note."})
    assert approval.status_code == 201, approval.json
    feedback = give_feedback(practitioner, contact["id"], feedback_body(
        clock, method="secure_portal", summary="Your contact has led to a social care assessment."))
    assert feedback.status_code == 201, feedback.json
    return contact, second


def _assert_nothing_internal(view):
    text = str(view)
    assert set(view) <= REFERRER_KEYS
    for secret in (RATIONALE, OTHER_RATIONALE, "Internal:", "priya", "mark", "overridden"):
        assert secret not in text
    for name in ("rationale", "consent_history", "recorded_by", "decided_by", "approval",
                 "supersede", "superseded_by", "note", "version"):
        assert name not in text


def test_the_referring_agency_sees_status_current_outcome_decision_time_and_feedback(
    police, practitioner, manager, clock
):
    contact, current = _a_full_case(police, practitioner, manager, clock)
    response = police.get(f"/api/v1/contacts/{contact['id']}")
    assert response.status_code == 200, response.json
    view = response.json
    assert view["status"] == "decided"
    assert view["current_outcome"] == {"outcome": "assessment",
                                       "decided_at": current["decided_at"]}
    assert view["feedback"] == [{"given_at": _iso(clock()), "method": "secure_portal",
                                 "summary": "Your contact has led to a social care assessment."}]
    assert view["consent"]["status"] == "not_sought"  # as the police sent it


def test_the_referring_agency_never_sees_the_rationale_or_anything_internal(
    police, practitioner, manager, clock
):
    contact, _ = _a_full_case(police, practitioner, manager, clock)
    _assert_nothing_internal(police.get(f"/api/v1/contacts/{contact['id']}").json)


def test_the_referring_agencys_list_shows_the_outcome_and_feedback_and_nothing_internal(
    police, practitioner, manager, clock
):
    contact, _ = _a_full_case(police, practitioner, manager, clock)
    listed = police.get("/api/v1/contacts")
    assert listed.status_code == 200, listed.json
    [view] = [item for item in listed.json["items"] if item["id"] == contact["id"]]
    assert view["current_outcome"]["outcome"] == "assessment"
    assert view["feedback"][0]["method"] == "secure_portal"
    _assert_nothing_internal(view)


def test_staff_see_what_the_referring_agency_does_not(police, practitioner, manager, clock):
    contact, _ = _a_full_case(police, practitioner, manager, clock)
    view = practitioner.get(f"/api/v1/contacts/{contact['id']}").json
    assert view["consent"]["status"] == "overridden"
    assert len(view["consent_history"]) == 2
    assert view["recorded_by"] == "wmp-case-system"


def test_another_agency_sees_neither_the_contact_nor_its_outcome(
    police, practitioner, manager, api_as, clock
):
    contact, _ = _a_full_case(police, practitioner, manager, clock)
    school = api_as("agency", agency="oakfield-primary")
    assert school.get(f"/api/v1/contacts/{contact['id']}").status_code == 404
    listed = school.get("/api/v1/contacts").json["items"]
    assert contact["id"] not in [item["id"] for item in listed]
    assert "Your contact has led" not in str(listed)


def test_a_contact_recorded_by_a_practitioner_is_not_shown_to_the_agency_it_names(
    practitioner, police
):
    contact = post_contact(practitioner, source_reference="CALL-1")
    decided(practitioner, contact["id"])
    assert police.get(f"/api/v1/contacts/{contact['id']}").status_code == 404


def test_the_referring_agency_sees_the_child_as_it_sent_it_not_as_others_recorded_it(
    practitioner, police
):
    post_contact(practitioner, source_reference="CALL-1", children=[{
        "given_name": "Amelia-Rose", "family_name": "Hughes-Smith", "date_of_birth": "2019-04-02",
        "sex": "female", "nhs_number": "9434765919", "local_child_id": "LCS-555"}])
    mine = post_contact(police)
    child = police.get(f"/api/v1/contacts/{mine['id']}").json["children"][0]
    assert child["given_name"] == "Amelia"
    assert child["family_name"] == "Hughes"
    assert child.get("local_child_id") in (None, "")


# ---- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role, claims", [
    ("auditor", {}), ("agency", {"agency": "wmp"}), ("admin", {}),
])
def test_only_practitioners_and_managers_record_decisions(
    police, practitioner, auditor, api_as, role, claims
):
    contact = post_contact(police)
    before = audit_length(auditor)
    response = decide(api_as(role, **claims), contact["id"])
    assert response.status_code == 403, response.json
    assert response.json["status"] == 403
    assert audit_length(auditor) == before
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"] == []


@pytest.mark.parametrize("role, claims, status", [
    ("practitioner", {"service": "early_help"}, 200), ("manager", {}, 200), ("auditor", {}, 200),
    ("agency", {"agency": "wmp"}, 403), ("admin", {}, 403),
])
def test_who_may_read_a_contacts_decisions(police, practitioner, api_as, role, claims, status):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"])
    response = api_as(role, **claims).get(f"/api/v1/contacts/{contact['id']}/decisions")
    assert response.status_code == status, response.json
    if status == 200:
        assert [item["id"] for item in response.json["items"]] == [decision["id"]]
        assert response.json["items"][0]["rationale"] == RATIONALE
    else:
        assert RATIONALE not in response.get_data(as_text=True)


@pytest.mark.parametrize("role, claims", [
    ("practitioner", {}), ("auditor", {}), ("agency", {"agency": "wmp"}), ("admin", {}),
])
def test_only_managers_approve_decisions(police, practitioner, auditor, api_as, role, claims):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"])
    response = approve(api_as(role, **claims), decision["id"], json={"note": "Fine by me."})
    assert response.status_code == 403, response.json
    listed = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert listed[0]["approval"] is None
    assert audit_actions(auditor, decision["id"]) == ["decision.recorded"]


@pytest.mark.parametrize("role, claims, status", [
    ("practitioner", {}, 201), ("manager", {}, 201),
    ("auditor", {}, 403), ("agency", {"agency": "wmp"}, 403), ("admin", {}, 403),
])
def test_who_may_record_feedback(police, api_as, clock, role, claims, status):
    contact = post_contact(police)
    response = give_feedback(api_as(role, **claims), contact["id"], feedback_body(clock))
    assert response.status_code == status, response.json


@pytest.mark.parametrize("path", ["/api/v1/contacts/{contact}", "/api/v1/contacts"])
def test_an_admin_may_not_read_contacts_their_outcome_or_feedback(
    police, practitioner, api_as, clock, path
):
    contact = post_contact(police)
    decided(practitioner, contact["id"])
    assert give_feedback(practitioner, contact["id"], feedback_body(clock)).status_code == 201
    response = api_as("admin").get(path.format(contact=contact["id"]))
    assert response.status_code == 403, response.json
    assert contact["id"] not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/contacts/{contact}/decisions"),
    ("GET", "/api/v1/contacts/{contact}/decisions"),
    ("POST", "/api/v1/decisions/{decision}/approval"),
    ("POST", "/api/v1/contacts/{contact}/feedback"),
])
def test_decision_routes_need_a_token(police, practitioner, anonymous, method, path):
    contact = post_contact(police)
    decision = decided(practitioner, contact["id"])
    url = path.format(contact=contact["id"], decision=decision["id"])
    response = anonymous.open(url, method, json={} if method == "POST" else None)
    assert_problem(response, 401)


# ---- real concurrency (PostgreSQL) ----------------------------------------------------------

postgres_only = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="Real concurrency needs PostgreSQL's row locks; SQLite serialises every writer "
           "(set TEST_DATABASE_URL to run it).",
)


@pytest.fixture
def committing_app(fresh_database_url):
    """An app on a database of its own: real commits, real connections, one per thread."""
    app = build_app(fresh_database_url, clock=FakeClock())
    yield app
    app.extensions["db"].engine.dispose()


class Caller:
    def __init__(self, app, role, sub=None, **claims):
        self.sub = sub
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token_for(app, role, sub=sub, **claims)}"}

    def post(self, path, body):
        return self.client.post(path, json=body, headers=self.headers)

    def get(self, path):
        return self.client.get(path, headers=self.headers)


def _all_at_once(calls):
    """Run the calls in threads released together by a barrier; their status codes, in order."""
    barrier = threading.Barrier(len(calls))
    statuses = [None] * len(calls)
    failures = []

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            statuses[index] = call().status_code
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return statuses


@postgres_only
def test_two_managers_approving_one_decision_at_once_get_one_201_and_one_409(committing_app):
    app = committing_app
    police = Caller(app, "agency", agency="wmp")
    practitioner = Caller(app, "practitioner", sub="priya", service="mash")
    managers = [Caller(app, "manager", sub="mark", service="mash"),
                Caller(app, "manager", sub="maya", service="mash")]
    auditor = Caller(app, "auditor", sub="alex")
    for round_ in range(3):
        contact = police.post("/api/v1/contacts", contact_body(source_reference=f"R{round_}"))
        assert contact.status_code == 201, contact.json
        decision = practitioner.post(f"/api/v1/contacts/{contact.json['id']}/decisions",
                                     {"outcome": "nfa", "rationale": RATIONALE})
        assert decision.status_code == 201, decision.json
        url = f"/api/v1/decisions/{decision.json['id']}/approval"
        before = auditor.get("/api/v1/audit/verify").json["length"]
        statuses = _all_at_once([lambda m=m: m.post(url, {"note": f"Agreed by {m.sub}."})
                                 for m in managers])
        assert sorted(statuses) == [201, 409], statuses
        assert auditor.get("/api/v1/audit/verify").json["length"] == before + 1
        events = auditor.get(f"/api/v1/audit/events?entity_id={decision.json['id']}").json
        assert [e["action"] for e in events["items"]] == ["decision.recorded", "decision.approved"]
    assert auditor.get("/api/v1/audit/verify").json["valid"] is True


@postgres_only
def test_two_first_decisions_posted_at_once_on_one_contact_get_one_201_and_one_409(
    committing_app
):
    app = committing_app
    police = Caller(app, "agency", agency="wmp")
    deciders = [Caller(app, "practitioner", sub="priya", service="mash"),
                Caller(app, "manager", sub="mark", service="mash")]
    auditor = Caller(app, "auditor", sub="alex")
    for round_ in range(3):
        contact = police.post("/api/v1/contacts", contact_body(source_reference=f"R{round_}"))
        assert contact.status_code == 201, contact.json
        url = f"/api/v1/contacts/{contact.json['id']}/decisions"
        before = auditor.get("/api/v1/audit/verify").json["length"]
        statuses = _all_at_once([
            lambda d=d, o=o: d.post(url, {"outcome": o, "rationale": RATIONALE})
            for d, o in zip(deciders, ("nfa", "information_advice"), strict=True)])
        assert sorted(statuses) == [201, 409], statuses
        assert auditor.get("/api/v1/audit/verify").json["length"] == before + 1
        items = deciders[0].get(url).json["items"]
        assert len(items) == 1
        assert items[0]["superseded_by"] is None
        read = deciders[0].get(f"/api/v1/contacts/{contact.json['id']}").json
        assert read["status"] == "decided"
        assert read["current_outcome"]["outcome"] == items[0]["outcome"]


def _wait_until_blocked_on_a_lock(engine, contact_id, deadline_seconds=20):
    """Return once another session waits on a row lock (polled, without sleeping)."""
    deadline = monotonic() + deadline_seconds
    with engine.connect() as watcher:
        while monotonic() < deadline:
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE '%FOR UPDATE%'")).scalar()
            watcher.rollback()
            if waiting:
                return
    raise AssertionError(f"no request came to wait on contact {contact_id}'s lock")


@postgres_only
def test_a_decision_waiting_for_the_contacts_lock_judges_consent_as_it_stands_once_granted(
    committing_app
):
    app = committing_app
    police = Caller(app, "agency", agency="wmp")
    practitioner = Caller(app, "practitioner", sub="priya", service="mash")
    contact = police.post("/api/v1/contacts", contact_body(consent=_consent("given")))
    assert contact.status_code == 201, contact.json
    contact_id = contact.json["id"]
    engine = app.extensions["db"].engine
    statuses, bodies = [], []

    def decide_early_help():
        response = practitioner.post(f"/api/v1/contacts/{contact_id}/decisions",
                                     {"outcome": "early_help", "rationale": RATIONALE})
        statuses.append(response.status_code)
        bodies.append(response.json)

    # Another transaction holds the contact and withdraws consent while the decision waits.
    with engine.connect() as other:
        other.execute(text("SELECT id FROM contacts WHERE id = :id FOR UPDATE"),
                      {"id": uuid.UUID(contact_id)})
        worker = threading.Thread(target=decide_early_help)
        worker.start()
        try:
            _wait_until_blocked_on_a_lock(engine, contact_id)
            other.execute(text(
                "UPDATE contacts SET consent_status = 'refused', version = version + 1 "
                "WHERE id = :id"), {"id": uuid.UUID(contact_id)})
        finally:
            other.commit()  # releases the lock, whatever happened above
            worker.join(timeout=60)
    assert statuses == [422], bodies
    assert "refused" in bodies[0]["errors"]["outcome"][0]


# ---- If-Match -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path, body", [
    ("decisions", {"outcome": "nfa", "rationale": "Single verbal argument; child safe with mother."}),
    ("feedback", {"given_at": "2026-11-20T09:30:00Z", "method": "phone",
                  "summary": "Told the referrer the outcome."}),
])
def test_a_write_on_a_contact_honours_if_match(api_as, path, body):
    practitioner = api_as("practitioner")
    contact = practitioner.post("/api/v1/contacts", json=contact_body()).json
    url = f"/api/v1/contacts/{contact['id']}"
    etag = practitioner.get(url).headers["ETag"]
    stale = practitioner.post(f"{url}/{path}", json=body, headers={"If-Match": '"not-the-etag"'})
    assert_problem(stale, 412)
    assert practitioner.get(url).headers["ETag"] == etag  # nothing changed
    current = practitioner.post(f"{url}/{path}", json=body, headers={"If-Match": etag})
    assert current.status_code == 201, current.json
