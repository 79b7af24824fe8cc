"""An assessment, an allocation and a closure as they are recorded and shown, whole: the view and
each write's audit event compared in full, the edges of each time rule (the very instant allowed),
the list's filters and pages, and who did the assessment. tests/api/test_assessments.py has the
rules each way; these are what a practitioner reads back and an auditor checks."""

import uuid
from datetime import timedelta

import pytest

from api.db import session
from api.models import Assessment
from tests.api.test_assessments import referral
from tests.helpers import (
    CLOSURE_RATIONALE, OUTCOME_RATIONALE, allocate, as_audited, assert_problem, audit_events, child,
    child_of, close, complete, created, decide, item_ids, new_nhs_number, record_contact, start,
    utc,
)

ASSESSMENTS = "/api/v1/assessments"


@pytest.fixture
def case(practitioner, police):
    return referral(practitioner, police)


def test_an_assessment_reads_whole_with_its_allocation_and_completion(
        practitioner, manager, case, clock):
    started = created(start(practitioner, case))
    allocated = created(manager.post(f"{ASSESSMENTS}/{started['id']}/allocation", json={
        "team": "Assessment team 2", "worker": "sam", "allocated_at": "2026-11-20T09:50:00Z"}))
    clock.advance(minutes=5)
    created(complete(manager, allocated, primary_need="N4", factors=["4B", "3A"]))

    shown = practitioner.get(f"{ASSESSMENTS}/{started['id']}").json
    assert shown == {
        "id": started["id"], "reference": started["reference"], "contact_id": case["id"],
        "child_id": child_of(case), "referred_at": "2026-11-20T09:30:00Z",
        "started_at": "2026-11-20T09:45:00Z", "started_by": "priya",
        "due_at": started["due_at"], "status": "completed", "overdue": False,
        "child_seen_at": "2026-11-20T09:50:00Z", "authorised_at": "2026-11-20T09:55:00Z",
        "authorised_by": "mark", "factors": ["4B", "3A"], "outcome": "child_in_need_plan",
        "rationale": OUTCOME_RATIONALE, "primary_need": "N4", "within_45_working_days": True,
        "allocation": {"team": "Assessment team 2", "worker": "sam",
                       "at": "2026-11-20T09:50:00Z"},
        "allocation_history": [{"team": "Assessment team 2", "worker": "sam",
                                "at": "2026-11-20T09:50:00Z", "by": "mark",
                                "recorded_at": "2026-11-20T10:00:00Z"}],
    }
    assert started["due_at"].startswith("2027-01-27T23:59:59")
    # When the completion was recorded (not only when the manager says it was authorised).
    record = session.get(Assessment, uuid.UUID(started["id"]))
    assert record.completion_recorded_at == utc("2026-11-20T10:05:00Z")


def test_every_write_is_audited_with_what_it_recorded(practitioner, manager, auditor, case):
    created(allocate(manager, case, allocated_at="2026-11-20T09:40:00Z"))
    started = created(start(practitioner, case))
    created(manager.post(f"{ASSESSMENTS}/{started['id']}/allocation", json={
        "team": "Assessment team 3", "worker": "tom"}))
    created(complete(manager, started, primary_need="N5"))
    created(close(practitioner, case, reason="RC8", primary_need=None))

    (_, allocated), (_, recorded), (_, closed) = [
        (action, data) for action, data in audit_events(auditor, case["id"])
        if action.startswith("referral.")]
    assert allocated == {"allocation_id": allocated["allocation_id"], "team": "Assessment team 2",
                         "worker": "sam", "allocated_at": "2026-11-20T09:40:00.000000Z"}
    uuid.UUID(allocated["allocation_id"])
    assert recorded == {"primary_need": "N5", "assessment_id": started["id"]}
    assert closed == {"closed_on": "2026-11-20", "reason": "RC8",
                      "rationale": CLOSURE_RATIONALE, "primary_need": "N5"}

    events = dict(audit_events(auditor, started["id"]))
    assert set(events) == {"assessment.started", "assessment.allocated", "assessment.completed"}
    assert (events["assessment.started"]["id"], events["assessment.started"]["started_at"]) == (
        started["id"], "2026-11-20T09:45:00.000000Z")
    now = as_audited(utc("2026-11-20T10:00:00Z"))
    assert events["assessment.allocated"] == {
        "allocation_id": events["assessment.allocated"]["allocation_id"],
        "team": "Assessment team 3", "worker": "tom", "allocated_at": now}
    assert events["assessment.completed"] == {
        "child_seen_at": "2026-11-20T09:50:00.000000Z",
        "authorised_at": "2026-11-20T09:55:00.000000Z", "factors": ["3A", "4B"],
        "outcome": "child_in_need_plan", "rationale": OUTCOME_RATIONALE, "primary_need": "N5",
        "within_45_working_days": True}


# ---- the very instant each time rule allows -----------------------------------------------------


def test_each_time_rule_allows_its_very_instant(practitioner, manager, case):
    """Allocated at the referral's instant; authorised at the instant the assessment started,
    with the child seen at that same instant."""
    assert created(allocate(manager, case, allocated_at="2026-11-20T09:30:00Z"))["allocation"][
        "at"] == "2026-11-20T09:30:00Z"
    started = created(start(practitioner, case, "2026-11-20T09:45:00Z"))
    done = created(complete(manager, started, child_seen_at="2026-11-20T09:45:00Z",
                            authorised_at="2026-11-20T09:45:00Z"))
    assert (done["child_seen_at"], done["authorised_at"]) == (
        "2026-11-20T09:45:00Z", "2026-11-20T09:45:00Z")


def test_no_factors_identified_stands_alone(practitioner, manager, case):
    started = created(start(practitioner, case))
    assert created(complete(manager, started, factors=["21"]))["factors"] == ["21"]


def test_a_child_seen_in_the_future_is_refused_naming_child_seen_at(practitioner, manager, case):
    started = created(start(practitioner, case))
    assert_problem(complete(manager, started, child_seen_at="2026-11-20T10:30:00Z",
                            authorised_at="2026-11-20T09:55:00Z"), 422, "child_seen_at", "future")


def test_a_closure_before_the_assessment_was_authorised_is_refused_naming_closed_on(
        practitioner, manager, case, clock):
    clock.set(utc("2026-11-23T10:00:00Z"))
    started = created(start(practitioner, case))
    created(complete(manager, started, authorised_at="2026-11-23T09:00:00Z"))
    problem = assert_problem(close(practitioner, case, closed_on="2026-11-20", reason="RC8"), 422,
                             "closed_on", "authorised")
    assert started["reference"] in problem["errors"]["closed_on"][0]


def test_each_child_of_a_referral_has_an_assessment_of_their_own(practitioner, police):
    contact = record_contact(police, consent={"status": "given", "given_by": "Mother"},
                             children=[child("Amelia", new_nhs_number()),
                                       child("Ben", new_nhs_number())])
    decide(practitioner, contact["id"], "assessment", "2026-11-20T09:30:00Z")
    for each in contact["children"]:
        assert created(start(practitioner, contact, child_id=each["id"]))["child_id"] == each["id"]


# ---- who did it ---------------------------------------------------------------------------------


def test_the_referrals_allocated_worker_did_the_assessment_and_cannot_authorise_it(
        practitioner, manager, api_as, police):
    """Not allocated itself, the assessment is the referral's worker's (else who started it)."""
    elsewhere = referral(practitioner, police)
    created(allocate(manager, elsewhere, worker="sam"))
    case = referral(practitioner, police)
    created(allocate(manager, case, worker="mark"))
    started = created(start(practitioner, case))  # priya started it; mark is the worker
    assert_problem(complete(manager, started), 422, "assessment", "did")
    assert created(complete(api_as("manager", sub="sam", service="social_care"), started))[
        "authorised_by"] == "sam"


# ---- the list -----------------------------------------------------------------------------------


def test_the_list_filters_by_child_and_when_started_and_pages_newest_first(
        practitioner, police, clock):
    clock.set(utc("2026-11-24T10:00:00Z"))
    two = record_contact(police, consent={"status": "given", "given_by": "Mother"},
                         children=[child("Amelia", new_nhs_number()),
                                   child("Ben", new_nhs_number())])
    decide(practitioner, two["id"], "assessment", "2026-11-20T09:30:00Z")
    started = [created(start(practitioner, two, f"2026-11-2{day}T09:00:00Z", child_id=each["id"]))
               for day, each in zip((1, 3), two["children"])]
    other = referral(practitioner, police)
    started.append(created(start(practitioner, other, "2026-11-22T09:00:00Z")))
    first, third, second = started  # started 21, 23 and 22 November

    def listed(**query):
        return item_ids(practitioner.get(ASSESSMENTS, query_string=query))

    assert listed(child_id=two["children"][1]["id"]) == [third["id"]]
    assert listed(**{"from": "2026-11-22T09:00:00Z"}) == [third["id"], second["id"]]
    assert listed(to="2026-11-22T09:00:00Z") == [first["id"]]
    page = practitioner.get(ASSESSMENTS, query_string={"limit": 2}).json
    assert [item["id"] for item in page["items"]] == [third["id"], second["id"]]
    rest = practitioner.get(ASSESSMENTS, query_string={"limit": 2, "cursor": page["next_cursor"]})
    assert item_ids(rest) == [first["id"]]


def test_an_assessment_is_overdue_after_its_due_instant_not_at_it(practitioner, case, clock):
    started = created(start(practitioner, case))
    due = utc(started["due_at"])

    def overdue():
        shown = practitioner.get(f"{ASSESSMENTS}/{started['id']}").json["overdue"]
        listed = started["id"] in item_ids(practitioner.get(ASSESSMENTS, query_string={
            "overdue": "true"}))
        return shown, listed

    clock.set(due)
    assert overdue() == (False, False)
    clock.set(due + timedelta(microseconds=1))
    assert overdue() == (True, True)
