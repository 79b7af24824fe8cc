"""Convening a strategy meeting: only on a contact whose current decision is a strategy
discussion, about some or all of its children, with its times, chair and invitations.

Every rule is shown both ways: accepted when right, and rejected with the named field and reason
(and nothing written to the audit trail) when wrong.
"""

import uuid

import pytest

from tests.helpers import (
    MEETINGS, NHS_AMELIA, NHS_OTHER, Case, assert_problem, child, convene, decide, meeting_body,
    record_morning_contact,
)


def test_a_meeting_is_convened_on_a_strategy_discussion_with_its_invitations(
    practitioner, case, trail
):
    before = trail.length()
    created = practitioner.post(MEETINGS, json=meeting_body(
        case, invited=[{"agency": "wmp", "invited_at": "2026-11-20T08:50:00+00:00"},
                       {"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}]))

    assert created.status_code == 201, created.json
    meeting = created.json
    assert created.headers["Location"].endswith(f"{MEETINGS}/{meeting['id']}")
    assert meeting["reference"].startswith("SM-2026-")
    assert meeting["status"] == "convened"
    assert meeting["contact_id"] == case.contact_id
    assert meeting["decision_id"] == case.decision_id
    assert meeting["children"] == case.child_ids
    assert meeting["convened_at"] == "2026-11-20T08:45:00Z"
    assert meeting["scheduled_for"] == "2026-11-20T09:30:00Z"
    assert meeting["chair"] == "Mark Evans"
    assert meeting["invited"] == [
        {"agency": "wmp", "invited_at": "2026-11-20T08:50:00Z"},
        {"agency": "hilltop-gp", "invited_at": "2026-11-20T08:45:00Z"},  # defaults to convened_at
        {"agency": "oakfield-primary", "invited_at": "2026-11-20T08:45:00Z"},
    ]
    assert meeting["not_invited_reasons"] == {}
    assert meeting["required_invitees"] == ["health", "police", "wmp"]
    assert meeting["recorded_by"] == "priya"
    assert meeting["recorded_at"] == "2026-11-20T10:00:00Z"
    for unset in ("held_at", "outcome", "rationale", "medical_examination", "held_same_day",
                  "icpc_due_date", "minutes_recorded_at", "minutes_within_1_working_day"):
        assert meeting[unset] is None, unset
    assert meeting["attendance"] == [] and meeting["actions"] == []
    assert meeting["attendance_summary"] == {"invited": 3, "recorded": 0, "attended": 0}

    assert trail.length() == before + 1
    assert trail.actions(meeting["id"]) == ["strategy_meeting.convened"]
    event = trail.last()
    assert event["actor"]["sub"] == "priya"
    assert event["data"]["contact_id"] == case.contact_id
    invited = [i["agency"] for i in event["data"]["invited"]]
    assert invited == ["wmp", "hilltop-gp", "oakfield-primary"]


def test_a_convened_meeting_reads_back_as_it_was_recorded(practitioner, auditor, meeting):
    read = auditor.get(f"{MEETINGS}/{meeting['id']}")
    assert read.status_code == 200, read.json
    assert read.json == meeting
    assert read.headers["ETag"]


@pytest.mark.parametrize("outcome", [
    pytest.param(None, id="a contact without a decision cannot have a strategy meeting"),
    *(pytest.param(outcome, id=f"a contact decided {outcome} gets 409")
      for outcome in ("nfa", "information_advice", "universal_services", "existing_case")),
])
def test_a_contact_not_decided_strategy_discussion_cannot_have_a_strategy_meeting(
    practitioner, trail, outcome
):
    contact = record_morning_contact(practitioner)
    if outcome is not None:
        decide(practitioner, contact["id"], outcome, "2026-11-20T08:30:00Z")
    before = trail.length()
    refused = practitioner.post(MEETINGS, json=meeting_body(
        Case(contact["id"], [c["id"] for c in contact["children"]], None)))
    assert_problem(refused, 409, "contact_id", says="not strategy_discussion")
    assert trail.length() == before


def test_a_superseded_strategy_discussion_no_longer_allows_a_meeting(practitioner, case, trail):
    decide(practitioner, case.contact_id, "nfa", "2026-11-20T08:40:00Z",
           supersedes=case.decision_id,
           supersede_reason="Police update: the injury was accidental.")
    before = trail.length()
    assert_problem(practitioner.post(MEETINGS, json=meeting_body(case)), 409, "contact_id")
    assert trail.length() == before


def test_a_strategy_discussion_that_supersedes_an_earlier_outcome_allows_a_meeting(practitioner):
    contact = record_morning_contact(practitioner)
    first = decide(practitioner, contact["id"], "nfa", "2026-11-20T08:20:00Z")
    second = decide(practitioner, contact["id"], "strategy_discussion", "2026-11-20T08:30:00Z",
                    supersedes=first["id"], supersede_reason="Child disclosed harm to a teacher.")
    child_ids = [c["id"] for c in contact["children"]]
    meeting = convene(practitioner, Case(contact["id"], child_ids, None))
    assert meeting["decision_id"] == second["id"]


def test_an_unknown_contact_is_404(practitioner, case, trail):
    before = trail.length()
    missing = practitioner.post(MEETINGS, json=meeting_body(case, contact_id=str(uuid.uuid4())))
    assert_problem(missing, 404)
    assert trail.length() == before


def test_a_child_of_another_contact_is_rejected(practitioner, case, trail):
    other = record_morning_contact(practitioner, children=[child("Noah", NHS_OTHER)])
    before = trail.length()
    refused = practitioner.post(MEETINGS, json=meeting_body(
        case, children=[case.child_ids[0], other["children"][0]["id"]]))
    assert_problem(refused, 422, "children[1]", says="Not a child of this contact")
    assert trail.length() == before


def test_an_unknown_child_is_rejected(practitioner, case):
    refused = practitioner.post(MEETINGS, json=meeting_body(case, children=[str(uuid.uuid4())]))
    assert_problem(refused, 422, "children[0]", says="Not a child of this contact")


def test_a_child_listed_twice_is_rejected_not_a_conflict(practitioner, case, trail):
    before = trail.length()
    refused = practitioner.post(MEETINGS, json=meeting_body(
        case, children=[case.child_ids[0], case.child_ids[0]]))
    assert_problem(refused, 422, "children[1]", says="twice")
    assert trail.length() == before


def test_only_some_of_the_contacts_children_may_be_concerned(practitioner):
    contact = record_morning_contact(practitioner, children=[child("Amelia", NHS_AMELIA),
                                                     child("Noah", NHS_OTHER)])
    decide(practitioner, contact["id"], "strategy_discussion", "2026-11-20T08:30:00Z")
    second_child = contact["children"][1]["id"]
    meeting = convene(practitioner, Case(contact["id"], [second_child], None))
    assert meeting["children"] == [second_child]


@pytest.mark.parametrize(("overrides", "field", "says"), [
    ({"convened_at": "2026-11-20T10:05:00Z"}, "convened_at", "future"),
    ({"convened_at": "2026-11-20T07:59:59Z"}, "convened_at", "strategy discussion decision"),
    ({"convened_at": "2026-11-20T08:45:00"}, "convened_at", "offset"),
    ({"scheduled_for": "2026-11-20T08:44:59Z"}, "scheduled_for", "convened_at"),
    ({"scheduled_for": "2026-11-20 09:30"}, "scheduled_for", None),
    ({"chair": "   "}, "chair", "blank"),
    ({"children": []}, "children", None),
    ({"children": ["not-a-uuid"]}, "children[0]", None),
    ({"invited": [{"agency": "wmp"}, {"agency": "no-such-agency"}]}, "invited[1].agency",
     "Unknown agency"),
    ({"invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "wmp"}]},
     "invited[2].agency", "twice"),
    ({"invited": [{"agency": "wmp", "invited_at": "2026-11-20T08:50:00"},
                  {"agency": "hilltop-gp"}]},
     "invited[0].invited_at", "offset"),
    ({"invited": [{"invited_at": "2026-11-20T08:50:00Z"}]}, "invited[0].agency", "required"),
    ({"not_invited_reasons": {"health": "   "}}, "not_invited_reasons.health.value", "blank"),
    ({"venue": "Council House"}, "venue", "Unknown field"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_a_malformed_meeting_is_rejected_naming_the_field(
    practitioner, case, trail, overrides, field, says
):
    before = trail.length()
    refused = practitioner.post(MEETINGS, json=meeting_body(case, **overrides))
    assert_problem(refused, 422, field, says)
    assert trail.length() == before


@pytest.mark.parametrize("field", ["contact_id", "children", "convened_at", "scheduled_for",
                                   "chair", "invited"])
def test_each_required_field_of_a_meeting_is_named_when_missing(practitioner, case, field):
    body = meeting_body(case)
    del body[field]
    assert_problem(practitioner.post(MEETINGS, json=body), 422, field, "required")


def test_scheduled_for_may_equal_convened_at_and_convened_at_may_equal_the_decision_time(
    practitioner, case
):
    meeting = convene(practitioner, case, convened_at="2026-11-20T08:30:00Z",
                      scheduled_for="2026-11-20T08:30:00Z")
    assert meeting["scheduled_for"] == meeting["convened_at"] == "2026-11-20T08:30:00Z"


def test_a_convened_at_with_an_offset_is_stored_in_utc(practitioner, case):
    meeting = convene(practitioner, case, convened_at="2026-11-20T09:45:00+01:00")
    assert meeting["convened_at"] == "2026-11-20T08:45:00Z"


def test_an_invitation_sent_in_the_future_is_rejected(practitioner, case):
    refused = practitioner.post(MEETINGS, json=meeting_body(case, invited=[
        {"agency": "wmp", "invited_at": "2026-11-21T09:00:00Z"}, {"agency": "hilltop-gp"}]))
    assert_problem(refused, 422, "invited[0].invited_at", says="future")
