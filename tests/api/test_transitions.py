"""Step-up and step-down requests: who may ask, who may answer, the deadlines, and the races."""

import itertools
import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import session
from api.models import Transition
from api.vocab import nhs_check_digit
from tests.helpers import ApiClient, assert_problem, build_app, contact_body, make_staff, token_for

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="Needs concurrent transactions on PostgreSQL (TEST_DATABASE_URL): SQLite serialises "
    "every writer, so there is no race to lose.",
)

STEP_UP_RATIONALE = "Two missing episodes this month; the early help worker fears exploitation."
STEP_DOWN_RATIONALE = "Enquiry concluded; risks reduced; the family is engaging with support."
REFUSAL_RATIONALE = "Single episode, home the same night: s17 threshold not met; continue early help."
PLAN = {"summary": "Family support worker visits weekly",
        "expected_outcomes": ["School attendance above 95%", "Mother completes a parenting course"]}
OMIT = object()
DEFAULT = object()

_nhs_numbers = itertools.count(400_000_000)


def new_nhs_number():
    """A fresh NHS number that passes the modulus 11 check."""
    while True:
        base = str(next(_nhs_numbers))
        check = nhs_check_digit(base)
        if check is not None:
            return base + str(check)


def iso(instant):
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(value):
    return datetime.fromisoformat(value)


def record_contact(staff, clock, nhs_number=None, consent=None, received_at=None):
    body = contact_body(
        received_at=iso(received_at or clock() - timedelta(hours=1)),
        children=[{"given_name": "Amelia", "family_name": "Hughes", "date_of_birth": "2019-04-02",
                   "sex": "female", "nhs_number": nhs_number or new_nhs_number()}],
        consent=consent or {"status": "given", "given_by": "Mother"},
    )
    created = staff.mash.post("/api/v1/contacts", json=body)
    assert created.status_code == 201, created.json
    return created.json


def decide(staff, contact_id, outcome, **extra):
    decision = staff.mash.post(f"/api/v1/contacts/{contact_id}/decisions", json={
        "outcome": outcome, "rationale": f"Threshold reasoning recorded in full for {outcome}.",
        **extra})
    assert decision.status_code == 201, decision.json
    return decision.json


SERVICE_OUTCOME = {"early_help": "early_help", "social_care": "assessment", None: "information_advice"}


def open_child(staff, clock, service, nhs_number=None):
    """A child open to `service` (early_help, social_care or None) through a contact and decision."""
    contact = record_contact(staff, clock, nhs_number)
    decide(staff, contact["id"], SERVICE_OUTCOME[service])
    clock.advance(minutes=5)  # later events never tie with the decision
    return contact["children"][0]["id"]


def transition_body(child_id, direction, **overrides):
    body = {"child_id": child_id, "direction": direction,
            "rationale": STEP_UP_RATIONALE if direction == "step_up" else STEP_DOWN_RATIONALE}
    if direction == "step_down":
        body["plan"] = PLAN
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not OMIT}


def step_up(client, child_id, **overrides):
    return client.post("/api/v1/transitions", json=transition_body(child_id, "step_up", **overrides))


def step_down(client, child_id, **overrides):
    return client.post("/api/v1/transitions", json=transition_body(child_id, "step_down", **overrides))


def requested(response):
    assert response.status_code == 201, response.json
    return response.json


def respond(client, transition_id, decision="accepted", rationale=DEFAULT):
    """Answer a request; a refusal gets a good rationale unless the test gives one (or OMIT)."""
    body = {"decision": decision}
    if rationale is DEFAULT:
        rationale = REFUSAL_RATIONALE if decision == "refused" else OMIT
    if rationale is not OMIT:
        body["rationale"] = rationale
    return client.post(f"/api/v1/transitions/{transition_id}/response", json=body)


def withdraw(client, transition_id, **body):
    return client.post(f"/api/v1/transitions/{transition_id}/withdrawal", json=body)


def current_service(client, child_id):
    child = client.get(f"/api/v1/children/{child_id}")
    assert child.status_code == 200, child.json
    return child.json["current_service"]


def audit_length(auditor):
    return auditor.get("/api/v1/audit/verify").json["length"]


def transition_events(auditor, transition_id):
    page = auditor.get(f"/api/v1/audit/events?entity_type=transition&entity_id={transition_id}")
    assert page.status_code == 200, page.json
    return [(event["action"], event["actor"]["sub"]) for event in page.json["items"]]


def listed(client, query=""):
    page = client.get(f"/api/v1/transitions?limit=500{query}")
    assert page.status_code == 200, page.json
    return [item["id"] for item in page.json["items"]]


# ---- requesting ---------------------------------------------------------------------------


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


@pytest.mark.parametrize("who, status", [("auditor", 403), ("agency", 403), ("admin", 403)])
def test_auditors_agencies_and_admins_may_not_request_a_transition(staff, clock, who, status):
    child_id = open_child(staff, clock, "early_help")
    before = audit_length(staff.auditor)
    assert_problem(step_up(getattr(staff, who), child_id), status)
    assert listed(staff.auditor) == []
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
    child_id = record_contact(staff, clock)["children"][0]["id"]
    assert_problem(step_up(staff.eh, child_id), 422, "child_id")
    assert_problem(step_down(staff.sc, child_id), 422, "child_id")


def test_a_request_for_an_unknown_child_is_rejected_naming_child_id(staff):
    assert_problem(step_up(staff.eh, str(uuid.uuid4())), 422, "child_id")


@pytest.mark.parametrize("direction", ["sideways", "", None])
def test_a_request_must_be_a_step_up_or_a_step_down(staff, clock, direction):
    child_id = open_child(staff, clock, "early_help")
    body = {**transition_body(child_id, "step_up"), "direction": direction}
    assert_problem(staff.eh.post("/api/v1/transitions", json=body), 422, "direction")


NOT_A_RATIONALE = [
    pytest.param(OMIT, id="missing"),
    pytest.param(None, id="null"),
    pytest.param("", id="empty"),
    pytest.param(" " * 40, id="blank"),
    pytest.param("n/a", id="n/a"),
    pytest.param("Missing twice; risk", id="19 characters"),
    pytest.param("      Missing twice; risk      ", id="19 characters once trimmed"),
    pytest.param("See notes. N/A. TBC. See notes.", id="placeholders"),
    pytest.param("see case notes -- as discussed", id="see case notes"),
    pytest.param("To be confirmed (TBC) ...........", id="tbc"),
]


@pytest.mark.parametrize("rationale", NOT_A_RATIONALE)
def test_a_step_up_without_a_real_rationale_is_rejected(staff, clock, rationale):
    child_id = open_child(staff, clock, "early_help")
    before = audit_length(staff.auditor)
    assert_problem(step_up(staff.eh, child_id, rationale=rationale), 422, "rationale")
    assert listed(staff.auditor) == []
    assert audit_length(staff.auditor) == before


@pytest.mark.parametrize("rationale", NOT_A_RATIONALE)
def test_a_step_down_without_a_real_rationale_is_rejected(staff, clock, rationale):
    child_id = open_child(staff, clock, "social_care")
    assert_problem(step_down(staff.sc, child_id, rationale=rationale), 422, "rationale")
    assert listed(staff.auditor) == []


def test_a_rationale_of_exactly_twenty_characters_is_enough(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    rationale = "Missing twice; risk."
    assert len(rationale) == 20
    created = step_up(staff.eh, child_id, rationale=f"   {rationale}   ")
    assert created.status_code == 201, created.json
    assert created.json["rationale"] == rationale


@pytest.mark.parametrize("plan, field", [
    pytest.param(OMIT, "plan", id="no plan"),
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
    assert listed(staff.auditor) == []
    assert audit_length(staff.auditor) == before


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
    assert listed(staff.auditor) == [first["id"]]
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
    assert listed(staff.auditor) == [first.json["id"]]
    assert transition_events(staff.auditor, first.json["id"]) == [("transition.requested", "erin")]


def test_an_open_request_for_one_child_does_not_block_another_child(staff, clock):
    first = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    second = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert set(listed(staff.auditor, "&status=requested")) == {first["id"], second["id"]}


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


# ---- deadlines ----------------------------------------------------------------------------


@pytest.mark.parametrize("requested_at, due", [
    pytest.param("2026-11-20T10:00:00Z", "2026-11-27T23:59:59.999999Z", id="a Friday"),
    pytest.param("2026-11-21T10:00:00Z", "2026-11-27T23:59:59.999999Z", id="a Saturday"),
    pytest.param("2026-12-24T10:00:00Z", "2027-01-05T23:59:59.999999Z", id="Christmas and new year"),
    pytest.param("2026-04-01T09:00:00+01:00", "2026-04-10T22:59:59.999999Z", id="Easter"),
    pytest.param("2026-06-30T23:30:00Z", "2026-07-08T22:59:59.999999Z",
                 id="late evening UTC is the next London day"),
    pytest.param("2026-07-01T00:30:00+01:00", "2026-07-08T22:59:59.999999Z", id="offset given"),
])
def test_a_response_is_due_at_the_end_of_the_fifth_working_day_after_the_request(
        staff, clock, requested_at, due):
    clock.set(datetime(2027, 2, 1, 10, 0, tzinfo=UTC))
    child_id = open_child(staff, clock, "early_help")
    created = step_up(staff.eh, child_id, requested_at=requested_at)
    assert created.status_code == 201, created.json
    assert created.json["response_due_at"] == due


def test_the_response_deadline_follows_the_configured_number_of_working_days(
        staff, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRANSITION_RESPONSE_WORKING_DAYS", 2)
    child_id = open_child(staff, clock, "early_help")
    created = step_up(staff.eh, child_id)  # Friday 20 November 2026
    assert created.status_code == 201, created.json
    assert created.json["response_due_at"] == "2026-11-24T23:59:59.999999Z"


def test_overdue_lists_only_open_requests_past_their_response_deadline(staff, clock):
    late = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    answered = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert respond(staff.sc_manager, answered["id"], "refused").status_code == 201
    withdrawn = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert withdraw(staff.eh, withdrawn["id"]).status_code == 201
    clock.advance(days=3)  # Monday 23 November
    recent = requested(step_down(staff.sc, open_child(staff, clock, "social_care")))
    due = parse(late["response_due_at"])
    assert due < parse(recent["response_due_at"])

    clock.set(due)
    assert listed(staff.auditor, "&overdue=true") == []
    clock.set(due + timedelta(microseconds=1))
    assert listed(staff.sc_manager, "&overdue=true") == [late["id"]]
    assert set(listed(staff.auditor, "&overdue=false")) == {answered["id"], withdrawn["id"], recent["id"]}
    clock.set(parse(recent["response_due_at"]) + timedelta(seconds=1))
    assert listed(staff.auditor, "&overdue=true") == [recent["id"], late["id"]]


def test_an_open_request_stops_being_overdue_once_answered(staff, clock):
    late = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    clock.set(parse(late["response_due_at"]) + timedelta(days=2))
    assert listed(staff.auditor, "&overdue=true") == [late["id"]]
    assert respond(staff.sc_manager, late["id"], "accepted").status_code == 201
    assert listed(staff.auditor, "&overdue=true") == []


# ---- listing ------------------------------------------------------------------------------


def test_transitions_filter_by_status_and_direction(staff, clock):
    child_a = open_child(staff, clock, "early_help")
    refused = requested(step_up(staff.eh, child_a))
    assert respond(staff.sc_manager, refused["id"], "refused").status_code == 201
    withdrawn = requested(step_up(staff.eh, child_a))
    assert withdraw(staff.eh, withdrawn["id"]).status_code == 201
    accepted = requested(step_up(staff.eh, child_a))
    clock.advance(minutes=5)
    assert respond(staff.sc_manager, accepted["id"]).status_code == 201
    clock.advance(minutes=5)
    open_down = requested(step_down(staff.sc, child_a))
    open_up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))

    def ids(query):
        return set(listed(staff.auditor, query))

    assert ids("&status=requested") == {open_down["id"], open_up["id"]}
    assert ids("&status=accepted") == {accepted["id"]}
    assert ids("&status=refused") == {refused["id"]}
    assert ids("&status=withdrawn") == {withdrawn["id"]}
    assert ids("&direction=step_down") == {open_down["id"]}
    assert ids("&direction=step_up") == {refused["id"], withdrawn["id"], accepted["id"], open_up["id"]}
    assert ids("&direction=step_up&status=requested") == {open_up["id"]}
    assert ids("") == {refused["id"], withdrawn["id"], accepted["id"], open_down["id"], open_up["id"]}


@pytest.mark.parametrize("query, field", [
    ("status=pending", "status"), ("direction=across", "direction"), ("overdue=maybe", "overdue"),
    ("limit=0", "limit"), ("limit=501", "limit"), ("cursor=not-a-cursor", "cursor"),
    ("colour=blue", "colour"),
])
def test_a_bad_list_filter_is_rejected_naming_it(staff, query, field):
    assert_problem(staff.auditor.get(f"/api/v1/transitions?{query}"), 422, field)


def test_transitions_page_by_cursor_most_recent_request_first(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    made = []
    instants = ["2026-11-16T09:00:00Z", "2026-11-17T09:00:00Z", "2026-11-17T09:00:00Z",
                "2026-11-18T09:00:00Z", "2026-11-19T09:00:00Z"]
    for at in instants:
        transition = requested(step_up(staff.eh, child_id, requested_at=at))
        assert withdraw(staff.eh, transition["id"]).status_code == 201
        made.append(transition)
    expected = [t["id"] for t in sorted(
        made, key=lambda t: (t["requested_at"], uuid.UUID(t["id"])), reverse=True)]

    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = staff.eh.get(f"/api/v1/transitions{query}")
        assert page.status_code == 200, page.json
        pages += 1
        assert len(page.json["items"]) <= 2
        seen.extend(item["id"] for item in page.json["items"])
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == expected


# ---- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["eh", "sc", "mash", "eh_manager", "sc_manager", "auditor"])
def test_practitioners_managers_and_auditors_read_transitions(staff, clock, who):
    created = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    reader = getattr(staff, who)
    assert reader.get(f"/api/v1/transitions/{created['id']}").json["id"] == created["id"]
    assert listed(reader) == [created["id"]]


@pytest.mark.parametrize("who", ["agency", "admin"])
def test_agencies_and_admins_may_not_read_transitions(staff, clock, who):
    created = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    reader = getattr(staff, who)
    assert_problem(reader.get(f"/api/v1/transitions/{created['id']}"), 403)
    assert_problem(reader.get("/api/v1/transitions"), 403)


def test_reading_transitions_needs_a_token(staff, clock, anonymous):
    created = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert_problem(anonymous.get(f"/api/v1/transitions/{created['id']}"), 401)
    assert_problem(anonymous.get("/api/v1/transitions"), 401)


def test_an_unknown_transition_is_not_found(staff):
    missing = uuid.uuid4()
    assert_problem(staff.auditor.get(f"/api/v1/transitions/{missing}"), 404)
    assert_problem(respond(staff.sc_manager, missing), 404)
    assert_problem(withdraw(staff.eh, missing), 404)


# ---- responding ---------------------------------------------------------------------------


def test_a_social_care_manager_accepts_a_step_up_and_the_child_moves_to_social_care(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    up = requested(step_up(staff.eh, child_id))
    clock.advance(hours=2)
    answered = respond(staff.sc_manager, up["id"])
    assert answered.status_code == 201, answered.json
    assert answered.json["status"] == "accepted"
    assert answered.json["response"] == {"by": "sara", "at": iso(clock()), "decision": "accepted",
                                         "rationale": None}
    assert answered.headers["Location"].endswith(f"/api/v1/transitions/{up['id']}")
    assert current_service(staff.auditor, child_id) == "social_care"


def test_an_early_help_manager_accepts_a_step_down_and_the_child_moves_to_early_help(staff, clock):
    child_id = open_child(staff, clock, "social_care")
    down = requested(step_down(staff.sc, child_id))
    clock.advance(hours=2)
    note = "Plan agreed with the family; allocated to the Oak Tree hub."
    answered = respond(staff.eh_manager, down["id"], "accepted", rationale=note)
    assert answered.status_code == 201, answered.json
    assert answered.json["status"] == "accepted"
    assert answered.json["response"]["by"] == "emma"
    assert answered.json["response"]["rationale"] == note
    assert current_service(staff.auditor, child_id) == "early_help"


def test_a_refusal_with_the_threshold_explained_leaves_the_child_where_it_was(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    up = requested(step_up(staff.eh, child_id))
    clock.advance(hours=2)
    refused = respond(staff.sc_manager, up["id"], "refused", rationale=f"  {REFUSAL_RATIONALE} ")
    assert refused.status_code == 201, refused.json
    assert refused.json["status"] == "refused"
    assert refused.json["response"] == {"by": "sara", "at": iso(clock()), "decision": "refused",
                                        "rationale": REFUSAL_RATIONALE}
    assert current_service(staff.auditor, child_id) == "early_help"


@pytest.mark.parametrize("rationale", NOT_A_RATIONALE)
def test_a_refusal_without_a_rationale_that_explains_the_threshold_is_rejected(
        staff, clock, rationale):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    before = audit_length(staff.auditor)
    assert_problem(respond(staff.sc_manager, up["id"], "refused", rationale=rationale), 422,
                   "rationale")
    still = staff.auditor.get(f"/api/v1/transitions/{up['id']}").json
    assert still["status"] == "requested"
    assert still["response"] is None
    assert audit_length(staff.auditor) == before


@pytest.mark.parametrize("decision", ["maybe", "withdrawn", "requested", None])
def test_a_response_is_accepted_or_refused_and_nothing_else(staff, clock, decision):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert_problem(respond(staff.sc_manager, up["id"], decision, rationale=REFUSAL_RATIONALE), 422,
                   "decision")


@pytest.mark.parametrize("who", [
    "eh_manager", "mash_manager", "sc", "eh", "mash", "auditor", "agency", "admin",
])
def test_only_a_social_care_manager_may_answer_a_step_up(staff, clock, who):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    before = audit_length(staff.auditor)
    assert_problem(respond(getattr(staff, who), up["id"]), 403)
    assert staff.auditor.get(f"/api/v1/transitions/{up['id']}").json["status"] == "requested"
    assert audit_length(staff.auditor) == before


@pytest.mark.parametrize("who", [
    "sc_manager", "mash_manager", "eh", "sc", "mash", "auditor", "agency", "admin",
])
def test_only_an_early_help_manager_may_answer_a_step_down(staff, clock, who):
    down = requested(step_down(staff.sc, open_child(staff, clock, "social_care")))
    before = audit_length(staff.auditor)
    assert_problem(respond(getattr(staff, who), down["id"]), 403)
    assert staff.auditor.get(f"/api/v1/transitions/{down['id']}").json["status"] == "requested"
    assert audit_length(staff.auditor) == before


def test_an_early_help_manager_who_requested_a_step_up_may_not_answer_it(staff, clock):
    # The receiving service decides: an early help manager's own request is still social care's call.
    up = requested(step_up(staff.eh_manager, open_child(staff, clock, "early_help")))
    assert_problem(respond(staff.eh_manager, up["id"]), 403)
    assert respond(staff.sc_manager, up["id"]).status_code == 201


def test_answering_without_a_token_is_unauthorised(staff, clock, anonymous):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert_problem(respond(anonymous, up["id"]), 401)


@pytest.mark.parametrize("first, second", [
    ("accepted", "accepted"), ("accepted", "refused"), ("refused", "accepted"), ("refused", "refused"),
])
def test_a_request_is_answered_once_only(staff, clock, first, second):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    clock.advance(hours=1)
    assert respond(staff.sc_manager, up["id"], first).status_code == 201
    before = audit_length(staff.auditor)
    clock.advance(hours=1)
    for manager in (staff.sc_manager, staff.sc_manager_2):
        assert_problem(respond(manager, up["id"], second), 409)
    after = staff.auditor.get(f"/api/v1/transitions/{up['id']}").json
    assert after["status"] == first
    assert after["response"]["by"] == "sara"
    assert audit_length(staff.auditor) == before


def test_a_withdrawn_request_cannot_be_answered(staff, clock):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert withdraw(staff.eh, up["id"]).status_code == 201
    assert_problem(respond(staff.sc_manager, up["id"]), 409)
    assert staff.auditor.get(f"/api/v1/transitions/{up['id']}").json["status"] == "withdrawn"


def test_an_answer_sent_with_the_current_etag_is_recorded(staff, clock):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    etag = staff.sc_manager.get(f"/api/v1/transitions/{up['id']}").headers["ETag"]
    answered = staff.sc_manager.post(f"/api/v1/transitions/{up['id']}/response",
                                     json={"decision": "accepted"}, headers={"If-Match": etag})
    assert answered.status_code == 201, answered.json


@pytest.mark.parametrize("action", ["response", "withdrawal"])
def test_a_write_sent_with_an_etag_that_is_no_longer_current_is_refused_with_412(
        staff, clock, action):
    first = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    stale = staff.eh_manager.get(f"/api/v1/transitions/{first['id']}").headers["ETag"]
    for if_match in ('"not-an-etag-of-this-transition"', stale.replace('"', '"x', 1)):
        before = audit_length(staff.auditor)
        body = {"decision": "accepted"} if action == "response" else {}
        writer = staff.sc_manager if action == "response" else staff.eh
        refused = writer.post(f"/api/v1/transitions/{first['id']}/{action}", json=body,
                              headers={"If-Match": if_match})
        assert_problem(refused, 412)
        assert staff.auditor.get(f"/api/v1/transitions/{first['id']}").json["status"] == "requested"
        assert audit_length(staff.auditor) == before


# ---- withdrawing --------------------------------------------------------------------------


def test_the_requester_withdraws_a_request_still_awaiting_a_response(staff, clock):
    child_id = open_child(staff, clock, "early_help")
    up = requested(step_up(staff.eh, child_id))
    clock.advance(hours=1)
    withdrawn = withdraw(staff.eh, up["id"], reason="  Family moved out of the area.  ")
    assert withdrawn.status_code == 201, withdrawn.json
    assert withdrawn.json["status"] == "withdrawn"
    assert withdrawn.json["withdrawn_by"] == "erin"
    assert withdrawn.json["withdrawn_at"] == iso(clock())
    assert withdrawn.json["withdrawal_reason"] == "Family moved out of the area."
    assert withdrawn.json["response"] is None
    assert current_service(staff.auditor, child_id) == "early_help"


def test_a_withdrawal_needs_no_body(staff, clock):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    withdrawn = staff.eh.post(f"/api/v1/transitions/{up['id']}/withdrawal")
    assert withdrawn.status_code == 201, withdrawn.json
    assert withdrawn.json["withdrawal_reason"] is None


@pytest.mark.parametrize("direction, sending, requester, manager, manager_sub", [
    ("step_up", "early_help", "eh", "eh_manager", "emma"),
    ("step_down", "social_care", "sc", "sc_manager", "sara"),
])
def test_a_manager_of_the_sending_service_may_withdraw_someone_elses_request(
        staff, clock, direction, sending, requester, manager, manager_sub):
    child_id = open_child(staff, clock, sending)
    made = requested(getattr(staff, requester).post(
        "/api/v1/transitions", json=transition_body(child_id, direction)))
    withdrawn = withdraw(getattr(staff, manager), made["id"])
    assert withdrawn.status_code == 201, withdrawn.json
    assert withdrawn.json["status"] == "withdrawn"
    assert withdrawn.json["withdrawn_by"] == manager_sub


@pytest.mark.parametrize("who", [
    "eh_other", "sc", "sc_manager", "mash_manager", "mash", "auditor", "agency", "admin",
])
def test_nobody_else_may_withdraw_a_step_up(staff, clock, who):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    before = audit_length(staff.auditor)
    assert_problem(withdraw(getattr(staff, who), up["id"]), 403)
    assert staff.auditor.get(f"/api/v1/transitions/{up['id']}").json["status"] == "requested"
    assert audit_length(staff.auditor) == before


@pytest.mark.parametrize("who", ["sc_other", "eh", "eh_manager", "mash_manager"])
def test_nobody_else_may_withdraw_a_step_down(staff, clock, who):
    down = requested(step_down(staff.sc, open_child(staff, clock, "social_care")))
    assert_problem(withdraw(getattr(staff, who), down["id"]), 403)
    assert staff.auditor.get(f"/api/v1/transitions/{down['id']}").json["status"] == "requested"


def test_withdrawing_needs_a_token(staff, clock, anonymous):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert_problem(withdraw(anonymous, up["id"]), 401)


@pytest.mark.parametrize("closed_by", ["accepted", "refused", "withdrawn"])
def test_a_request_no_longer_awaiting_a_response_cannot_be_withdrawn(staff, clock, closed_by):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    if closed_by == "withdrawn":
        assert withdraw(staff.eh, up["id"]).status_code == 201
    else:
        assert respond(staff.sc_manager, up["id"], closed_by).status_code == 201
    before = audit_length(staff.auditor)
    assert_problem(withdraw(staff.eh, up["id"]), 409)
    assert_problem(withdraw(staff.eh_manager, up["id"]), 409)
    assert staff.auditor.get(f"/api/v1/transitions/{up['id']}").json["status"] == closed_by
    assert audit_length(staff.auditor) == before


# ---- the audit trail ----------------------------------------------------------------------


def test_each_transition_write_appends_its_audit_event(staff, clock):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert transition_events(staff.auditor, up["id"]) == [("transition.requested", "erin")]
    assert respond(staff.sc_manager, up["id"], "refused").status_code == 201
    assert transition_events(staff.auditor, up["id"]) == [
        ("transition.requested", "erin"), ("transition.refused", "sara")]

    second = requested(step_up(staff.eh, up["child_id"]))
    assert withdraw(staff.eh_manager, second["id"]).status_code == 201
    assert transition_events(staff.auditor, second["id"]) == [
        ("transition.requested", "erin"), ("transition.withdrawn", "emma")]

    third = requested(step_up(staff.eh, up["child_id"]))
    clock.advance(minutes=1)
    assert respond(staff.sc_manager, third["id"]).status_code == 201
    assert transition_events(staff.auditor, third["id"]) == [
        ("transition.requested", "erin"), ("transition.accepted", "sara")]
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


def _failing_audit(*_args, **_kwargs):
    raise RuntimeError("the audit trail is unavailable")


def test_a_request_whose_audit_event_fails_is_not_recorded(staff, clock, monkeypatch):
    child_id = open_child(staff, clock, "early_help")
    with monkeypatch.context() as patched:
        patched.setattr("api.audit.record", _failing_audit)
        assert_problem(step_up(staff.eh, child_id), 500)
    assert listed(staff.auditor) == []
    assert step_up(staff.eh, child_id).status_code == 201  # no half-recorded open request left behind


def test_a_response_whose_audit_event_fails_is_not_recorded(staff, clock, monkeypatch):
    child_id = open_child(staff, clock, "early_help")
    up = requested(step_up(staff.eh, child_id))
    with monkeypatch.context() as patched:
        patched.setattr("api.audit.record", _failing_audit)
        assert_problem(respond(staff.sc_manager, up["id"]), 500)
        assert_problem(withdraw(staff.eh, up["id"]), 500)
    after = staff.auditor.get(f"/api/v1/transitions/{up['id']}").json
    assert (after["status"], after["response"], after["withdrawn_at"]) == ("requested", None, None)
    assert current_service(staff.auditor, child_id) == "early_help"


# ---- the database backs the one-open-request rule ----------------------------------------


def _open_copy(transition, status):
    """A transition row written straight to the database, past the API's own check."""
    instant = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    return Transition(
        reference=f"T-X-{uuid.uuid4().hex[:10]}", child_id=uuid.UUID(transition["child_id"]),
        direction="step_up", from_service="early_help", to_service="social_care",
        rationale=STEP_UP_RATIONALE, requested_at=instant, requested_by_sub="intruder",
        requested_by_role="practitioner", recorded_at=instant, status=status,
        response_due_at=instant + timedelta(days=7),
    )


def test_the_database_itself_refuses_a_second_open_request_for_a_child(staff, clock, db):
    first = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(_open_copy(first, "requested"))
    with session.begin_nested():  # closed requests are not limited
        session.add(_open_copy(first, "withdrawn"))
        session.add(_open_copy(first, "refused"))


# ---- races on PostgreSQL ------------------------------------------------------------------


@pytest.fixture
def live_app(fresh_database_url):
    """An app on a database of its own: every request really commits."""
    app = build_app(fresh_database_url)
    yield app
    app.extensions["db"].engine.dispose()


def live_staff(app):
    return make_staff(lambda role, **claims: ApiClient(app, token_for(app, role, **claims)))


def race(*calls):
    """Run each call in its own thread, released together by one barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results, failures = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:  # reported below, in the test's own thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing request never finished"
    assert not failures, failures
    return results


ROUNDS = 5


@postgres_only
def test_two_managers_answering_at_the_same_moment_one_wins_and_the_other_gets_409(live_app):
    staff, clock = live_staff(live_app), live_app.test_clock
    for _ in range(ROUNDS):
        up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
        managers = [ApiClient(live_app, token_for(live_app, "manager", sub=sub, service="social_care"))
                    for sub in ("sara", "saul")]
        answers = race(lambda: respond(managers[0], up["id"], "accepted"),
                       lambda: respond(managers[1], up["id"], "refused"))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201, 409], [answer.json for answer in answers]
        loser = next(answer for answer in answers if answer.status_code == 409)
        assert_problem(loser, 409)
        winner = next(answer for answer in answers if answer.status_code == 201)
        stored = staff.auditor.get(f"/api/v1/transitions/{up['id']}").json
        assert stored["status"] == winner.json["status"]
        assert stored["response"] == winner.json["response"]
        actions = [action for action, _ in transition_events(staff.auditor, up["id"])]
        assert actions == ["transition.requested", f"transition.{stored['status']}"]
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


@postgres_only
def test_two_step_up_requests_for_one_child_at_the_same_moment_one_is_recorded_and_one_gets_409(
        live_app):
    staff, clock = live_staff(live_app), live_app.test_clock
    for _ in range(ROUNDS):
        child_id = open_child(staff, clock, "early_help")
        requesters = [ApiClient(live_app, token_for(live_app, "practitioner", sub=sub,
                                                    service="early_help")) for sub in ("erin", "eve")]
        answers = race(lambda: step_up(requesters[0], child_id), lambda: step_up(requesters[1], child_id))
        assert sorted(answer.status_code for answer in answers) == [201, 409], [
            answer.json for answer in answers]
        loser = next(answer for answer in answers if answer.status_code == 409)
        assert_problem(loser, 409)
        winner = next(answer for answer in answers if answer.status_code == 201)
        open_for_child = [item["id"] for item in staff.auditor.get(
            "/api/v1/transitions?status=requested&limit=500").json["items"]
            if item["child_id"] == child_id]
        assert open_for_child == [winner.json["id"]]
        assert withdraw(staff.eh_manager, winner.json["id"]).status_code == 201
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


def _wait_until_blocked_on_a_lock(engine):
    """Spin until some other session of this database waits on a row or index lock."""
    deadline = time.monotonic() + 20
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as probe:
        while not probe.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")):
            assert time.monotonic() < deadline, "the request never waited on the unique index"


def step_up_while_another_transaction_holds_an_open_request(app, child_id, then):
    """Hold an uncommitted open request for the child in another transaction; send a step-up
    through the API, which passes its own check (it cannot see the row) and waits on the unique
    index; then commit or roll back the other transaction (`then`) and return the API's answer."""
    staff, engine, answers = live_staff(app), app.extensions["db"].engine, []
    with engine.connect() as other, Session(bind=other) as other_session:
        other_session.add(_open_copy({"child_id": child_id}, "requested"))
        other_session.flush()
        worker = threading.Thread(target=lambda: answers.append(step_up(staff.eh, child_id)))
        worker.start()
        try:
            _wait_until_blocked_on_a_lock(engine)
        finally:
            getattr(other_session, then)()
        worker.join(timeout=60)
    assert not worker.is_alive(), "the request never finished"
    return answers[0]


@postgres_only
def test_a_request_that_loses_the_race_at_the_unique_index_gets_a_409_problem_and_records_nothing(
        live_app):
    staff = live_staff(live_app)
    child_id = open_child(staff, live_app.test_clock, "early_help")
    answer = step_up_while_another_transaction_holds_an_open_request(live_app, child_id, "commit")
    assert_problem(answer, 409)
    assert answer.json["type"].endswith("/concurrent-change")
    stored = staff.auditor.get("/api/v1/transitions?status=requested").json["items"]
    assert [item["requested_by"] for item in stored] == ["intruder"]
    events = staff.auditor.get("/api/v1/audit/events?entity_type=transition&limit=500").json
    assert events["items"] == []
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


@postgres_only
def test_a_request_waiting_on_an_open_request_that_is_rolled_back_goes_through(live_app):
    staff = live_staff(live_app)
    child_id = open_child(staff, live_app.test_clock, "early_help")
    answer = step_up_while_another_transaction_holds_an_open_request(live_app, child_id, "rollback")
    assert answer.status_code == 201, answer.json
    assert answer.json["requested_by"] == "erin"
    assert transition_events(staff.auditor, answer.json["id"]) == [("transition.requested", "erin")]


# ---- a child's current service, derived from its history ---------------------------------


@pytest.mark.parametrize("outcome, service", [
    ("early_help", "early_help"), ("assessment", "social_care"),
    ("strategy_discussion", "social_care"), ("existing_case", "social_care"),
    ("nfa", None), ("information_advice", None), ("universal_services", None),
])
def test_a_childs_current_service_follows_the_current_decision(staff, clock, outcome, service):
    contact = record_contact(staff, clock)
    child_id = contact["children"][0]["id"]
    assert current_service(staff.auditor, child_id) is None
    decide(staff, contact["id"], outcome)
    assert current_service(staff.auditor, child_id) == service


@pytest.mark.parametrize("first, then, service", [
    ("early_help", "nfa", None), ("nfa", "existing_case", "social_care"),
    ("assessment", "early_help", "early_help"),
])
def test_a_superseded_decision_no_longer_sets_the_service(staff, clock, first, then, service):
    contact = record_contact(staff, clock)
    earlier = decide(staff, contact["id"], first)
    clock.advance(minutes=30)
    decide(staff, contact["id"], then, supersedes=earlier["id"],
           supersede_reason="New information from the school changes the picture.")
    assert current_service(staff.auditor, contact["children"][0]["id"]) == service


def test_a_superseding_decision_dated_before_the_one_it_replaces_still_sets_the_service(
        staff, clock):
    contact = record_contact(staff, clock)
    wrong = decide(staff, contact["id"], "early_help")
    decide(staff, contact["id"], "nfa", supersedes=wrong["id"],
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
    contact = record_contact(staff, clock, consent=consent)
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
    contact = record_contact(staff, clock, consent=consent)
    decide(staff, contact["id"], outcome)
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
    second = record_contact(staff, clock, nhs_number, received_at=accepted_at - timedelta(hours=3))
    assert second["children"][0]["id"] == child_id
    backdated = decide(staff, second["id"], "nfa", decided_at=iso(accepted_at - timedelta(minutes=5)))
    assert current_service(staff.auditor, child_id) == "social_care"

    # Superseding it with a decision made now: the decision is the latest event.
    clock.advance(minutes=10)
    decide(staff, second["id"], "nfa", supersedes=backdated["id"],
           supersede_reason="Decision time corrected: made after the step-up was accepted.")
    assert current_service(staff.auditor, child_id) is None

    clock.advance(days=1)
    third = record_contact(staff, clock, nhs_number)
    decide(staff, third["id"], "existing_case")
    assert current_service(staff.auditor, child_id) == "social_care"
    down = requested(step_down(staff.sc, child_id))
    clock.advance(hours=1)
    assert respond(staff.eh_manager, down["id"]).status_code == 201
    assert current_service(staff.auditor, child_id) == "early_help"


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
