"""Step-up and step-down requests over time: each due a response within five working days, the
overdue ones listed; the list's filters and pages; who may read them."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import (
    assert_problem, listed_transitions, open_child, requested, respond, step_down, step_up, utc,
    withdraw,
)


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
    due = utc(late["response_due_at"])
    assert due < utc(recent["response_due_at"])

    clock.set(due)
    assert listed_transitions(staff.auditor, "&overdue=true") == []
    clock.set(due + timedelta(microseconds=1))
    assert listed_transitions(staff.sc_manager, "&overdue=true") == [late["id"]]
    assert set(listed_transitions(staff.auditor, "&overdue=false")) == {answered["id"], withdrawn["id"], recent["id"]}
    clock.set(utc(recent["response_due_at"]) + timedelta(seconds=1))
    assert listed_transitions(staff.auditor, "&overdue=true") == [recent["id"], late["id"]]


def test_an_open_request_stops_being_overdue_once_answered(staff, clock):
    late = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    clock.set(utc(late["response_due_at"]) + timedelta(days=2))
    assert listed_transitions(staff.auditor, "&overdue=true") == [late["id"]]
    assert respond(staff.sc_manager, late["id"], "accepted").status_code == 201
    assert listed_transitions(staff.auditor, "&overdue=true") == []


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
        return set(listed_transitions(staff.auditor, query))

    assert ids("&status=requested") == {open_down["id"], open_up["id"]}
    assert ids("&status=accepted") == {accepted["id"]}
    assert ids("&status=refused") == {refused["id"]}
    assert ids("&status=withdrawn") == {withdrawn["id"]}
    assert ids("&direction=step_down") == {open_down["id"]}
    assert ids("&direction=step_up") == {refused["id"], withdrawn["id"], accepted["id"], open_up["id"]}
    assert ids("&direction=step_up&status=requested") == {open_up["id"]}
    assert ids("") == {refused["id"], withdrawn["id"], accepted["id"], open_down["id"], open_up["id"]}
    # A manager's inbox: the requests into their service (step-ups into social care, step-downs
    # into early help), and those out of a service.
    assert ids("&to_service=social_care") == {refused["id"], withdrawn["id"], accepted["id"],
                                               open_up["id"]}
    assert ids("&to_service=early_help&status=requested") == {open_down["id"]}
    assert ids("&from_service=social_care") == {open_down["id"]}
    assert ids("&from_service=early_help&to_service=early_help") == set()


@pytest.mark.parametrize("query, field", [
    ("status=pending", "status"), ("direction=across", "direction"), ("overdue=maybe", "overdue"),
    ("limit=0", "limit"), ("limit=501", "limit"), ("cursor=not-a-cursor", "cursor"),
    ("colour=blue", "colour"), ("to_service=mash", "to_service"),
    ("from_service=police", "from_service"),
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
    assert listed_transitions(reader) == [created["id"]]


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
