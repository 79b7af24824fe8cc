"""Step-up and step-down requests: who may ask, for which child, with what rationale (and plan,
for a step-down), one open request per child, backdated but never in the future."""

import uuid
from datetime import timedelta

import pytest

from api.caller import Actor
from api.db import session
from api.domain.transitions import request_transition
from api.errors import RuleViolation
from api.models import Transition
from tests.helpers import (
    DROP, NOT_A_RATIONALE, PLAN, STEP_DOWN_RATIONALE, STEP_UP_RATIONALE, assert_problem,
    audit_length, contact_about_a_child, iso, listed_transitions, open_child, requested, respond,
    step_down, step_up, transition_body, transition_events, withdraw,
)


def test_an_early_help_practitioner_steps_up_a_child_open_to_early_help(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    created = step_up(staff.eh, child_id, rationale=f"  {STEP_UP_RATIONALE}  ")
    assert created.status_code == 201, created.json
    body = created.json
    assert body["child_id"] == child_id
    assert (body["direction"], body["from_service"], body["to_service"]) == (
        "step_up", "early_help", "social_care")
    assert body["status"] == "requested"
    assert body["rationale"] == STEP_UP_RATIONALE  # trimmed
    assert body["requested_by"] == "erin"
    assert body["requested_at"] == iso(clock())
    assert body["response"] is None
    assert body["plan"] is None
    assert body["reference"].startswith("T-2026-")
    assert created.headers["Location"].endswith(f"/api/v1/transitions/{body['id']}")
    read = staff.auditor.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json == body


def test_a_social_care_practitioner_steps_down_a_child_open_to_social_care_with_a_plan(staff, clock):
    child_id = open_child(staff, clock, "social_care")
    created = step_down(staff.sc, child_id)
    assert created.status_code == 201, created.json
    assert (created.json["from_service"], created.json["to_service"]) == ("social_care", "early_help")
    assert created.json["plan"] == PLAN
    assert created.json["status"] == "requested"


@pytest.mark.parametrize("role, service", [
    ("practitioner", "early_help"), ("practitioner", "social_care"), ("practitioner", "mash"),
    ("manager", "early_help"), ("manager", "social_care"), ("manager", "mash"),
])
def test_practitioners_and_managers_of_any_service_may_request_a_transition(
        staff, clock, api_as, role, service):
    child_id = open_child(staff, clock, "early_help")
    created = step_up(api_as(role, sub=f"{role}-{service}", service=service), child_id)
    assert created.status_code == 201, created.json
    assert created.json["requested_by"] == f"{role}-{service}"


def test_a_request_keeps_the_requesters_role_and_service(staff, clock, api_as):
    child_id = open_child(staff, clock, "early_help")
    made = requested(step_up(api_as("manager", sub="mo", service="mash"), child_id))
    kept = session.get(Transition, uuid.UUID(made["id"]))
    assert (kept.requested_by_sub, kept.requested_by_role, kept.requested_by_service) == (
        "mo", "manager", "mash")


@pytest.mark.parametrize("who, status", [("auditor", 403), ("agency", 403), ("admin", 403)])
def test_auditors_agencies_and_admins_may_not_request_a_transition(staff, clock, who, status):
    child_id = open_child(staff, clock, "early_help")
    before = audit_length(staff.auditor)
    assert_problem(step_up(getattr(staff, who), child_id), status)
    assert listed_transitions(staff.auditor) == []
    assert audit_length(staff.auditor) == before


def test_a_request_without_a_token_is_unauthorised(staff, clock, anonymous):
    child_id = open_child(staff, clock, "early_help")
    assert_problem(step_up(anonymous, child_id), 401)


@pytest.mark.parametrize("service", ["social_care", None])
def test_a_step_up_of_a_child_not_open_to_early_help_is_rejected_naming_child_id(staff, clock, service):
    child_id = open_child(staff, clock, service)
    refused = step_up(staff.eh, child_id)
    assert_problem(refused, 422, "child_id")
    assert "early help" in refused.json["errors"]["child_id"][0]


@pytest.mark.parametrize("service", ["early_help", None])
def test_a_step_down_of_a_child_not_open_to_social_care_is_rejected_naming_child_id(
        staff, clock, service):
    child_id = open_child(staff, clock, service)
    refused = step_down(staff.sc, child_id)
    assert_problem(refused, 422, "child_id")
    assert "social care" in refused.json["errors"]["child_id"][0]


def test_a_child_with_no_decision_at_all_cannot_be_stepped_up_or_down(staff, clock):
    child_id = contact_about_a_child(staff, clock)["children"][0]["id"]
    assert_problem(step_up(staff.eh, child_id), 422, "child_id")
    assert_problem(step_down(staff.sc, child_id), 422, "child_id")


def test_a_request_for_an_unknown_child_is_rejected_naming_child_id(staff):
    assert_problem(step_up(staff.eh, str(uuid.uuid4())), 422, "child_id")


@pytest.mark.parametrize("direction", ["sideways", "", None])
def test_a_request_must_be_a_step_up_or_a_step_down(staff, clock, direction):
    child_id = open_child(staff, clock, "early_help")
    body = {**transition_body(child_id, "step_up"), "direction": direction}
    assert_problem(staff.eh.post("/api/v1/transitions", json=body), 422, "direction")




@pytest.mark.parametrize("rationale", NOT_A_RATIONALE)
def test_a_step_up_without_a_real_rationale_is_rejected(staff, clock, rationale):
    child_id = open_child(staff, clock, "early_help")
    before = audit_length(staff.auditor)
    assert_problem(step_up(staff.eh, child_id, rationale=rationale), 422, "rationale")
    assert listed_transitions(staff.auditor) == []
    assert audit_length(staff.auditor) == before


@pytest.mark.parametrize("rationale", NOT_A_RATIONALE)
def test_a_step_down_without_a_real_rationale_is_rejected(staff, clock, rationale):
    child_id = open_child(staff, clock, "social_care")
    assert_problem(step_down(staff.sc, child_id, rationale=rationale), 422, "rationale")
    assert listed_transitions(staff.auditor) == []


def test_a_rationale_of_exactly_twenty_characters_is_enough(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    rationale = "Missing twice; risk."
    assert len(rationale) == 20
    created = step_up(staff.eh, child_id, rationale=f"   {rationale}   ")
    assert created.status_code == 201, created.json
    assert created.json["rationale"] == rationale


@pytest.mark.parametrize("plan, field", [
    pytest.param(DROP, "plan", id="no plan"),
    pytest.param(None, "plan", id="null plan"),
    pytest.param({}, "plan.summary", id="empty plan"),
    pytest.param({"expected_outcomes": ["Attendance above 95%"]}, "plan.summary", id="no summary"),
    pytest.param({"summary": "   ", "expected_outcomes": ["Attendance above 95%"]}, "plan.summary",
                 id="blank summary"),
    pytest.param({"summary": "Weekly family support"}, "plan.expected_outcomes", id="no outcomes"),
    pytest.param({"summary": "Weekly family support", "expected_outcomes": []},
                 "plan.expected_outcomes", id="empty outcomes"),
    pytest.param({"summary": "Weekly family support", "expected_outcomes": None},
                 "plan.expected_outcomes", id="null outcomes"),
    pytest.param({"summary": "Weekly family support", "expected_outcomes": ["  "]},
                 "plan.expected_outcomes[0]", id="blank outcome"),
])
def test_a_step_down_without_a_plan_with_a_summary_and_expected_outcomes_is_rejected(
        staff, clock, plan, field):
    child_id = open_child(staff, clock, "social_care")
    before = audit_length(staff.auditor)
    assert_problem(step_down(staff.sc, child_id, plan=plan), 422, field)
    assert listed_transitions(staff.auditor) == []
    assert audit_length(staff.auditor) == before


@pytest.mark.parametrize("outcomes", [DROP, [], None])
def test_the_rule_itself_refuses_a_step_down_plan_without_expected_outcomes(staff, clock, outcomes):
    """Below the schema too (which refuses them first over HTTP): the rule names the field."""
    child_id = open_child(staff, clock, "social_care")
    plan = {"summary": "Weekly family support"}
    if outcomes is not DROP:
        plan["expected_outcomes"] = outcomes
    with pytest.raises(RuleViolation) as refused:
        request_transition(Actor(sub="sam", role="practitioner", service="social_care"), {
            "child_id": uuid.UUID(child_id), "direction": "step_down",
            "rationale": STEP_DOWN_RATIONALE, "plan": plan})
    assert list(refused.value.errors) == ["plan.expected_outcomes"]
    assert listed_transitions(staff.auditor) == []


def test_a_step_down_with_one_expected_outcome_is_enough(staff, clock):
    child_id = open_child(staff, clock, "social_care")
    plan = {"summary": "  Weekly family support  ", "expected_outcomes": ["  Attendance above 95%  "]}
    created = step_down(staff.sc, child_id, plan=plan)
    assert created.status_code == 201, created.json
    assert created.json["plan"] == {"summary": "Weekly family support",
                                    "expected_outcomes": ["Attendance above 95%"]}


def test_a_step_up_needs_no_plan(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    created = step_up(staff.eh, child_id)
    assert created.status_code == 201, created.json
    assert created.json["plan"] is None


def test_a_second_open_request_for_the_same_child_is_a_conflict(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    first = requested(step_up(staff.eh, child_id))
    before = audit_length(staff.auditor)
    second = step_up(staff.eh_other, child_id)
    assert_problem(second, 409, "child_id")
    assert first["id"] in second.json["detail"]
    assert listed_transitions(staff.auditor) == [first["id"]]
    assert audit_length(staff.auditor) == before


def test_a_retried_request_with_the_same_idempotency_key_replays_instead_of_conflicting(
        staff, clock):
    child_id = open_child(staff, clock, "early_help")
    body = transition_body(child_id, "step_up")
    key = {"Idempotency-Key": "step-up-amelia-1"}
    first = staff.eh.post("/api/v1/transitions", json=body, headers=key)
    assert first.status_code == 201, first.json
    retry = staff.eh.post("/api/v1/transitions", json=body, headers=key)
    assert retry.status_code == 201, retry.json
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json["id"] == first.json["id"]
    assert_problem(staff.eh.post("/api/v1/transitions", json={**body, "rationale": STEP_DOWN_RATIONALE},
                                 headers=key), 422, "Idempotency-Key")
    assert listed_transitions(staff.auditor) == [first.json["id"]]
    assert transition_events(staff.auditor, first.json["id"]) == [("transition.requested", "erin")]


def test_an_open_request_for_one_child_does_not_block_another_child(staff, clock):
    first = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    second = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert set(listed_transitions(staff.auditor, "&status=requested")) == {first["id"], second["id"]}


@pytest.mark.parametrize("close", ["withdrawn", "refused"])
def test_a_new_request_may_follow_one_that_was_closed(staff, clock, close):
    child_id = open_child(staff, clock, "early_help")
    first = requested(step_up(staff.eh, child_id))
    clock.advance(minutes=10)
    if close == "withdrawn":
        assert withdraw(staff.eh, first["id"]).status_code == 201
    else:
        assert respond(staff.sc_manager, first["id"], "refused").status_code == 201
    clock.advance(minutes=10)
    again = step_up(staff.eh, child_id)
    assert again.status_code == 201, again.json
    assert again.json["id"] != first["id"]


def test_after_an_accepted_step_up_the_child_can_be_stepped_down_but_not_up(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    up = requested(step_up(staff.eh, child_id))
    clock.advance(hours=1)
    assert respond(staff.sc_manager, up["id"]).status_code == 201
    clock.advance(hours=1)
    assert_problem(step_up(staff.eh, child_id), 422, "child_id")
    assert step_down(staff.sc, child_id).status_code == 201


def test_a_request_may_be_backdated_but_not_dated_in_the_future(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    assert_problem(step_up(staff.eh, child_id, requested_at=iso(clock() + timedelta(minutes=10))),
                   422, "requested_at")
    assert_problem(step_up(staff.eh, child_id, requested_at="2026-11-19T09:00:00"), 422,
                   "requested_at")
    backdated = step_up(staff.eh, child_id, requested_at="2026-11-19T09:00:00+00:00")
    assert backdated.status_code == 201, backdated.json
    assert backdated.json["requested_at"] == "2026-11-19T09:00:00Z"
    assert backdated.json["response_due_at"] == "2026-11-26T23:59:59.999999Z"
