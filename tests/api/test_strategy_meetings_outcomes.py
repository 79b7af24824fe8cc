"""What a strategy meeting decided: its outcome, attendance, medical examination and actions; the
day it was held (same day or not, on the London calendar) and the ICPC's due date; If-Match."""

import uuid

import pytest

from tests.helpers import (
    MEETING_RATIONALE, MEETINGS, assert_problem, convene, convene_and_hold, outcome_body,
    record_outcome,
)


# ---- the outcome -----------------------------------------------------------------------------


def test_an_s47_outcome_is_recorded_with_attendance_medical_decision_and_actions(
    practitioner, auditor, meeting, trail
):
    before = trail.length()
    recorded = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body())

    assert recorded.status_code == 201, recorded.json
    assert recorded.headers["Location"].endswith(f"{MEETINGS}/{meeting['id']}")
    held = recorded.json
    assert held["status"] == "held"
    assert held["held_at"] == "2026-11-20T09:30:00Z"
    assert held["outcome"] == "s47_enquiry"
    assert held["rationale"] == MEETING_RATIONALE
    assert held["medical_examination"] == {"decision": "required", "reason": None}
    assert held["attendance"] == [
        {"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
        {"agency": "hilltop-gp", "attended": False, "name": None, "role": None},
    ]
    assert held["attendance_summary"] == {"invited": 2, "recorded": 2, "attended": 1}
    assert held["actions"] == [{"description": "Joint visit to the home", "owner_agency": "wmp",
                                "due_date": "2026-11-21"}]
    assert held["held_same_day"] is True
    assert held["icpc_due_date"] == "2026-12-11"  # 15 working days after Friday 20 Nov 2026
    assert held["minutes_recorded_at"] is None
    assert held["minutes_within_1_working_day"] is None

    assert auditor.get(f"{MEETINGS}/{meeting['id']}").json == held
    assert trail.length() == before + 1
    assert trail.actions(meeting["id"]) == ["strategy_meeting.convened",
                                            "strategy_meeting.outcome_recorded"]
    data = trail.last()["data"]
    assert data["outcome"] == "s47_enquiry"
    assert data["attendance"][0] == {"agency": "wmp", "attended": True, "name": "DS Lee",
                                     "role": "Detective"}


def test_an_outcome_is_recorded_once(practitioner, api_as, held_meeting, trail):
    before = trail.length()
    again = api_as("manager", sub="mark").post(
        f"{MEETINGS}/{held_meeting['id']}/outcome", json=outcome_body(outcome="assessment"))
    assert_problem(again, 409)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{held_meeting['id']}").json["outcome"] == "s47_enquiry"


def test_an_outcome_for_an_unknown_meeting_is_404(practitioner):
    missing = practitioner.post(f"{MEETINGS}/{uuid.uuid4()}/outcome", json=outcome_body())
    assert_problem(missing, 404)


@pytest.mark.parametrize("outcome", ["assessment", "early_help", "no_further_action"])
def test_only_an_s47_enquiry_has_an_icpc_due_date(practitioner, meeting, outcome):
    held = record_outcome(practitioner, meeting["id"], outcome=outcome)
    assert held["outcome"] == outcome
    assert held["icpc_due_date"] is None


def test_held_at_may_equal_convened_at(practitioner, meeting):
    held = record_outcome(practitioner, meeting["id"], held_at=meeting["convened_at"])
    assert held["held_at"] == meeting["convened_at"]


def test_attendance_may_be_recorded_for_some_of_the_invited_agencies_or_none(
    practitioner, case
):
    some = convene(practitioner, case)
    held = record_outcome(practitioner, some["id"], attendance=[{"agency": "hilltop-gp",
                                                                 "attended": True}])
    assert held["attendance_summary"] == {"invited": 2, "recorded": 1, "attended": 1}
    none = convene(practitioner, case)
    held = record_outcome(practitioner, none["id"], attendance=[])
    assert held["attendance_summary"] == {"invited": 2, "recorded": 0, "attended": 0}


def test_attendance_takes_json_booleans_only(practitioner, meeting):
    refused = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body(
        attendance=[{"agency": "wmp", "attended": "yes"}]))
    assert_problem(refused, 422, "attendance[0].attended")


@pytest.mark.parametrize(("overrides", "field", "says"), [
    ({"held_at": "2026-11-20T08:44:59Z"}, "held_at", "convened_at"),
    ({"held_at": "2026-11-20T10:05:00Z"}, "held_at", "future"),
    ({"held_at": "2026-11-20T09:30:00"}, "held_at", "offset"),
    ({"attendance": [{"agency": "btp", "attended": True}]}, "attendance[0].agency",
     "invited agencies"),
    ({"attendance": [{"agency": "no-such-agency", "attended": True}]}, "attendance[0].agency",
     "invited agencies"),
    ({"attendance": [{"agency": "wmp", "attended": True}, {"agency": "wmp", "attended": False}]},
     "attendance[1].agency", "twice"),
    ({"attendance": [{"agency": "wmp"}]}, "attendance[0].attended", "required"),
    ({"attendance": [{"agency": "wmp", "attended": None}]}, "attendance[0].attended", "null"),
    ({"attendance": [{"agency": "wmp", "attended": "perhaps"}]}, "attendance[0].attended",
     "boolean"),
    ({"attendance": [{"attended": True}]}, "attendance[0].agency", "required"),
    ({"outcome": "icpc"}, "outcome", "one of"),
    ({"outcome": "nfa"}, "outcome", "one of"),
    ({"rationale": "   "}, "rationale", "required"),
    ({"rationale": "Bruising seen by GP"}, "rationale", "20 characters"),  # 19 characters
    ({"rationale": "N/A - see case notes, as above"}, "rationale", "placeholder"),
    ({"rationale": "TBC.  As discussed.  See notes."}, "rationale", "placeholder"),
    ({"medical_examination": {"decision": "not_required"}}, "medical_examination.reason",
     "not required"),
    ({"medical_examination": {"decision": "not_required", "reason": None}},
     "medical_examination.reason", "not required"),
    ({"medical_examination": {"decision": "not_required", "reason": "  "}},
     "medical_examination.reason", "blank"),
    ({"medical_examination": {"decision": "maybe"}}, "medical_examination.decision", "one of"),
    ({"medical_examination": {"reason": "Injury healed."}}, "medical_examination.decision",
     "required"),
    ({"actions": [{"description": "Visit", "owner_agency": "no-such-agency",
                   "due_date": "2026-11-21"}]}, "actions[0].owner_agency", "Unknown agency"),
    ({"actions": [{"description": "Visit", "owner_agency": "wmp"}]}, "actions[0].due_date",
     "required"),
    ({"actions": [{"description": " ", "owner_agency": "wmp", "due_date": "2026-11-21"}]},
     "actions[0].description", "blank"),
    ({"minutes_recorded_at": "2026-11-20T09:29:59Z"}, "minutes_recorded_at", "held_at"),
    ({"minutes_recorded_at": "2026-11-20T10:05:00Z"}, "minutes_recorded_at", "future"),
    ({"minutes_recorded_at": "2026-11-20T09:45:00"}, "minutes_recorded_at", "offset"),
    ({"icpc_due_date": "2026-12-11"}, "icpc_due_date", "Unknown field"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_a_wrong_outcome_is_rejected_naming_the_field(
    practitioner, meeting, trail, overrides, field, says
):
    before = trail.length()
    refused = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome",
                                json=outcome_body(**overrides))
    assert_problem(refused, 422, field, says)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json["status"] == "convened"


@pytest.mark.parametrize("field", ["held_at", "outcome", "rationale", "medical_examination"])
def test_each_required_field_of_an_outcome_is_named_when_missing(practitioner, meeting, field):
    body = outcome_body()
    del body[field]
    assert_problem(practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=body), 422,
                   field, "required")


def test_a_rejected_outcome_can_be_corrected_and_recorded(practitioner, meeting):
    refused = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome",
                                json=outcome_body(rationale="see notes"))
    assert_problem(refused, 422, "rationale")
    assert record_outcome(practitioner, meeting["id"])["status"] == "held"


def test_recording_an_outcome_honours_if_match(practitioner, meeting):
    url = f"{MEETINGS}/{meeting['id']}"
    stale = practitioner.post(f"{url}/outcome", json=outcome_body(), headers={"If-Match": '"stale"'})
    assert_problem(stale, 412)
    assert practitioner.get(url).json["status"] == "convened"
    etag = practitioner.get(url).headers["ETag"]
    held = practitioner.post(f"{url}/outcome", json=outcome_body(), headers={"If-Match": etag})
    assert held.status_code == 201, held.json


def test_a_real_rationale_of_exactly_twenty_characters_is_accepted(practitioner, meeting):
    held = record_outcome(practitioner, meeting["id"], rationale="  Bruising seen by GP.  ")
    assert held["rationale"] == "Bruising seen by GP."


def test_a_medical_examination_not_required_is_recorded_with_its_reason(practitioner, meeting):
    held = record_outcome(practitioner, meeting["id"], medical_examination={
        "decision": "not_required", "reason": "Bruising already seen and recorded by the GP."})
    assert held["medical_examination"] == {
        "decision": "not_required", "reason": "Bruising already seen and recorded by the GP."}


def test_a_medical_examination_not_applicable_needs_no_reason(practitioner, meeting):
    held = record_outcome(practitioner, meeting["id"],
                          medical_examination={"decision": "not_applicable"})
    assert held["medical_examination"] == {"decision": "not_applicable", "reason": None}


def test_actions_are_kept_in_the_order_given(practitioner, meeting):
    actions = [
        {"description": "Joint visit to the home", "owner_agency": "wmp", "due_date": "2026-11-21"},
        {"description": "Child protection medical", "owner_agency": "city-hospital-ed",
         "due_date": "2026-11-20"},
        {"description": "Check school attendance", "owner_agency": "oakfield-primary",
         "due_date": "2026-11-23"},
    ]
    held = record_outcome(practitioner, meeting["id"], actions=actions)
    assert held["actions"] == actions


def test_an_action_due_before_the_meeting_is_rejected(practitioner, meeting):
    refused = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body(
        actions=[{"description": "Visit", "owner_agency": "wmp", "due_date": "2026-11-19"}]))
    assert_problem(refused, 422, "actions[0].due_date")


# ---- the day it was held, and the ICPC's due date -------------------------------------------


@pytest.mark.parametrize(("convened_at", "held_at", "same_day"), [
    # GMT: 23:59 London is still the same day; 00:00 is the next.
    ("2026-11-20T08:45:00Z", "2026-11-20T23:59:59Z", True),
    ("2026-11-20T08:45:00Z", "2026-11-21T00:00:00Z", False),
    # BST: 23:30 BST Monday and 00:30 BST Tuesday are both on 15 June in UTC.
    ("2026-06-15T22:30:00Z", "2026-06-15T23:30:00Z", False),
    # BST: 00:10 and 10:00 BST Tuesday are on different UTC days but the same London day.
    ("2026-06-15T23:10:00Z", "2026-06-16T09:00:00Z", True),
])
def test_held_same_day_is_judged_on_the_london_calendar(
    practitioner, clock, convened_at, held_at, same_day
):
    held = convene_and_hold(practitioner, clock, received_at=convened_at,
                            convened_at=convened_at, held_at=held_at,
                            now="2026-11-23T12:00:00Z" if held_at.startswith("2026-11")
                            else "2026-06-17T12:00:00Z")
    assert held["held_same_day"] is same_day


@pytest.mark.parametrize(("held_at", "icpc_due"), [
    ("2026-11-20T09:30:00Z", "2026-12-11"),  # Friday
    ("2026-11-21T11:00:00Z", "2026-12-11"),  # Saturday counts from the Monday after
    # Christmas 2026: 25 Dec, 28 Dec (Boxing Day substitute) and 1 Jan 2027 are not counted.
    ("2026-12-14T10:00:00Z", "2027-01-07"),
    ("2026-12-24T10:00:00Z", "2027-01-19"),
    # 23:30 UTC on Thursday 18 June is 00:30 BST on Friday 19 June: counted from the Friday.
    ("2026-06-18T23:30:00Z", "2026-07-10"),
    ("2026-06-18T22:30:00Z", "2026-07-09"),
])
def test_the_icpc_is_due_15_working_days_after_the_london_date_of_the_meeting(
    practitioner, clock, held_at, icpc_due
):
    held = convene_and_hold(practitioner, clock, received_at=held_at, convened_at=held_at,
                            held_at=held_at, now="2027-02-01T12:00:00Z")
    assert held["icpc_due_date"] == icpc_due


def test_the_icpc_timescale_is_configuration(practitioner, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "ICPC_WORKING_DAYS", 10)
    held = convene_and_hold(practitioner, clock, received_at="2026-11-20T08:00:00Z",
                            convened_at="2026-11-20T08:45:00Z", held_at="2026-11-20T09:30:00Z",
                            now="2026-11-20T10:00:00Z")
    assert held["icpc_due_date"] == "2026-12-04"