"""Threshold decisions, through the API: an outcome with its rationale, when it was decided, the
consent it needs, one current decision (superseding), the list of a contact's decisions, and
the audit event of each.

Each rule is shown both ways: accepted when it is met, refused (with the field and the reason)
when it is not. Every write leaves its audit event, a refused write none.
"""

import uuid
from datetime import timedelta

import pytest

from api.vocab import OUTCOMES
from tests.helpers import (
    DECISION_RATIONALE, DROP, OTHER_DECISION_RATIONALE, audit_actions, audit_events, audit_length,
    consent_body, decided, field_errors, iso, post_decision, record_contact, utc,
)


# ---- recording a decision ------------------------------------------------------------------


def test_a_practitioner_records_a_decision_and_the_contact_becomes_decided(
    police, practitioner, clock
):
    contact = record_contact(police)
    response = post_decision(practitioner, contact["id"], outcome="information_advice")
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"/api/v1/contacts/{contact['id']}/decisions")
    decision = response.json
    assert decision["contact_id"] == contact["id"]
    assert decision["outcome"] == "information_advice"
    assert decision["rationale"] == DECISION_RATIONALE
    assert decision["decided_by"] == "priya"
    assert decision["approval"] is None
    assert decision["supersedes"] is None
    assert decision["supersede_reason"] is None
    assert decision["superseded_by"] is None
    read = practitioner.get(f"/api/v1/contacts/{contact['id']}")
    assert read.json["status"] == "decided"
    assert read.json["current_outcome"] == {"outcome": "information_advice",
                                            "decided_at": decision["decided_at"]}


def test_a_contact_awaits_a_decision_until_one_is_recorded(police, practitioner):
    contact = record_contact(police)
    read = practitioner.get(f"/api/v1/contacts/{contact['id']}")
    assert read.json["status"] == "awaiting_decision"
    assert read.json["current_outcome"] is None


def test_a_manager_may_record_a_decision_too(police, api_as):
    contact = record_contact(police)
    response = post_decision(api_as("manager", sub="mo", service="mash"), contact["id"])
    assert response.status_code == 201, response.json
    assert response.json["decided_by"] == "mo"


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_every_outcome_is_accepted_when_consent_is_given(police, practitioner, outcome):
    contact = record_contact(police, consent=consent_body("given"))
    response = post_decision(practitioner, contact["id"], outcome=outcome)
    assert response.status_code == 201, response.json
    assert response.json["outcome"] == outcome


@pytest.mark.parametrize("field, value", [
    pytest.param("outcome", DROP, id="a decision without an outcome is rejected"),
    pytest.param("outcome", "s47", id="an outcome outside the list (s47) is rejected"),
    pytest.param("outcome", "NFA", id="an outcome outside the list (NFA, in capitals) is rejected"),
    pytest.param("outcome", "", id="an empty outcome is rejected"),
    pytest.param("outcome", None, id="a null outcome is rejected"),
    pytest.param("rationale", DROP, id="a decision without a rationale is rejected"),
    pytest.param("rationale", "", id="an empty rationale is rejected"),
    pytest.param("rationale", "   \n\t  ", id="a blank rationale is rejected"),
    pytest.param("rationale", None, id="a null rationale is rejected"),
])
def test_an_outcome_or_rationale_missing_or_not_allowed_is_rejected_naming_it(
    police, practitioner, field, value
):
    contact = record_contact(police)
    errors = field_errors(post_decision(practitioner, contact["id"], **{field: value}))
    assert field in errors


def test_decided_by_comes_from_the_token_and_cannot_be_sent_in_the_body(police, practitioner):
    contact = record_contact(police)
    errors = field_errors(post_decision(practitioner, contact["id"], decided_by="somebody-else"))
    assert "decided_by" in errors
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"] == []


def test_a_decision_on_an_unknown_contact_is_not_found(practitioner):
    response = post_decision(practitioner, uuid.uuid4())
    assert response.status_code == 404, response.json


# ---- decided_at ------------------------------------------------------------------------------


def test_decided_at_defaults_to_now(police, practitioner, clock):
    contact = record_contact(police)
    clock.advance(minutes=45)
    decision = decided(practitioner, contact["id"])
    assert utc(decision["decided_at"]) == clock()
    assert utc(decision["recorded_at"]) == clock()


def test_decided_at_sent_with_an_offset_is_returned_in_utc(police, practitioner, clock):
    contact = record_contact(police, received_at="2026-11-20T08:00:00Z")
    decision = decided(practitioner, contact["id"], decided_at="2026-11-20T09:30:00+01:00")
    assert decision["decided_at"] == "2026-11-20T08:30:00Z"


def test_decided_at_without_an_offset_is_rejected(police, practitioner):
    contact = record_contact(police)
    errors = field_errors(post_decision(practitioner, contact["id"], decided_at="2026-11-20T09:30:00"))
    assert "decided_at" in errors


def test_decided_at_before_the_contact_was_received_is_rejected(police, practitioner):
    contact = record_contact(police, received_at="2026-11-20T09:00:00Z")
    errors = field_errors(post_decision(practitioner, contact["id"], decided_at="2026-11-20T08:59:59Z"))
    assert "received_at" in errors["decided_at"][0]


def test_decided_at_the_moment_the_contact_was_received_is_accepted(police, practitioner):
    contact = record_contact(police, received_at="2026-11-20T09:00:00Z")
    decision = decided(practitioner, contact["id"], decided_at="2026-11-20T09:00:00Z")
    assert decision["decided_at"] == "2026-11-20T09:00:00Z"


def test_decided_at_in_the_future_is_rejected(police, practitioner, clock):
    contact = record_contact(police)
    errors = field_errors(post_decision(practitioner, contact["id"],
                                        decided_at=iso(clock() + timedelta(hours=1))))
    assert "future" in errors["decided_at"][0]


def test_decided_at_ahead_of_now_by_no_more_than_the_allowed_clock_skew_is_accepted(
    app, police, practitioner, clock
):
    contact = record_contact(police)
    ahead = clock() + timedelta(seconds=app.config["CLOCK_SKEW_SECONDS"])
    decision = decided(practitioner, contact["id"], decided_at=iso(ahead))
    assert utc(decision["decided_at"]) == ahead


def test_decided_at_a_second_beyond_the_allowed_clock_skew_is_rejected(
    app, police, practitioner, clock
):
    contact = record_contact(police)
    beyond = clock() + timedelta(seconds=app.config["CLOCK_SKEW_SECONDS"] + 1)
    errors = field_errors(post_decision(practitioner, contact["id"], decided_at=iso(beyond)))
    assert "future" in errors["decided_at"][0]


# ---- the rationale --------------------------------------------------------------------------


def test_a_rationale_shorter_than_20_characters_once_trimmed_is_rejected(police, practitioner):
    contact = record_contact(police)
    nineteen = "Child safe with mum"
    assert len(nineteen) == 19
    errors = field_errors(post_decision(practitioner, contact["id"], rationale=f"   {nineteen}      "))
    assert "20 characters" in errors["rationale"][0]


def test_a_rationale_of_20_characters_is_accepted_and_kept_trimmed(police, practitioner):
    contact = record_contact(police)
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
    contact = record_contact(police)
    errors = field_errors(post_decision(practitioner, contact["id"], rationale=rationale))
    assert "placeholder" in errors["rationale"][0]


def test_a_real_rationale_that_mentions_nfa_and_notes_is_accepted(police, practitioner):
    contact = record_contact(police)
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
    contact = record_contact(police, consent=consent_body(consent))
    response = post_decision(practitioner, contact["id"], outcome=outcome)
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
    contact = record_contact(police, consent=consent_body("not_sought"))
    assert post_decision(practitioner, contact["id"], outcome="early_help").status_code == 422
    consent = practitioner.post(f"/api/v1/contacts/{contact['id']}/consent",
                                json=consent_body("given"))
    assert consent.status_code == 201, consent.json
    assert post_decision(practitioner, contact["id"], outcome="early_help").status_code == 201


def test_a_superseding_decision_is_held_to_the_consent_rule_too(police, practitioner, clock):
    contact = record_contact(police, consent=consent_body("refused"))
    first = decided(practitioner, contact["id"], outcome="nfa")
    clock.advance(minutes=5)
    response = post_decision(practitioner, contact["id"], outcome="early_help", supersedes=first["id"],
                             supersede_reason="The family now asks for help with the children's routines.")
    assert "outcome" in field_errors(response)


# ---- one current decision: superseding ---------------------------------------------------


def test_a_second_decision_that_does_not_name_the_current_one_is_a_conflict(
    police, practitioner, clock
):
    contact = record_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    errors = field_errors(post_decision(practitioner, contact["id"], outcome="universal_services"), 409)
    assert "supersedes" in errors
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert [item["id"] for item in items] == [first["id"]]
    assert items[0]["superseded_by"] is None


def test_a_decision_that_names_the_current_one_with_a_reason_supersedes_it(
    police, practitioner, clock
):
    contact = record_contact(police, consent=consent_body("overridden"))
    first = decided(practitioner, contact["id"], outcome="information_advice")
    clock.advance(hours=2)
    reason = "  The health visitor's further information raised the level of concern. "
    second = decided(practitioner, contact["id"], outcome="assessment", rationale=OTHER_DECISION_RATIONALE,
                     supersedes=first["id"], supersede_reason=reason)
    assert second["supersedes"] == first["id"]
    assert second["supersede_reason"] == reason.strip()
    assert second["superseded_by"] is None
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert [item["id"] for item in items] == [first["id"], second["id"]]
    assert items[0]["superseded_by"] == second["id"]
    assert items[0]["outcome"] == "information_advice"
    assert items[0]["rationale"] == DECISION_RATIONALE
    read = practitioner.get(f"/api/v1/contacts/{contact['id']}").json
    assert read["status"] == "decided"
    assert read["current_outcome"]["outcome"] == "assessment"


@pytest.mark.parametrize("reason", [
    pytest.param(DROP, id="superseding without a reason is rejected"),
    pytest.param("   ", id="superseding with a blank reason is rejected"),
])
def test_superseding_without_a_real_reason_is_rejected(police, practitioner, clock, reason):
    contact = record_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    reason = {} if reason is DROP else {"supersede_reason": reason}
    response = post_decision(practitioner, contact["id"], outcome="universal_services",
                             supersedes=first["id"], **reason)
    assert "supersede_reason" in field_errors(response)
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert len(items) == 1 and items[0]["superseded_by"] is None


def test_superseding_a_decision_that_is_no_longer_current_is_a_conflict(
    police, practitioner, clock
):
    contact = record_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    second = decided(practitioner, contact["id"], outcome="universal_services",
                     supersedes=first["id"], supersede_reason="School shared new information.")
    clock.advance(minutes=5)
    response = post_decision(practitioner, contact["id"], outcome="information_advice",
                             supersedes=first["id"], supersede_reason="Second thoughts on the first.")
    assert "supersedes" in field_errors(response, 409)
    third = decided(practitioner, contact["id"], outcome="information_advice",
                    supersedes=second["id"], supersede_reason="Family asked only for advice.")
    items = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert [i["superseded_by"] for i in items] == [second["id"], third["id"], None]


def test_a_first_decision_that_claims_to_supersede_something_is_a_conflict(police, practitioner):
    contact = record_contact(police)
    response = post_decision(practitioner, contact["id"], supersedes=str(uuid.uuid4()),
                             supersede_reason="There is nothing to supersede here.")
    assert "supersedes" in field_errors(response, 409)
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"] == []


def test_a_decision_cannot_supersede_another_contacts_decision(police, practitioner, clock):
    contact = record_contact(police)
    other = record_contact(police, source_reference="PPN-2026-0099")
    decided(practitioner, contact["id"])
    elsewhere = decided(practitioner, other["id"])
    clock.advance(minutes=5)
    response = post_decision(practitioner, contact["id"], supersedes=elsewhere["id"],
                             supersede_reason="Wrong contact's decision named on purpose.")
    assert "supersedes" in field_errors(response, 409)


def test_supersedes_that_is_not_an_id_is_rejected(police, practitioner):
    contact = record_contact(police)
    errors = field_errors(post_decision(practitioner, contact["id"], supersedes="the last one",
                                        supersede_reason="A reason that would otherwise do."))
    assert "supersedes" in errors


def test_a_supersede_reason_without_supersedes_is_rejected(police, practitioner):
    contact = record_contact(police)
    response = post_decision(practitioner, contact["id"],
                             supersede_reason="A reason for superseding nothing at all.")
    assert "supersede_reason" in field_errors(response)
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"] == []


# ---- listing decisions ---------------------------------------------------------------------


def test_the_decisions_list_is_empty_for_a_contact_not_yet_decided(police, practitioner):
    contact = record_contact(police)
    response = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions")
    assert response.status_code == 200
    assert response.json == {"items": []}


def test_the_decisions_list_shows_every_decision_oldest_first_with_approval(
    police, practitioner, manager, clock
):
    contact = record_contact(police)
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
    contact = record_contact(police)
    decision = decided(practitioner, contact["id"], outcome="nfa")
    events = auditor.get(f"/api/v1/audit/events?entity_id={decision['id']}").json["items"]
    assert [e["action"] for e in events] == ["decision.recorded"]
    assert events[0]["entity_type"] == "decision"
    assert events[0]["actor"]["sub"] == "priya"
    assert events[0]["data"]["outcome"] == "nfa"
    assert events[0]["data"]["rationale"] == DECISION_RATIONALE
    assert events[0]["data"]["contact_id"] == contact["id"]
    # The contact changed too (awaiting_decision -> decided): its own event holds its new state.
    assert audit_events(auditor, contact["id"])[-1] == (
        "contact.decided", {"status": "decided", "decision_id": decision["id"]})


def test_a_superseding_decision_records_what_it_supersedes_in_the_audit_trail(
    police, practitioner, auditor, clock
):
    contact = record_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    second = decided(practitioner, contact["id"], outcome="universal_services",
                     supersedes=first["id"], supersede_reason="School raised new concerns.")
    events = auditor.get(f"/api/v1/audit/events?entity_id={second['id']}").json["items"]
    assert [e["action"] for e in events] == ["decision.recorded"]
    assert events[0]["data"]["supersedes_id"] == first["id"]
    assert events[0]["data"]["supersede_reason"] == "School raised new concerns."
    # The decision it replaced changed too, and the contact did not (it was decided already).
    recorded, superseded = audit_events(auditor, first["id"])
    assert recorded[0] == "decision.recorded"
    assert superseded == ("decision.superseded", {"superseded_by": second["id"]})
    assert audit_actions(auditor, contact["id"]).count("contact.decided") == 1


def test_refused_decisions_append_no_audit_event(police, practitioner, auditor, api_as, clock):
    contact = record_contact(police, consent=consent_body("refused"))
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    before = audit_length(auditor)
    cid = contact["id"]
    refusals = [
        post_decision(practitioner, cid, rationale="See notes, see notes, see notes."),
        post_decision(practitioner, cid, outcome="early_help", supersedes=first["id"],
                      supersede_reason="Family asks for help."),
        post_decision(practitioner, cid, outcome="universal_services"),
        post_decision(practitioner, cid, supersedes=first["id"]),
        post_decision(practitioner, cid, decided_at=iso(clock() + timedelta(days=1))),
        post_decision(api_as("auditor"), cid),
        post_decision(api_as("agency", agency="wmp"), cid),
    ]
    assert [r.status_code for r in refusals] == [422, 422, 409, 422, 422, 403, 403]
    assert audit_length(auditor) == before
    assert audit_actions(auditor, first["id"]) == ["decision.recorded"]


def test_a_decision_posted_twice_with_one_idempotency_key_is_recorded_once(
    police, practitioner, auditor
):
    contact = record_contact(police)
    url = f"/api/v1/contacts/{contact['id']}/decisions"
    body = {"outcome": "nfa", "rationale": DECISION_RATIONALE}
    headers = {"Idempotency-Key": "decision-1"}
    first = practitioner.post(url, json=body, headers=headers)
    again = practitioner.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(practitioner.get(url).json["items"]) == 1
    assert audit_actions(auditor, first.json["id"]) == ["decision.recorded"]
