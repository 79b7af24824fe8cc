"""After the front door (issue 18): a referral allocated to a team and a worker, its single
assessments (started, completed by a manager with the child seen, factors, outcome, rationale;
due 45 working days after the referral), its closure with a CIN census reason, its primary need,
and a child's disability. The CIN census's own validation rules that the records could break are
refused when written."""

import pytest

from tests.helpers import (
    CLOSURE_RATIONALE, OUTCOME_RATIONALE, allocate, assert_problem, child, child_of, close,
    complete, created, decide, make_account, new_nhs_number, record_contact, start, step_down, utc,
)

REFERRAL_RATIONALE = "The family needs an assessment of the children's needs: repeated police call-outs."


def referral(practitioner, police, outcome="assessment", decided_at="2026-11-20T09:30:00Z"):
    """A contact decided `outcome` (a referral for assessment by default) at `decided_at`."""
    contact = record_contact(police, consent={"status": "given", "given_by": "Mother"})
    decide(practitioner, contact["id"], outcome, decided_at)
    return contact


@pytest.fixture
def case(practitioner, police):
    return referral(practitioner, police)


# ---- allocation -------------------------------------------------------------------------------


def test_a_referral_is_allocated_to_a_team_and_a_worker_and_every_allocation_is_kept(
    practitioner, manager, police, case, clock, trail,
):
    before = trail.length()
    first = created(allocate(manager, case, allocated_at="2026-11-20T09:40:00Z"))
    assert first["allocation"] == {"team": "Assessment team 2", "worker": "sam",
                                   "at": "2026-11-20T09:40:00Z"}
    clock.advance(hours=1)
    again = created(allocate(manager, case, team="Assessment team 3", worker="tom"))
    assert again["allocation"] == {"team": "Assessment team 3", "worker": "tom",
                                   "at": "2026-11-20T11:00:00Z"}
    assert [(a["team"], a["worker"], a["by"]) for a in again["allocation_history"]] == [
        ("Assessment team 2", "sam", "mark"), ("Assessment team 3", "tom", "mark")]
    assert practitioner.get(f"/api/v1/contacts/{case['id']}").json["allocation"] == \
        again["allocation"]
    assert trail.length() == before + 2
    assert trail.actions(case["id"])[-2:] == ["referral.allocated", "referral.allocated"]
    # The referring agency never sees it.
    shown = police.get(f"/api/v1/contacts/{case['id']}").json
    assert "allocation" not in shown and "allocation_history" not in shown


@pytest.mark.parametrize("outcome", ["nfa", "early_help", "information_advice"])
def test_only_a_referral_is_allocated(practitioner, manager, police, outcome):
    contact = referral(practitioner, police, outcome)
    assert_problem(allocate(manager, contact), 409, says=None)
    undecided = record_contact(police)
    assert_problem(allocate(manager, undecided), 409)


def test_an_allocation_before_the_referral_or_in_the_future_is_refused(manager, case):
    assert_problem(allocate(manager, case, allocated_at="2026-11-20T09:29:59Z"), 422,
                   "allocated_at", "before the referral")
    assert_problem(allocate(manager, case, allocated_at="2026-11-21T10:00:00Z"), 422,
                   "allocated_at", "future")


@pytest.mark.parametrize("body, field", [
    ({"team": ""}, "team"), ({"worker": "   "}, "worker"), ({"team": "x" * 101}, "team"),
    ({"allocated_at": "2026-11-20T09:40:00"}, "allocated_at"), ({"grade": "senior"}, "grade"),
])
def test_a_malformed_allocation_is_refused_naming_the_field(manager, case, trail, body, field):
    before = trail.length()
    assert_problem(allocate(manager, case, **body), 422, field)
    assert trail.length() == before


@pytest.mark.parametrize("role, claims", [("agency", {"agency": "wmp"}), ("auditor", {}),
                                          ("admin", {})])
def test_only_staff_allocate(api_as, case, role, claims):
    assert_problem(allocate(api_as(role, sub="someone", **claims), case), 403)


# ---- single assessments -----------------------------------------------------------------------


def test_an_assessment_is_due_45_working_days_after_the_referral(practitioner, case, trail):
    before = trail.length()
    answer = start(practitioner, case)
    assessment = created(answer)
    assert answer.headers["Location"].endswith(f"/api/v1/assessments/{assessment['id']}")
    # Friday 20 November 2026: the 45th working day after, with Christmas Day, the Monday
    # for Boxing Day and New Year's Day off, is Wednesday 27 January 2027.
    assert assessment["due_at"].startswith("2027-01-27T23:59:59")
    assert assessment["referred_at"] == "2026-11-20T09:30:00Z"
    assert (assessment["status"], assessment["overdue"], assessment["started_by"]) == (
        "open", False, "priya")
    assert assessment["reference"].startswith("A-2026-")
    assert trail.length() == before + 1
    assert trail.actions(assessment["id"]) == ["assessment.started"]
    assert practitioner.get(f"/api/v1/assessments/{assessment['id']}").json == assessment


def test_one_assessment_of_a_child_on_a_referral(practitioner, case):
    created(start(practitioner, case))
    assert_problem(start(practitioner, case), 409, "child_id")


def test_an_assessment_is_of_one_of_the_referrals_children(practitioner, police, case):
    other = record_contact(police, children=[{
        "given_name": "Noah", "family_name": "Price", "date_of_birth": "2017-06-01"}])
    assert child_of(other) != child_of(case)
    assert_problem(start(practitioner, case, child_id=child_of(other)), 422, "child_id")


def test_an_assessment_started_before_the_referral_or_in_the_future_is_refused(practitioner, case):
    assert_problem(start(practitioner, case, "2026-11-19T23:59:00Z"), 422, "started_at", "before")
    assert_problem(start(practitioner, case, "2026-11-20T11:00:00Z"), 422, "started_at", "future")


def test_only_a_referral_is_assessed(practitioner, police):
    assert_problem(start(practitioner, referral(practitioner, police, "nfa")), 409)


def test_a_manager_completes_the_assessment_and_its_primary_need_becomes_the_referrals(
    practitioner, manager, case, trail,
):
    assessment = created(start(practitioner, case))
    before = trail.length()
    done = created(complete(manager, assessment, primary_need="N4"))
    assert done["status"] == "completed"
    assert (done["child_seen_at"], done["authorised_at"], done["authorised_by"]) == (
        "2026-11-20T09:50:00Z", "2026-11-20T09:55:00Z", "mark")
    assert done["factors"] == ["3A", "4B"]
    assert (done["outcome"], done["rationale"], done["within_45_working_days"]) == (
        "child_in_need_plan", OUTCOME_RATIONALE, True)
    assert practitioner.get(f"/api/v1/contacts/{case['id']}").json["primary_need"] == "N4"
    assert trail.length() == before + 2  # the assessment's event and the referral's
    assert trail.actions(assessment["id"])[-1] == "assessment.completed"
    assert trail.actions(case["id"])[-1] == "referral.primary_need_recorded"
    assert_problem(complete(manager, assessment), 409)


def test_an_assessment_authorised_after_its_due_date_is_outside_the_45_working_days(
    practitioner, manager, police, case, clock,
):
    assessment = created(start(practitioner, case))
    clock.set(utc("2027-01-28T10:00:00Z"))
    listed = practitioner.get("/api/v1/assessments?overdue=true").json["items"]
    assert [item["id"] for item in listed] == [assessment["id"]]
    done = created(complete(manager, assessment, authorised_at="2027-01-28T09:00:00Z"))
    assert (done["within_45_working_days"], done["overdue"]) == (False, False)
    # Authorised at the last instant of the due date (London): within.
    other = created(start(practitioner, referral(practitioner, police)))
    assert created(complete(manager, other, authorised_at=other["due_at"]))[
        "within_45_working_days"] is True


def test_the_worker_who_did_the_assessment_cannot_authorise_it(
    practitioner, manager, api_as, case,
):
    assessment = created(start(manager, case))  # mark started it: mark did it
    assert_problem(complete(manager, assessment), 422, "assessment", "did")
    # Allocated to another worker, it is theirs: mark may now authorise it.
    created(manager.post(f"/api/v1/assessments/{assessment['id']}/allocation",
                         json={"team": "Assessment team 2", "worker": "sam"}))
    sam = api_as("manager", sub="sam", service="social_care")
    assert_problem(complete(sam, assessment), 422, "assessment")
    assert created(complete(manager, assessment))["authorised_by"] == "mark"


@pytest.mark.parametrize("overrides, field, says", [
    ({"authorised_at": "2026-11-20T09:44:00Z", "child_seen_at": "2026-11-20T09:40:00Z"},
     "authorised_at", "before the assessment started"),
    ({"child_seen_at": "2026-11-19T12:00:00Z"}, "child_seen_at", "before the referral"),
    ({"child_seen_at": "2026-11-20T09:56:00Z"}, "child_seen_at", "authorised"),
    ({"authorised_at": "2026-11-20T11:00:00Z"}, "authorised_at", "future"),
    ({"factors": ["21", "3A"]}, "factors", "alone"),
    ({"factors": ["99Z"]}, "factors[0]", None),
    ({"factors": []}, "factors", None),
    ({"factors": ["3A", "3A"]}, "factors[1]", "twice"),
    ({"outcome": "adopted"}, "outcome", None),
    ({"rationale": "n/a"}, "rationale", None),
    ({"primary_need": "N10"}, "primary_need", None),
    ({"authorised_at": "2026-11-20T09:55:00"}, "authorised_at", None),
])
def test_an_assessment_completed_against_the_census_rules_is_refused(
    practitioner, manager, case, trail, overrides, field, says,
):
    assessment = created(start(practitioner, case))
    before = trail.length()
    assert_problem(complete(manager, assessment, **overrides), 422, field, says)
    assert trail.length() == before
    assert practitioner.get(f"/api/v1/assessments/{assessment['id']}").json["status"] == "open"


def test_only_a_manager_authorises_an_assessment(practitioner, api_as, case):
    assessment = created(start(practitioner, case))
    for client in (practitioner, api_as("auditor", sub="alex"), api_as("agency", agency="wmp")):
        assert_problem(complete(client, assessment), 403)


def test_assessments_are_listed_by_status_and_overdue(practitioner, manager, police, clock):
    first, second = referral(practitioner, police), referral(practitioner, police)
    open_one = created(start(practitioner, first))
    done = created(start(practitioner, second))
    created(complete(manager, done))

    def listed(query):
        answer = practitioner.get(f"/api/v1/assessments?{query}")
        assert answer.status_code == 200, answer.json
        return [item["id"] for item in answer.json["items"]]

    assert listed("status=open") == [open_one["id"]]
    assert listed("status=completed") == [done["id"]]
    assert listed("overdue=true") == []
    clock.set(utc("2027-01-28T10:00:00Z"))
    assert listed("overdue=true") == [open_one["id"]]
    assert set(listed("overdue=false")) == {done["id"]}
    assert set(listed(f"contact_id={first['id']}")) == {open_one["id"]}


def test_an_agency_never_reads_an_assessment(practitioner, police, case):
    assessment = created(start(practitioner, case))
    assert_problem(police.get(f"/api/v1/assessments/{assessment['id']}"), 403)
    assert_problem(police.get("/api/v1/assessments"), 403)


# ---- closure ----------------------------------------------------------------------------------


def test_a_referral_is_closed_once_with_its_reason_and_primary_need(
    practitioner, manager, case, trail,
):
    before = trail.length()
    closed = created(close(practitioner, case))
    assert closed["closure"] == {"closed_on": "2026-11-20", "reason": "RC7",
                                 "rationale": CLOSURE_RATIONALE, "by": "priya",
                                 "recorded_at": "2026-11-20T10:00:00Z"}
    assert closed["primary_need"] == "N4"
    assert trail.length() == before + 1
    assert trail.actions(case["id"])[-1] == "referral.closed"
    assert_problem(close(practitioner, case), 409)
    assert_problem(allocate(manager, case), 409)
    assert_problem(start(practitioner, case), 409)


def test_closing_after_assessment_needs_a_completed_assessment(practitioner, manager, case):
    assert_problem(close(practitioner, case, reason="RC8"), 422, "reason", "assessment")
    assessment = created(start(practitioner, case))
    assert_problem(close(practitioner, case, reason="RC8"), 409)  # still open
    created(complete(manager, assessment, primary_need="N5"))
    closed = created(close(practitioner, case, reason="RC8", primary_need=None))
    assert (closed["closure"]["reason"], closed["primary_need"]) == ("RC8", "N5")


def test_a_closure_without_a_primary_need_when_none_is_recorded_is_refused(practitioner, case):
    body = {"closed_on": "2026-11-20", "reason": "RC7", "rationale": CLOSURE_RATIONALE}
    assert_problem(practitioner.post(f"/api/v1/referrals/{case['id']}/closure", json=body), 422,
                   "primary_need")


@pytest.mark.parametrize("overrides, field", [
    ({"closed_on": "2026-11-19"}, "closed_on"), ({"closed_on": "2026-11-21"}, "closed_on"),
    ({"reason": "RC10"}, "reason"), ({"rationale": "tbc"}, "rationale"),
    ({"closed_on": "20/11/2026"}, "closed_on"),
])
def test_a_malformed_closure_is_refused_naming_the_field(practitioner, case, trail, overrides,
                                                         field):
    before = trail.length()
    assert_problem(close(practitioner, case, **overrides), 422, field)
    assert trail.length() == before


def test_only_a_referral_is_closed(practitioner, police):
    assert_problem(close(practitioner, referral(practitioner, police, "early_help")), 409)


# ---- a child's disability ---------------------------------------------------------------------


def test_a_childs_disability_is_recorded_and_shown(practitioner, case, trail):
    child = child_of(case)
    assert practitioner.get(f"/api/v1/children/{child}").json["disability"] is None
    answer = created(practitioner.post(f"/api/v1/children/{child}/disability",
                                       json={"disability": True, "disabilities": ["LD", "AUT"]}))
    assert (answer["disability"], answer["disabilities"]) == (True, ["LD", "AUT"])
    assert trail.actions(child)[-1] == "child.disability_recorded"
    none = created(practitioner.post(f"/api/v1/children/{child}/disability",
                                     json={"disability": False}))
    assert (none["disability"], none["disabilities"]) == (False, None)


@pytest.mark.parametrize("body, field", [
    ({"disability": True}, "disabilities"), ({"disability": True, "disabilities": []}, "disabilities"),
    ({"disability": False, "disabilities": ["LD"]}, "disabilities"),
    ({"disability": None, "disabilities": ["LD"]}, "disabilities"),
    ({"disability": True, "disabilities": ["NONE"]}, "disabilities[0]"),
    ({"disability": "maybe"}, "disability"), ({}, "disability"),
])
def test_a_disability_against_the_rules_is_refused(practitioner, case, trail, body, field):
    before = trail.length()
    assert_problem(practitioner.post(f"/api/v1/children/{child_of(case)}/disability", json=body),
                   422, field)
    assert trail.length() == before


# ---- the unallocated filter and the figures ---------------------------------------------------


def test_unallocated_referrals_are_a_filter_for_staff(practitioner, manager, police, case):
    allocated = referral(practitioner, police)
    created(allocate(manager, allocated))
    closed = referral(practitioner, police)
    created(close(practitioner, closed))
    not_a_referral = referral(practitioner, police, "nfa")
    # A referral superseded by no further action is no longer a referral.
    no_longer = record_contact(police, consent={"status": "given", "given_by": "Mother"})
    first = decide(practitioner, no_longer["id"], "assessment", "2026-11-20T09:30:00Z")
    decide(practitioner, no_longer["id"], "nfa", "2026-11-20T09:40:00Z", supersedes=first["id"],
           supersede_reason="The school had already arranged the support needed.")

    def listed(value):
        answer = practitioner.get(f"/api/v1/contacts?unallocated={value}")
        assert answer.status_code == 200, answer.json
        return {item["id"] for item in answer.json["items"]}

    assert listed("true") == {case["id"]}
    assert {allocated["id"], closed["id"], not_a_referral["id"], no_longer["id"]} <= listed("false")
    assert case["id"] not in listed("false")
    assert_problem(police.get("/api/v1/contacts?unallocated=true"), 422, "unallocated")


def figures(client, **query):
    answer = client.get("/api/v1/metrics/timeliness",
                        query_string={"from": "2026-11-01", "to": "2027-02-01", **query})
    assert answer.status_code == 200, answer.json
    return answer.json


def test_the_figures_count_assessments_and_allocation_within_their_working_days(
    practitioner, manager, police, auditor, clock,
):
    """Referrals decided Friday 20 November: allocated by Friday 27th (the 5th working day
    after) is on time; Monday 30th is late; never allocated is late once the 27th has passed.
    Assessments due Wednesday 27 January 2027."""
    on_time, late, never = (referral(practitioner, police) for _ in range(3))
    nfa = referral(practitioner, police, "nfa")  # not a referral: not counted
    clock.set(utc("2026-11-27T16:00:00Z"))
    created(allocate(manager, on_time))
    done_in_time = created(start(practitioner, on_time))
    created(complete(manager, done_in_time))
    assert figures(auditor)["allocation"] == {
        "referrals": 3, "allocated_within_5_working_days": {"count": 1, "of": 3, "percent": 33.3},
        "unallocated_over_5_working_days": 0}
    clock.set(utc("2026-11-30T09:00:00Z"))
    created(allocate(manager, late))
    done_late = created(start(practitioner, late))
    open_overdue = created(start(practitioner, never))
    clock.set(utc("2027-01-28T10:00:00Z"))
    created(complete(manager, done_late, authorised_at="2027-01-28T09:00:00Z"))

    whole = figures(auditor)
    assert whole["allocation"] == {
        "referrals": 3, "allocated_within_5_working_days": {"count": 1, "of": 3, "percent": 33.3},
        "unallocated_over_5_working_days": 2}
    assert whole["assessments"] == {
        "started": 3, "completed": 2, "within_45_working_days": {"count": 1, "of": 2, "percent": 50.0},
        "open": 1, "overdue": 1}
    assert whole["referrals"]["count"] == 3 and nfa
    by_month = {group["key"]: group for group in figures(auditor, group_by="month")["groups"]}
    assert by_month["2026-11"]["assessments"]["started"] == 3
    assert by_month["2026-11"]["allocation"]["unallocated_over_5_working_days"] == 2
    assert by_month["2026-12"]["assessments"]["started"] == 0
    by_agency = figures(auditor, group_by="source_agency")["groups"]
    assert [(g["key"], g["assessments"]["overdue"], g["allocation"]["referrals"])
            for g in by_agency] == [("wmp", 1, 3)]
    assert open_overdue["status"] == "open"


# ---- Annex A: Lists 2 and 4, and the columns the new records fill -------------------------------


def annex(client, name):
    answer = client.get(f"/api/v1/exports/annex-a/{name}",
                        query_string={"from": "2026-11-01", "to": "2026-12-01"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    import csv
    import io

    return list(csv.reader(io.StringIO(answer.get_data(as_text=True))))[1:]


def test_annex_a_lists_assessments_early_help_and_the_allocation_and_disability_of_each_child(
    practitioner, manager, police, auditor, staff, case, clock,
):
    child = child_of(case)
    reference = practitioner.get(f"/api/v1/children/{child}").json["reference"]
    created(practitioner.post(f"/api/v1/children/{child}/disability",
                              json={"disability": True, "disabilities": ["HEAR"]}))
    created(allocate(manager, case))
    open_one = created(start(practitioner, case))
    # List 4: open, then completed; the referral's allocation until the assessment has its own.
    row = annex(auditor, "assessments")
    assert row == [[reference, "Female", "NOBT: Information not yet obtained",
                    row[0][3], row[0][4], "Yes", "20/11/2026", "Unknown", "", "",
                    "Assessment team 2", "sam"]]
    created(manager.post(f"/api/v1/assessments/{open_one['id']}/allocation",
                         json={"team": "Assessment team 7", "worker": "tom"}))
    created(complete(manager, open_one))
    assert annex(auditor, "assessments")[0][5:] == [
        "Yes", "20/11/2026", "Yes", "20/11/2026", "Yes", "Assessment team 7", "tom"]
    # List 3: the referral's allocation.
    assert annex(auditor, "referrals")[0][-2:] == ["Assessment team 2", "sam"]
    # List 2: a contact decided early help, and a child stepped down to early help.
    helped = record_contact(police, consent={"status": "given", "given_by": "Mother"}, children=[
        {"given_name": "Noah", "family_name": "Price", "date_of_birth": "2017-06-01"}])
    decide(practitioner, helped["id"], "early_help", "2026-11-20T09:40:00Z")
    helped_ref = practitioner.get(f"/api/v1/children/{child_of(helped)}").json["reference"]
    down = created(step_down(staff.sc, child))
    created(staff.eh_manager.post(f"/api/v1/transitions/{down['id']}/response",
                                  json={"decision": "accepted"}))
    rows = annex(auditor, "early-help")
    assert [(r[0], r[5], r[6], r[7]) for r in rows] == [
        (helped_ref, "20/11/2026", "", "Early help service"),
        (reference, "20/11/2026", "", "Early help service")]


def test_annex_a_list_4_takes_in_the_london_midnight_a_period_starts_at_and_not_the_one_it_ends_at(
        practitioner, police, auditor, clock):
    """Started at 00:00 on 1 November (GMT): November's; at 23:59:59 on 31 October and at 00:00 on
    1 December: not. With no allocation on the assessment nor its referral, both cells are blank."""
    clock.set(utc("2026-12-02T10:00:00Z"))

    def referred():
        contact = record_contact(police, received_at="2026-10-31T09:00:00Z",
                                 consent={"status": "given", "given_by": "Mother"})
        decide(practitioner, contact["id"], "assessment", "2026-10-31T10:00:00Z")
        return contact

    contacts = [referred() for _ in range(3)]
    for contact, started_at in zip(contacts, ("2026-10-31T23:59:59Z", "2026-11-01T00:00:00Z",
                                              "2026-12-01T00:00:00Z"), strict=True):
        created(start(practitioner, contact, started_at=started_at))
    reference = practitioner.get(f"/api/v1/children/{child_of(contacts[1])}").json["reference"]

    assert [(row[0], row[6], row[-2], row[-1]) for row in annex(auditor, "assessments")] == [
        (reference, "01/11/2026", "", "")]


def test_annex_a_list_4_leaves_out_a_restricted_contacts_or_childs_assessment_for_those_not_named(
        practitioner, police, auditor, api_as):
    make_account("priya", "person", "practitioner", service="mash")
    by_contact, by_child, open_one = contacts = [
        record_contact(police, consent={"status": "given", "given_by": "Mother"},
                       children=[child(name, new_nhs_number())])
        for name in ("Amelia", "Ben", "Cara")]  # three children
    for contact in contacts:
        decide(practitioner, contact["id"], "assessment", "2026-11-20T09:30:00Z")
    for contact in (by_contact, by_child, open_one):
        created(start(practitioner, contact))
    mark = api_as("manager", sub="mark", service="mash")
    for entity_type, entity_id in (("contact", by_contact["id"]), ("child", child_of(by_child))):
        created(mark.post("/api/v1/restrictions", json={
            "entity_type": entity_type, "entity_id": entity_id, "allowed": ["priya"],
            "reason": "A relative of the child works in the MASH."}))

    assert len(annex(auditor, "assessments")) == 3
    sara = api_as("manager", sub="sara", service="social_care")
    shown = practitioner.get(f"/api/v1/children/{child_of(open_one)}").json["reference"]
    assert [row[0] for row in annex(sara, "assessments")] == [shown]


def test_annex_a_list_4_is_in_the_order_the_assessments_started_whatever_order_their_ids_fall_in(
        practitioner, police, auditor):
    """Six assessments a day apart (their ids are random: by id, in time order once in 720)."""
    started = []
    for day in range(2, 8):
        contact = record_contact(police, received_at="2026-11-02T08:00:00Z",
                                 consent={"status": "given", "given_by": "Mother"},
                                 children=[child("Amelia", new_nhs_number())])
        decide(practitioner, contact["id"], "assessment", "2026-11-02T09:30:00Z")
        created(start(practitioner, contact, started_at=f"2026-11-{day:02d}T10:00:00Z"))
        started.append(f"{day:02d}/11/2026")

    assert [row[6] for row in annex(auditor, "assessments")] == started
