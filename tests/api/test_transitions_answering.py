"""Answering a step-up or step-down request: only a manager of the receiving service accepts or
refuses it (a refusal explaining the threshold), once; its requester or a manager of the
sending service may withdraw it while it awaits an answer; If-Match."""

import uuid

import pytest
from sqlalchemy import select

from api.db import session
from api.models import Transition
from tests.helpers import (
    NOT_A_RATIONALE, REFUSAL_RATIONALE, assert_problem, audit_length, current_service, iso,
    open_child, open_request, requested, respond, step_down, step_up, transition_body, utc,
    withdraw,
)


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


@pytest.mark.parametrize("subdivision, working_days", [("ENG", 2), ("SCT", 1)])
def test_the_working_days_to_an_answer_count_the_configured_subdivisions_holidays(
        staff, clock, app, monkeypatch, recompute, subdivision, working_days):
    # Monday 30 November 2026 is St Andrew's Day: a bank holiday in Scotland, not in England.
    monkeypatch.setitem(app.config, "HOLIDAY_SUBDIVISION", subdivision)
    clock.set(utc("2026-11-27T10:00:00Z"))
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    clock.set(utc("2026-12-01T10:00:00Z"))
    assert respond(staff.sc_manager, up["id"]).status_code == 201
    assert session.scalar(select(Transition.working_days_to_response).where(
        Transition.id == uuid.UUID(up["id"]))) == working_days
    # `flask timescales recompute` counts on the same calendar: nothing to put right.
    assert recompute()["transitions"] == 0


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


# Who may not act on a request awaiting an answer. Answer it: everyone but a manager of the
# receiving service (a step-up is social care's to answer, a step-down early help's). Withdraw
# it: everyone but its requester and the sending service's managers.
NOT_ENTITLED = [
    *(("answered", "step_up", who) for who in ("eh_manager", "mash_manager", "sc", "eh", "mash",
                                               "auditor", "agency", "admin")),
    *(("answered", "step_down", who) for who in ("sc_manager", "mash_manager", "eh", "sc", "mash",
                                                 "auditor", "agency", "admin")),
    *(("withdrawn", "step_up", who) for who in ("eh_other", "sc", "sc_manager", "mash_manager",
                                                "mash", "auditor", "agency", "admin")),
    *(("withdrawn", "step_down", who) for who in ("sc_other", "eh", "eh_manager", "mash_manager")),
]


@pytest.mark.parametrize("action, direction, who", NOT_ENTITLED,
                         ids=[f"a {d} {a} by {who}" for a, d, who in NOT_ENTITLED])
def test_only_the_receiving_managers_answer_and_only_the_sending_side_withdraws(
        staff, clock, action, direction, who):
    made = open_request(staff, clock, direction)
    before = audit_length(staff.auditor)
    act = respond if action == "answered" else withdraw
    assert_problem(act(getattr(staff, who), made["id"]), 403)
    assert staff.auditor.get(f"/api/v1/transitions/{made['id']}").json["status"] == "requested"
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
        refused = assert_problem(respond(manager, up["id"], second), 409)
        assert f"already been {first}" in refused["detail"]  # how it was answered
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
    for who in (staff.eh, staff.eh_manager):
        refused = assert_problem(withdraw(who, up["id"]), 409)
        assert f"already been {closed_by}" in refused["detail"]  # how it was closed
    assert staff.auditor.get(f"/api/v1/transitions/{up['id']}").json["status"] == closed_by
    assert audit_length(staff.auditor) == before
