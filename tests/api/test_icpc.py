"""The initial child protection conference (ICPC) an s47 enquiry leads to, and its timeliness.

Held (a London date, and for each child of the meeting whether a child protection plan was made)
or not required with a reason; once per meeting; each rule shown both ways, with nothing written
to the audit trail when refused. Then the metrics over a small set worked out by hand.
"""

import uuid

import pytest

from tests.helpers import (
    MEETINGS, NEW_HOLIDAY, NHS_OTHER, assert_problem, child, convene, record_outcome,
    strategy_case, utc,
)


TWO_CHILDREN = [child("Amelia", "9434765919"), child("Ben", NHS_OTHER)]
NOT_REQUIRED = {"not_required": True, "reason": "Police and health agree the risk is met by a plan."}


def s47_meeting(client, outcome="s47_enquiry", children=None, **times):
    """A held meeting (20 Nov 2026 09:30Z by default; ICPC due 11 Dec 2026)."""
    contact = {"children": children} if children else {}
    case = strategy_case(client, decided_at=times.get("decided_at", "2026-11-20T08:30:00Z"),
                         received_at=times.get("received_at", "2026-11-20T08:00:00Z"), **contact)
    meeting = convene(client, case, convened_at=times.get("convened_at", "2026-11-20T08:45:00Z"),
                      scheduled_for=times.get("held_at", "2026-11-20T09:30:00Z"))
    return record_outcome(client, meeting["id"], outcome=outcome,
                          held_at=times.get("held_at", "2026-11-20T09:30:00Z"))


def held_body(meeting, held_on, *plans):
    plans = plans or (False,) * len(meeting["children"])
    return {"held_on": held_on, "child_protection_plan": [
        {"child_id": child_id, "plan": plan} for child_id, plan in zip(meeting["children"], plans)]}


def post_icpc(client, meeting, body, **kwargs):
    return client.post(f"{MEETINGS}/{meeting['id']}/icpc", json=body, **kwargs)


def record_icpc(client, meeting, body):
    recorded = post_icpc(client, meeting, body)
    assert recorded.status_code == 201, recorded.json
    return recorded.json


@pytest.fixture
def meeting(practitioner):
    return s47_meeting(practitioner)


# ---- recorded --------------------------------------------------------------------------------


def test_an_icpc_held_by_the_due_date_is_recorded_within_timescale_with_each_childs_plan(
    practitioner, auditor, clock, trail
):
    meeting = s47_meeting(practitioner, children=TWO_CHILDREN)
    assert meeting["icpc_due_date"] == "2026-12-11"
    assert meeting["icpc"] is None
    clock.set(utc("2026-12-11T16:00:00Z"))
    before = trail.length()

    recorded = post_icpc(practitioner, meeting, held_body(meeting, "2026-12-11", True, False))

    assert recorded.status_code == 201, recorded.json
    assert recorded.headers["Location"].endswith(f"{MEETINGS}/{meeting['id']}")
    first, second = meeting["children"]
    assert recorded.json["icpc"] == {
        "held_on": "2026-12-11", "within_timescale": True, "not_required": False, "reason": None,
        "children": [{"child_id": first, "child_protection_plan": True},
                     {"child_id": second, "child_protection_plan": False}],
    }
    assert auditor.get(f"{MEETINGS}/{meeting['id']}").json == recorded.json
    assert trail.length() == before + 1
    event = trail.last()
    assert event["action"] == "strategy_meeting.icpc_recorded"
    assert event["actor"]["sub"] == "priya"
    assert event["data"]["icpc_held_on"] == "2026-12-11"
    assert event["data"]["children"] == [{"child_id": first, "child_protection_plan": True},
                                         {"child_id": second, "child_protection_plan": False}]


def test_an_icpc_held_the_working_day_after_the_due_date_is_outside_timescale(
    practitioner, meeting, clock
):
    clock.set(utc("2026-12-14T12:00:00Z"))  # Monday after Friday 11 Dec
    recorded = record_icpc(practitioner, meeting, held_body(meeting, "2026-12-14", True))
    assert recorded["icpc"]["within_timescale"] is False
    assert recorded["icpc"]["children"][0]["child_protection_plan"] is True


def test_the_children_are_listed_in_the_meetings_order_whatever_the_order_sent(practitioner):
    meeting = s47_meeting(practitioner, children=TWO_CHILDREN)
    first, second = meeting["children"]
    recorded = record_icpc(practitioner, meeting, {"held_on": "2026-11-20", "child_protection_plan": [
        {"child_id": second, "plan": True}, {"child_id": first, "plan": False}]})
    assert recorded["icpc"]["children"] == [{"child_id": first, "child_protection_plan": False},
                                            {"child_id": second, "child_protection_plan": True}]


def test_an_icpc_may_be_recorded_as_not_required_with_a_reason(practitioner, api_as, meeting, trail):
    before = trail.length()
    recorded = record_icpc(api_as("manager", sub="mark"), meeting,
                           {"not_required": True, "reason": "  No longer meets the threshold.  "})
    assert recorded["icpc"] == {"held_on": None, "within_timescale": None, "not_required": True,
                                "reason": "No longer meets the threshold.", "children": []}
    assert trail.length() == before + 1
    assert trail.last()["data"]["icpc_not_required_reason"] == "No longer meets the threshold."
    assert trail.last()["actor"]["sub"] == "mark"


def test_held_on_may_be_the_day_of_the_meeting_and_today(practitioner, meeting):
    recorded = record_icpc(practitioner, meeting, held_body(meeting, "2026-11-20"))  # clock: 20 Nov
    assert recorded["icpc"]["held_on"] == "2026-11-20"
    assert recorded["icpc"]["within_timescale"] is True


def test_held_on_before_the_meeting_is_rejected(practitioner, meeting, trail):
    before = trail.length()
    refused = post_icpc(practitioner, meeting, held_body(meeting, "2026-11-19"))
    assert_problem(refused, 422, "held_on", "before")
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json["icpc"] is None


def test_held_on_in_the_future_is_rejected(practitioner, meeting, clock):
    clock.set(utc("2026-11-23T23:59:00Z"))  # still Monday 23 Nov in London (GMT)
    assert_problem(post_icpc(practitioner, meeting, held_body(meeting, "2026-11-24")), 422,
                   "held_on", "future")


def test_held_on_is_judged_against_the_london_date_of_the_meeting(practitioner, clock):
    clock.set(utc("2026-10-06T09:00:00Z"))
    # 23:30Z on 5 Oct is 00:30 on 6 Oct in London (BST).
    meeting = s47_meeting(practitioner, received_at="2026-10-05T22:00:00Z",
                          decided_at="2026-10-05T22:30:00Z", convened_at="2026-10-05T23:00:00Z",
                          held_at="2026-10-05T23:30:00Z")
    assert_problem(post_icpc(practitioner, meeting, held_body(meeting, "2026-10-05")), 422, "held_on")
    assert record_icpc(practitioner, meeting, held_body(meeting, "2026-10-06"))["icpc"]["held_on"] \
        == "2026-10-06"


# ---- the children ----------------------------------------------------------------------------


def test_a_child_not_of_the_meeting_is_rejected(practitioner, meeting):
    body = {"held_on": "2026-11-20",
            "child_protection_plan": [{"child_id": str(uuid.uuid4()), "plan": True}]}
    assert_problem(post_icpc(practitioner, meeting, body), 422,
                   "child_protection_plan[0].child_id", "not a child of this meeting")


def test_a_child_listed_twice_is_rejected(practitioner, meeting):
    child_id = meeting["children"][0]
    body = {"held_on": "2026-11-20", "child_protection_plan": [
        {"child_id": child_id, "plan": True}, {"child_id": child_id, "plan": False}]}
    assert_problem(post_icpc(practitioner, meeting, body), 422,
                   "child_protection_plan[1].child_id", "twice")


def test_every_child_of_the_meeting_must_have_an_entry(practitioner, trail):
    meeting = s47_meeting(practitioner, children=TWO_CHILDREN)
    before = trail.length()
    body = {"held_on": "2026-11-20", "child_protection_plan": [
        {"child_id": meeting["children"][0], "plan": True}]}
    assert_problem(post_icpc(practitioner, meeting, body), 422, "child_protection_plan",
                   meeting["children"][1])
    assert_problem(post_icpc(practitioner, meeting, {"held_on": "2026-11-20",
                                                     "child_protection_plan": []}),
                   422, "child_protection_plan")
    assert trail.length() == before


# ---- shape -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field", "says"), [
    ({}, "held_on", "required"),
    ({}, "child_protection_plan", "required"),
    ({"held_on": "2026-11-20"}, "child_protection_plan", "required"),
    ({"held_on": "20/11/2026", "child_protection_plan": []}, "held_on", None),
    ({"held_on": "2026-11-20", "child_protection_plan": [{"plan": True}]},
     "child_protection_plan[0].child_id", "required"),
    ({"held_on": "2026-11-20", "child_protection_plan": [{"child_id": "x", "plan": True}]},
     "child_protection_plan[0].child_id", None),
    ({"held_on": "2026-11-20", "child_protection_plan": [{"child_id": str(uuid.uuid4())}]},
     "child_protection_plan[0].plan", "required"),
    ({"held_on": "2026-11-20",
      "child_protection_plan": [{"child_id": str(uuid.uuid4()), "plan": "yes"}]},
     "child_protection_plan[0].plan", None),
    ({"not_required": True}, "reason", "why"),
    ({"not_required": True, "reason": "   "}, "reason", "blank"),
    ({"not_required": False, "reason": "No longer needed."}, "not_required", "true"),
    ({**NOT_REQUIRED, "held_on": "2026-11-20"}, "held_on", "not with not_required"),
    ({**NOT_REQUIRED, "child_protection_plan": []}, "child_protection_plan", "not with"),
    ({"held_on": "2026-11-20", "child_protection_plan": [], "reason": "Because."}, "reason",
     "only with not_required"),
    ({**NOT_REQUIRED, "venue": "Civic centre"}, "venue", None),
])
def test_a_malformed_icpc_is_rejected_naming_the_field(practitioner, meeting, trail, body, field,
                                                       says):
    before = trail.length()
    assert_problem(post_icpc(practitioner, meeting, body), 422, field, says)
    assert trail.length() == before


# ---- when it may be recorded -----------------------------------------------------------------


@pytest.mark.parametrize("day", ["2026-11-21", "2026-11-22", "2026-11-14"],
                         ids=["the Saturday after", "the Sunday after", "a Saturday before the meeting"])
def test_an_icpc_on_a_weekend_is_refused_as_the_dfe_census_refuses_it(
    practitioner, meeting, clock, trail, day,
):
    """DfE CIN census rule 8875: an initial child protection conference is not held on a
    Saturday or Sunday. Checked first, so a weekend date is named as such wherever it falls."""
    clock.set(utc("2026-11-23T12:00:00Z"))  # Monday: neither weekend day is in the future
    before = trail.length()
    answer = post_icpc(practitioner, meeting, held_body(meeting, day, True))
    assert_problem(answer, 422, "held_on", "weekend")
    assert "8875" in answer.json["detail"]
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json["icpc"] is None
    # The Monday after is a weekday: recorded.
    assert record_icpc(practitioner, meeting, held_body(meeting, "2026-11-23", True))["icpc"][
        "held_on"] == "2026-11-23"


def test_a_plan_is_recorded_with_its_category_of_abuse_for_the_census(practitioner, trail):
    meeting = s47_meeting(practitioner, children=TWO_CHILDREN)
    first, second = meeting["children"]
    body = {"held_on": "2026-11-20", "child_protection_plan": [
        {"child_id": first, "plan": True, "category_of_abuse": "NEG"},
        {"child_id": second, "plan": False}]}
    recorded = record_icpc(practitioner, meeting, body)
    assert recorded["icpc"]["children"] == [
        {"child_id": first, "child_protection_plan": True, "category_of_abuse": "NEG"},
        {"child_id": second, "child_protection_plan": False}]
    assert trail.last()["data"]["children"][0]["category_of_abuse"] == "NEG"


@pytest.mark.parametrize("item, field", [
    ({"plan": False, "category_of_abuse": "NEG"}, "child_protection_plan[0].category_of_abuse"),
    ({"plan": True, "category_of_abuse": "ABC"}, "child_protection_plan[0].category_of_abuse"),
])
def test_a_category_of_abuse_without_a_plan_or_unknown_is_refused(practitioner, meeting, item,
                                                                  field):
    body = {"held_on": "2026-11-20",
            "child_protection_plan": [{"child_id": meeting["children"][0], **item}]}
    assert_problem(post_icpc(practitioner, meeting, body), 422, field)


def test_an_icpc_is_recorded_once(practitioner, api_as, meeting, trail):
    record_icpc(practitioner, meeting, held_body(meeting, "2026-11-20", True))
    before = trail.length()
    for body in (NOT_REQUIRED, held_body(meeting, "2026-11-20", False)):
        assert_problem(post_icpc(api_as("manager", sub="mark"), meeting, body), 409)
    assert trail.length() == before
    icpc = practitioner.get(f"{MEETINGS}/{meeting['id']}").json["icpc"]
    assert icpc["children"][0]["child_protection_plan"] is True


@pytest.mark.parametrize("outcome", ["assessment", "early_help", "no_further_action"])
def test_an_icpc_for_a_meeting_whose_outcome_is_not_s47_is_a_conflict(practitioner, trail, outcome):
    meeting = s47_meeting(practitioner, outcome=outcome)
    before = trail.length()
    assert_problem(post_icpc(practitioner, meeting, held_body(meeting, "2026-11-20")), 409)
    assert_problem(post_icpc(practitioner, meeting, NOT_REQUIRED), 409)
    assert trail.length() == before


def test_an_icpc_for_a_meeting_not_yet_held_is_a_conflict(practitioner):
    meeting = convene(practitioner, strategy_case(practitioner))
    assert_problem(post_icpc(practitioner, meeting, NOT_REQUIRED), 409)


def test_an_icpc_for_an_unknown_meeting_is_404(practitioner):
    assert_problem(post_icpc(practitioner, {"id": uuid.uuid4()}, NOT_REQUIRED), 404)


@pytest.mark.parametrize(("role", "claims"), [
    ("agency", {"agency": "wmp"}), ("admin", {}), ("auditor", {}),
])
def test_only_practitioners_and_managers_may_record_an_icpc(api_as, practitioner, meeting, trail,
                                                            role, claims):
    before = trail.length()
    assert_problem(post_icpc(api_as(role, sub="someone", **claims), meeting, NOT_REQUIRED), 403)
    assert trail.length() == before


def test_no_token_is_401(anonymous, meeting):
    assert_problem(post_icpc(anonymous, meeting, NOT_REQUIRED), 401)


def test_recording_an_icpc_honours_if_match(practitioner, meeting):
    url = f"{MEETINGS}/{meeting['id']}"
    assert_problem(post_icpc(practitioner, meeting, NOT_REQUIRED, headers={"If-Match": '"stale"'}),
                   412)
    assert practitioner.get(url).json["icpc"] is None
    etag = practitioner.get(url).headers["ETag"]
    recorded = post_icpc(practitioner, meeting, NOT_REQUIRED, headers={"If-Match": etag})
    assert recorded.status_code == 201, recorded.json


def test_a_newly_announced_bank_holiday_puts_a_late_icpc_within_timescale(
    practitioner, meeting, clock, recompute, announce_holiday
):
    clock.set(utc("2026-12-14T12:00:00Z"))
    assert record_icpc(practitioner, meeting, held_body(meeting, "2026-12-14"))["icpc"][
        "within_timescale"] is False
    announce_holiday(NEW_HOLIDAY)  # Monday 23 November 2026: the due date moves to 14 December

    assert recompute()["strategy_meetings"] == 1

    read = practitioner.get(f"{MEETINGS}/{meeting['id']}").json
    assert (read["icpc_due_date"], read["icpc"]["within_timescale"]) == ("2026-12-14", True)


# ---- chronology ------------------------------------------------------------------------------


def test_the_chronologies_show_the_icpc_when_it_was_recorded(practitioner, api_as, clock):
    meeting = s47_meeting(practitioner, children=TWO_CHILDREN)
    clock.set(utc("2026-12-14T12:00:00Z"))
    record_icpc(api_as("manager", sub="mark"), meeting,
                held_body(meeting, "2026-12-14", True, False))
    expected = {
        "at": "2026-12-14T12:00:00Z", "kind": "icpc_recorded",
        "summary": "Initial child protection conference held on 2026-12-14 (outside timescale): "
                   "1 of 2 children made subject to a child protection plan.",
        "by": "mark", "ref": {"type": "strategy_meeting", "id": meeting["id"]},
        "contact_id": meeting["contact_id"],
    }
    history = practitioner.get(f"/api/v1/contacts/{meeting['contact_id']}/history").json["items"]
    assert history[-1] == expected
    chronology = practitioner.get(f"/api/v1/children/{meeting['children'][1]}/chronology")
    assert chronology.status_code == 200, chronology.json
    assert chronology.json["items"][-1] == expected


def test_an_icpc_not_required_shows_its_reason_in_the_chronology(practitioner, meeting):
    record_icpc(practitioner, meeting, NOT_REQUIRED)
    history = practitioner.get(f"/api/v1/contacts/{meeting['contact_id']}/history").json["items"]
    assert history[-1]["kind"] == "icpc_recorded"
    assert history[-1]["summary"] == ("Initial child protection conference not required: "
                                      + NOT_REQUIRED["reason"])


# ---- metrics ---------------------------------------------------------------------------------
#
# Meetings by the month they were convened (all s47 unless said), the ICPC and its due date:
#   O1  5 Oct   held 5 Oct, ICPC due 26 Oct; held 26 Oct (on the due date), 1 child on a plan
#   N1 20 Nov   two children; due 11 Dec; held 11 Dec (within), both children on a plan
#   N2 20 Nov   due 11 Dec; held 14 Dec (late), no plan
#   N3 20 Nov   ICPC not required
#   N4 20 Nov   no ICPC recorded yet
#   N5 20 Nov   outcome assessment (no ICPC)
# November: ICPCs held 2 (N1, N2), within 1 of 2 = 50.0%, children on a plan 2 (N1's two).
# October: held 1, within 1 of 1, on a plan 1. The October-November period: held 3, within 2 of
# 3 = 66.7%, on a plan 3.

ICPC_FIGURES = ("s47_enquiries", "icpcs_held", "icpc_within_15_working_days",
                "children_subject_to_plan")


def icpc_figures(section):
    return {name: section[name] for name in ICPC_FIGURES}


def figures(s47, held, within, of, percent, on_plan):
    return {"s47_enquiries": s47, "icpcs_held": held,
            "icpc_within_15_working_days": {"count": within, "of": of, "percent": percent},
            "children_subject_to_plan": on_plan}


@pytest.fixture
def icpcs(practitioner, clock):
    o1 = s47_meeting(practitioner, received_at="2026-10-05T08:00:00Z",
                     decided_at="2026-10-05T08:30:00Z", convened_at="2026-10-05T08:45:00Z",
                     held_at="2026-10-05T09:30:00Z")
    assert o1["icpc_due_date"] == "2026-10-26"
    n1 = s47_meeting(practitioner, children=TWO_CHILDREN)
    n2, n3, n4 = (s47_meeting(practitioner) for _ in range(3))
    n5 = s47_meeting(practitioner, outcome="assessment")
    assert n5["icpc_due_date"] is None
    clock.set(utc("2026-12-15T12:00:00Z"))
    assert record_icpc(practitioner, o1, held_body(o1, "2026-10-26", True))["icpc"]["within_timescale"]
    assert record_icpc(practitioner, n1, held_body(n1, "2026-12-11", True, True))["icpc"]["within_timescale"]
    assert not record_icpc(practitioner, n2, held_body(n2, "2026-12-14", False))["icpc"]["within_timescale"]
    record_icpc(practitioner, n3, NOT_REQUIRED)
    return n4


def test_the_icpc_figures_for_a_month(auditor, icpcs):
    body = auditor.get("/api/v1/metrics/timeliness?from=2026-11-01&to=2026-12-01").json
    assert icpc_figures(body["strategy_meetings"]) == figures(4, 2, 1, 2, 50.0, 2)
    assert body["strategy_meetings"]["convened"] == 5


def test_the_icpc_figures_by_month(auditor, icpcs):
    body = auditor.get(
        "/api/v1/metrics/timeliness?from=2026-10-01&to=2026-12-01&group_by=month").json
    assert [(g["key"], icpc_figures(g["strategy_meetings"])) for g in body["groups"]] == [
        ("2026-10", figures(1, 1, 1, 1, 100.0, 1)),
        ("2026-11", figures(4, 2, 1, 2, 50.0, 2)),
    ]
    whole = auditor.get("/api/v1/metrics/timeliness?from=2026-10-01&to=2026-12-01").json
    assert icpc_figures(whole["strategy_meetings"]) == figures(5, 3, 2, 3, 66.7, 3)


def test_the_icpc_figures_by_source_agency(auditor, icpcs):
    body = auditor.get(
        "/api/v1/metrics/timeliness?from=2026-10-01&to=2026-12-01&group_by=source_agency").json
    assert [(g["key"], icpc_figures(g["strategy_meetings"])) for g in body["groups"]] == [
        ("wmp", figures(5, 3, 2, 3, 66.7, 3)),
    ]


def test_a_period_without_icpcs_gives_zeros_and_a_null_percent(auditor, icpcs):
    body = auditor.get("/api/v1/metrics/timeliness?from=2026-12-01&to=2027-01-01").json
    assert icpc_figures(body["strategy_meetings"]) == figures(0, 0, 0, 0, None, 0)


@pytest.mark.parametrize("subdivision, due", [("ENG", "2026-12-11"), ("SCT", "2026-12-14")])
def test_the_icpc_due_date_counts_the_configured_subdivisions_holidays_and_recompute_agrees(
        practitioner, app, monkeypatch, recompute, subdivision, due):
    # Monday 30 November 2026 is St Andrew's Day: a bank holiday in Scotland, not in England.
    monkeypatch.setitem(app.config, "HOLIDAY_SUBDIVISION", subdivision)
    meeting = s47_meeting(practitioner)
    assert meeting["icpc_due_date"] == due
    assert recompute()["strategy_meetings"] == 0


def test_minutes_written_at_the_last_instant_of_their_deadline_are_on_time_and_stay_so(
        practitioner, clock, recompute):
    meeting = s47_meeting(practitioner)  # held Friday 20 November 2026, 09:30Z
    clock.set(utc("2026-11-24T09:00:00Z"))
    minuted = practitioner.post(f"/api/v1/strategy-meetings/{meeting['id']}/minutes",
                                json={"minutes_recorded_at": "2026-11-23T23:59:59.999999Z"})
    assert minuted.status_code == 201, minuted.json
    assert minuted.json["minutes_within_1_working_day"] is True  # the end of Monday, London
    assert recompute()["strategy_meetings"] == 0
