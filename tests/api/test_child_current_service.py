"""A child's current service (GET /api/v1/children/{id}), derived from its history: the current
decisions of every contact about it and the accepted step-ups and step-downs, the latest wins;
who may read a child."""

import uuid
from datetime import timedelta

import pytest

from tests.helpers import (
    assert_problem, contact_about_a_child, current_service, decide, iso, new_nhs_number,
    open_child, requested, respond, step_down, step_up,
)


@pytest.mark.parametrize("outcome, service", [
    ("early_help", "early_help"), ("assessment", "social_care"),
    ("strategy_discussion", "social_care"), ("existing_case", "social_care"),
    ("nfa", None), ("information_advice", None), ("universal_services", None),
])
def test_a_childs_current_service_follows_the_current_decision(staff, clock, outcome, service):
    contact = contact_about_a_child(staff, clock)
    child_id = contact["children"][0]["id"]
    assert current_service(staff.auditor, child_id) is None
    decide(staff.mash, contact["id"], outcome)
    assert current_service(staff.auditor, child_id) == service


@pytest.mark.parametrize("first, then, service", [
    ("early_help", "nfa", None), ("nfa", "existing_case", "social_care"),
    ("assessment", "early_help", "early_help"),
])
def test_a_superseded_decision_no_longer_sets_the_service(staff, clock, first, then, service):
    contact = contact_about_a_child(staff, clock)
    earlier = decide(staff.mash, contact["id"], first)
    clock.advance(minutes=30)
    decide(staff.mash, contact["id"], then, supersedes=earlier["id"],
           supersede_reason="New information from the school changes the picture.")
    assert current_service(staff.auditor, contact["children"][0]["id"]) == service


def test_a_superseding_decision_dated_before_the_one_it_replaces_still_sets_the_service(
        staff, clock):
    contact = contact_about_a_child(staff, clock)
    wrong = decide(staff.mash, contact["id"], "early_help")
    decide(staff.mash, contact["id"], "nfa", supersedes=wrong["id"],
           decided_at=iso(clock() - timedelta(minutes=30)),
           supersede_reason="Recorded in error: the decision taken at the time was no further action.")
    assert current_service(staff.auditor, contact["children"][0]["id"]) is None


@pytest.mark.parametrize("consent, outcome", [
    ({"status": "not_sought", "reason": "Police protection notification; risk if sought."}, "early_help"),
    ({"status": "refused", "reason": "Mother declined any involvement."}, "early_help"),
    ({"status": "overridden", "reason": "Risk of significant harm."}, "early_help"),
    ({"status": "not_sought", "reason": "Police protection notification; risk if sought."}, "assessment"),
    ({"status": "refused", "reason": "Mother declined any involvement."}, "assessment"),
])
def test_without_the_consent_a_decision_needs_the_child_is_not_opened_to_a_service(
        staff, clock, consent, outcome):
    contact = contact_about_a_child(staff, clock, consent=consent)
    child_id = contact["children"][0]["id"]
    refused = staff.mash.post(f"/api/v1/contacts/{contact['id']}/decisions", json={
        "outcome": outcome, "rationale": "Threshold reasoning recorded in full for this child."})
    assert_problem(refused, 422, "outcome")
    assert current_service(staff.auditor, child_id) is None
    assert_problem(step_up(staff.eh, child_id), 422, "child_id")


@pytest.mark.parametrize("consent, outcome, service", [
    ({"status": "given", "given_by": "Mother"}, "early_help", "early_help"),
    ({"status": "given", "given_by": "Mother"}, "assessment", "social_care"),
    ({"status": "overridden", "reason": "Risk of significant harm."}, "assessment", "social_care"),
])
def test_with_the_consent_a_decision_needs_the_child_is_opened_to_its_service(
        staff, clock, consent, outcome, service):
    contact = contact_about_a_child(staff, clock, consent=consent)
    decide(staff.mash, contact["id"], outcome)
    assert current_service(staff.auditor, contact["children"][0]["id"]) == service


def test_a_pending_request_does_not_move_the_child(staff, clock):
    child_id = open_child(staff, clock, "social_care")
    requested(step_down(staff.sc, child_id))
    assert current_service(staff.auditor, child_id) == "social_care"


def test_the_latest_of_accepted_transitions_and_decisions_across_contacts_sets_the_service(
        staff, clock):
    nhs_number = new_nhs_number()
    child_id = open_child(staff, clock, "early_help", nhs_number=nhs_number)
    assert current_service(staff.auditor, child_id) == "early_help"

    up = requested(step_up(staff.eh, child_id))
    clock.advance(hours=2)
    assert respond(staff.sc_manager, up["id"]).status_code == 201
    accepted_at = clock()
    assert current_service(staff.auditor, child_id) == "social_care"

    # A second contact about the same child, its decision backdated to before the acceptance:
    # the acceptance is still the latest event.
    clock.advance(hours=1)
    second = contact_about_a_child(staff, clock, nhs_number, received_at=accepted_at - timedelta(hours=3))
    assert second["children"][0]["id"] == child_id
    backdated = decide(staff.mash, second["id"], "nfa", decided_at=iso(accepted_at - timedelta(minutes=5)))
    assert current_service(staff.auditor, child_id) == "social_care"

    # Superseding it with a decision made now: the decision is the latest event.
    clock.advance(minutes=10)
    decide(staff.mash, second["id"], "nfa", supersedes=backdated["id"],
           supersede_reason="Decision time corrected: made after the step-up was accepted.")
    assert current_service(staff.auditor, child_id) is None

    clock.advance(days=1)
    third = contact_about_a_child(staff, clock, nhs_number)
    decide(staff.mash, third["id"], "existing_case")
    assert current_service(staff.auditor, child_id) == "social_care"
    down = requested(step_down(staff.sc, child_id))
    clock.advance(hours=1)
    assert respond(staff.eh_manager, down["id"]).status_code == 201
    assert current_service(staff.auditor, child_id) == "early_help"


@pytest.mark.parametrize("outcome, service", [("nfa", None), ("early_help", "early_help")])
def test_a_decision_dated_at_the_instant_a_transition_was_accepted_sets_the_service(
        staff, clock, outcome, service):
    """A tie has one answer, the decision's (whatever the two services are, including none)."""
    nhs_number = new_nhs_number()
    child_id = open_child(staff, clock, "early_help", nhs_number=nhs_number)
    up = requested(step_up(staff.eh, child_id))
    clock.advance(hours=2)
    assert respond(staff.sc_manager, up["id"]).status_code == 201
    accepted_at = clock()
    clock.advance(minutes=10)
    contact = contact_about_a_child(staff, clock, nhs_number, received_at=accepted_at - timedelta(hours=1))
    assert contact["children"][0]["id"] == child_id
    decide(staff.mash, contact["id"], outcome, decided_at=iso(accepted_at))
    assert current_service(staff.auditor, child_id) == service


@pytest.mark.parametrize("who", ["mash", "eh", "sc", "mash_manager", "eh_manager", "sc_manager",
                                 "auditor"])
def test_practitioners_managers_and_auditors_read_a_child(staff, clock, who):
    child_id = open_child(staff, clock, "early_help")
    read = getattr(staff, who).get(f"/api/v1/children/{child_id}")
    assert read.status_code == 200, read.json
    assert read.json["id"] == child_id
    assert read.json["current_service"] == "early_help"
    assert len(read.json["contacts"]) == 1


@pytest.mark.parametrize("who, status", [("agency", 403), ("admin", 403), ("anonymous", 401)])
def test_agencies_admins_and_strangers_may_not_read_a_child(staff, clock, anonymous, who, status):
    child_id = open_child(staff, clock, "early_help")
    reader = anonymous if who == "anonymous" else getattr(staff, who)
    assert_problem(reader.get(f"/api/v1/children/{child_id}"), status)


def test_an_unknown_child_is_not_found(staff):
    assert_problem(staff.auditor.get(f"/api/v1/children/{uuid.uuid4()}"), 404)
