"""Each write to a strategy meeting is one transaction: if its audit event cannot be written,
nothing is; a convene repeated with the same Idempotency-Key replays the first answer."""

import uuid
from datetime import date

import pytest

from api.caller import Actor
from api.domain import meetings
from api.errors import DomainError, RuleViolation
from tests.helpers import (
    MEETING_RATIONALE, MEETINGS, as_audited, assert_problem, audit_events, created, item_ids, meeting_body,
    outcome_body, record_outcome, utc,
)


def _failing_audit(monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("api.domain.meetings.audit.record", boom)


def test_a_meeting_whose_audit_event_fails_is_not_recorded(
    practitioner, auditor, case, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(MEETINGS, json=meeting_body(case))
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert item_ids(auditor.get(MEETINGS)) == []
    assert trail.length() == before


def test_an_outcome_whose_audit_event_fails_is_not_recorded(
    practitioner, meeting, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body())
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json == meeting
    assert trail.length() == before
    assert record_outcome(practitioner, meeting["id"])["status"] == "held"


def test_minutes_whose_audit_event_fails_are_not_recorded(
    practitioner, held_meeting, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(f"{MEETINGS}/{held_meeting['id']}/minutes",
                               json={"minutes_recorded_at": "2026-11-20T09:45:00Z"})
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert practitioner.get(f"{MEETINGS}/{held_meeting['id']}").json == held_meeting
    assert trail.length() == before


def test_a_repeated_convene_with_the_same_idempotency_key_replays_the_first(
    practitioner, auditor, case, trail
):
    before = trail.length()
    headers = {"Idempotency-Key": "convene-amelia-1"}
    first = practitioner.post(MEETINGS, json=meeting_body(case), headers=headers)
    replay = practitioner.post(MEETINGS, json=meeting_body(case), headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json == first.json
    assert replay.headers["Location"] == first.headers["Location"]
    assert item_ids(auditor.get(MEETINGS)) == [first.json["id"]]
    assert trail.length() == before + 1

    different = practitioner.post(MEETINGS, json=meeting_body(case, chair="Someone Else"),
                                  headers=headers)
    assert_problem(different, 422)
    assert trail.length() == before + 1



def test_each_write_audits_the_lists_it_wrote_and_the_conference_whole(
        practitioner, auditor, api_as, meeting, clock):
    created(practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body(
        minutes_recorded_at="2026-11-20T09:45:00Z", actions=[
            {"description": "Police to visit the home", "owner_agency": "wmp",
             "due_date": "2026-11-23"}])))
    child_id = meeting["children"][0]
    created(api_as("manager", sub="mark").post(f"{MEETINGS}/{meeting['id']}/icpc", json={
        "held_on": "2026-11-20",
        "child_protection_plan": [{"child_id": child_id, "plan": True, "category_of_abuse": "PHY"}]}))

    convened, held, icpc = audit_events(auditor, meeting["id"])
    assert convened[0] == "strategy_meeting.convened"
    assert (convened[1]["children"], convened[1]["invited"]) == ([child_id], [
        {"agency": "wmp", "invited_at": "2026-11-20T08:45:00.000000Z"},
        {"agency": "hilltop-gp", "invited_at": "2026-11-20T08:45:00.000000Z"}])
    assert held[0] == "strategy_meeting.outcome_recorded"
    assert (held[1]["attendance"], held[1]["actions"]) == (
        [{"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
         {"agency": "hilltop-gp", "attended": False, "name": None, "role": None}],
        [{"description": "Police to visit the home", "owner_agency": "wmp",
          "due_date": "2026-11-23"}])
    # Who recorded the outcome, and the minutes given with it, and when: kept with the record.
    assert {key: held[1][key] for key in (
        "outcome_recorded_at", "outcome_recorded_by_sub", "minutes_recorded_by_sub")} == {
        "outcome_recorded_at": as_audited(clock()), "outcome_recorded_by_sub": "priya",
        "minutes_recorded_by_sub": "priya"}
    assert icpc == ("strategy_meeting.icpc_recorded", {
        "icpc_held_on": "2026-11-20", "icpc_within_timescale": True, "icpc_not_required": False,
        "icpc_not_required_reason": None,
        "children": [{"child_id": child_id, "child_protection_plan": True,
                      "category_of_abuse": "PHY"}]})

# ---- below the schemas -------------------------------------------------------------------------

PRIYA = Actor(sub="priya", role="practitioner", service="mash")


def _convene(case, children=None, invited=("wmp", "hilltop-gp"), reasons=None):
    children = case.child_ids if children is None else children
    return meetings.convene_meeting(PRIYA, {
        "contact_id": uuid.UUID(case.contact_id), "children": [uuid.UUID(c) for c in children],
        "convened_at": utc("2026-11-20T08:45:00Z"), "scheduled_for": utc("2026-11-20T09:30:00Z"),
        "chair": "Mark Evans", "invited": [{"agency": code} for code in invited],
        "not_invited_reasons": reasons or {}})


def _hold(meeting, attendance):
    return meetings.record_outcome(PRIYA, uuid.UUID(meeting["id"]), {
        "held_at": utc("2026-11-20T09:30:00Z"), "outcome": "s47_enquiry",
        "rationale": MEETING_RATIONALE, "medical_examination": {"decision": "required"},
        "attendance": [{"agency": code, "attended": True} for code in attendance]})


def _icpc(meeting, children):
    return meetings.record_icpc(PRIYA, uuid.UUID(meeting["id"]), {
        "held_on": date(2026, 11, 20),
        "child_protection_plan": [{"child_id": uuid.UUID(c), "plan": False} for c in children]})


# Each: the fixture it needs (none, the meeting convened, or held), the write, the field named.
ENTRIES_TWICE = {
    "a child of the meeting twice": (
        None, lambda case, _: _convene(case, children=case.child_ids * 2), "children[1]"),
    "an agency invited twice": (
        None, lambda case, _: _convene(case, invited=("wmp", "hilltop-gp", "wmp")), "invited"),
    "an agency's attendance twice": (
        "meeting", lambda _, meeting: _hold(meeting, ["wmp", "wmp"]), "attendance[1].agency"),
    "a child's conference plan twice": (
        "held_meeting", lambda case, meeting: _icpc(meeting, case.child_ids * 2),
        "child_protection_plan[1].child_id"),
}


@pytest.mark.parametrize("write", ENTRIES_TWICE)
def test_the_rules_themselves_refuse_an_entry_given_twice_naming_the_field(
        request, case, trail, write):
    """Below the schemas too (their lists refuse a repeated entry first over HTTP): the rule
    names the field, and nothing is written."""
    needs, attempt, field = ENTRIES_TWICE[write]
    meeting = request.getfixturevalue(needs) if needs else None
    before = trail.length()
    with pytest.raises(RuleViolation) as refused:
        attempt(case, meeting)
    assert list(refused.value.errors) == [field]
    assert trail.length() == before


@pytest.mark.parametrize("key", ["health", "hilltop-gp"], ids=["by kind", "by code"])
def test_the_rule_itself_takes_a_blank_reason_as_no_reason_for_leaving_an_agency_out(
        case, trail, key):
    """Over HTTP the schema refuses a blank reason first."""
    before = trail.length()
    with pytest.raises(DomainError) as refused:
        _convene(case, invited=("wmp",), reasons={key: "  "})
    assert list(refused.value.errors) == ["not_invited_reasons.health"]
    assert trail.length() == before
