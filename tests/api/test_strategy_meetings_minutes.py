"""A strategy meeting's minutes: recorded with the outcome or later, once, by whoever wrote them,
and judged against the end of the next working day."""

import uuid

import pytest

from tests.helpers import (
    MEETINGS, assert_problem, convene_and_hold, outcome_body, record_outcome, utc,
)


@pytest.mark.parametrize(("held_at", "minutes_recorded_at", "on_time"), [
    ("2026-11-20T09:30:00Z", "2026-11-20T09:30:00Z", True),   # the moment it ended
    ("2026-11-20T09:30:00Z", "2026-11-23T23:59:59Z", True),   # by the end of Monday (GMT)
    ("2026-11-20T09:30:00Z", "2026-11-24T00:00:00Z", False),  # Tuesday
    # BST: the end of the next working day is 22:59:59 UTC.
    ("2026-06-15T10:00:00Z", "2026-06-16T22:30:00Z", True),
    ("2026-06-15T10:00:00Z", "2026-06-16T23:30:00Z", False),
    # Christmas Eve: 25 Dec, the weekend and 28 Dec are not working days.
    ("2026-12-24T10:00:00Z", "2026-12-29T17:00:00Z", True),
    ("2026-12-24T10:00:00Z", "2026-12-30T09:00:00Z", False),
])
def test_minutes_recorded_with_the_outcome_are_judged_against_the_next_working_day(
    practitioner, clock, held_at, minutes_recorded_at, on_time
):
    held = convene_and_hold(practitioner, clock, received_at=held_at, convened_at=held_at,
                            held_at=held_at, now="2027-01-04T12:00:00Z",
                            minutes_recorded_at=minutes_recorded_at)
    assert held["minutes_recorded_at"] == minutes_recorded_at
    assert held["minutes_within_1_working_day"] is on_time


def test_minutes_written_later_are_recorded_once_with_their_timeliness(
    practitioner, api_as, clock, held_meeting, trail
):
    clock.set(utc("2026-11-23T16:00:00Z"))
    before = trail.length()
    recorded = practitioner.post(f"{MEETINGS}/{held_meeting['id']}/minutes",
                                 json={"minutes_recorded_at": "2026-11-23T15:00:00Z"})
    assert recorded.status_code == 201, recorded.json
    assert recorded.headers["Location"].endswith(f"{MEETINGS}/{held_meeting['id']}")
    assert recorded.json["minutes_recorded_at"] == "2026-11-23T15:00:00Z"
    assert recorded.json["minutes_within_1_working_day"] is True
    assert recorded.json["outcome"] == "s47_enquiry"
    assert trail.length() == before + 1
    assert trail.actions(held_meeting["id"])[-1] == "strategy_meeting.minutes_recorded"
    assert trail.last()["data"] == {"minutes_recorded_at": "2026-11-23T15:00:00.000000Z",
                                    "minutes_within_1_working_day": True}

    again = api_as("manager", sub="mark").post(f"{MEETINGS}/{held_meeting['id']}/minutes",
                                               json={"minutes_recorded_at": "2026-11-23T15:30:00Z"})
    assert_problem(again, 409)
    assert trail.length() == before + 1


def test_late_minutes_are_reported_late(practitioner, clock, held_meeting):
    clock.set(utc("2026-11-25T16:00:00Z"))
    recorded = practitioner.post(f"{MEETINGS}/{held_meeting['id']}/minutes",
                                 json={"minutes_recorded_at": "2026-11-24T09:00:00Z"})
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["minutes_within_1_working_day"] is False


def test_minutes_before_the_outcome_is_recorded_get_409(practitioner, meeting, trail):
    before = trail.length()
    early = practitioner.post(f"{MEETINGS}/{meeting['id']}/minutes",
                              json={"minutes_recorded_at": "2026-11-20T09:45:00Z"})
    assert_problem(early, 409)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json["minutes_recorded_at"] is None


def test_minutes_already_recorded_with_the_outcome_cannot_be_recorded_again(practitioner, meeting):
    record_outcome(practitioner, meeting["id"], minutes_recorded_at="2026-11-20T09:50:00Z")
    again = practitioner.post(f"{MEETINGS}/{meeting['id']}/minutes",
                              json={"minutes_recorded_at": "2026-11-20T09:55:00Z"})
    assert_problem(again, 409)


@pytest.mark.parametrize(("body", "field", "says"), [
    ({"minutes_recorded_at": "2026-11-20T09:29:59Z"}, "minutes_recorded_at", "held_at"),
    ({"minutes_recorded_at": "2026-11-20T10:05:00Z"}, "minutes_recorded_at", "future"),
    ({"minutes_recorded_at": "2026-11-20T09:45:00"}, "minutes_recorded_at", "offset"),
    ({}, "minutes_recorded_at", "required"),
    ({"minutes_recorded_at": "2026-11-20T09:45:00Z", "by": "priya"}, "by", "Unknown field"),
], ids=["before-held", "future", "naive", "missing", "unknown-field"])
def test_wrong_minutes_are_rejected_naming_the_field(
    practitioner, held_meeting, trail, body, field, says
):
    before = trail.length()
    refused = practitioner.post(f"{MEETINGS}/{held_meeting['id']}/minutes", json=body)
    assert_problem(refused, 422, field, says)
    assert trail.length() == before


def test_minutes_at_the_moment_the_meeting_ended_are_accepted(practitioner, held_meeting):
    recorded = practitioner.post(f"{MEETINGS}/{held_meeting['id']}/minutes",
                                 json={"minutes_recorded_at": held_meeting["held_at"]})
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["minutes_within_1_working_day"] is True


def test_minutes_for_an_unknown_meeting_are_404(practitioner):
    missing = practitioner.post(f"{MEETINGS}/{uuid.uuid4()}/minutes",
                                json={"minutes_recorded_at": "2026-11-20T09:45:00Z"})
    assert_problem(missing, 404)


def test_minutes_recorded_later_are_credited_to_whoever_recorded_them(practitioner, api_as, meeting, clock):
    held = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body())
    assert held.status_code == 201, held.json
    colleague = api_as("manager", sub="mark", service="mash")
    minutes = colleague.post(f"{MEETINGS}/{meeting['id']}/minutes",
                             json={"minutes_recorded_at": "2026-11-20T09:50:00Z"})
    assert minutes.status_code == 201, minutes.json
    history = practitioner.get(f"/api/v1/contacts/{meeting['contact_id']}/history").json["items"]
    minutes_items = [i for i in history if i["kind"] == "strategy_meeting_minutes_recorded"]
    assert [i["by"] for i in minutes_items] == ["mark"]
