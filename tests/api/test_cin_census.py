"""The DfE Children in Need census return (issue 18): GET /exports/cin-census?year=2026-27 and
`flask cin-census`. Each element is read back from the XML and compared with what was recorded;
the DfE's own validation of it is `make validate-cin` (tests/cin)."""

import uuid
import xml.etree.ElementTree as ET
from importlib.metadata import version

import pytest

from tests.api.test_icpc import NOT_REQUIRED, s47_meeting
from tests.helpers import (
    OUTCOME_RATIONALE, Case, StatementCounter, assert_problem, child, close, complete, convene,
    created, decide, new_nhs_number, record_contact, record_outcome, start, strategy_case, utc,
)

CENSUS = "/api/v1/exports/cin-census"
GIVEN = {"status": "given", "given_by": "Mother"}


def census(client, year="2026-27"):
    answer = client.get(CENSUS, query_string={"year": year})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/xml"
    assert answer.is_streamed
    return ET.fromstring(answer.get_data())


def children_of(root):
    return {child.findtext("ChildIdentifiers/LAchildID"): child
            for child in root.findall("Children/Child")}


def referral(practitioner, police, outcome="assessment", decided_at="2026-11-20T09:30:00Z",
             **contact):
    made = record_contact(police, consent=GIVEN, **contact)
    decide(practitioner, made["id"], outcome, decided_at)
    return made


def la_id(client, contact, index=0):
    reference = client.get(f"/api/v1/children/{contact['children'][index]['id']}").json["reference"]
    return reference.replace("-", "")


def a_child(name, **fields):
    """A child of its own (a fresh NHS number), as the contact's only child."""
    return [child(name, new_nhs_number(), **fields)]


def assessed(practitioner, manager, case, started_at, authorised_at):
    """An assessment of the referral's child started at `started_at`, and authorised at
    `authorised_at` unless it is None (tests/api/test_assessments.py's start and complete)."""
    assessment = created(start(practitioner, case, started_at))
    if authorised_at is not None:
        created(complete(manager, assessment, child_seen_at=started_at,
                         authorised_at=authorised_at, factors=["21"],
                         outcome="no_further_action", primary_need="N9"))
    return assessment


def leaves(element):
    return [(e.tag, e.text) for e in element if len(e) == 0]


def test_the_header_names_the_collection_and_the_council(auditor, practitioner, police):
    referral(practitioner, police)
    root = census(auditor)
    assert root.tag == "Message"
    assert root.findtext("Header/CollectionDetails/Collection") == "CIN"
    assert root.findtext("Header/CollectionDetails/Year") == "2027"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2027-03-31"
    assert root.findtext("Header/Source/LEA") == "999"
    assert root.findtext("Header/Source/SourceLevel") == "L"
    assert root.findtext("Header/Source/DateTime") == "2026-11-20T10:00:00"



def test_the_header_names_this_software_and_its_release_and_the_london_time_it_was_made(
        auditor, practitioner, police, clock):
    referral(practitioner, police)
    clock.set(utc("2027-06-01T09:00:00.123456Z"))  # British Summer Time: 10:00 in London
    source = census(auditor).find("Header/Source")
    assert {leaf.tag: leaf.text for leaf in source} == {
        "SourceLevel": "L", "LEA": "999", "SoftwareCode": "mash-front-door",
        "Release": version("mash-front-door"), "SerialNo": "1",
        "DateTime": "2027-06-01T10:00:00"}

def test_a_referral_with_its_assessment_allocation_and_closure(practitioner, manager, police,
                                                               auditor, clock):
    case = referral(practitioner, police)
    child_id = case["children"][0]["id"]
    created(practitioner.post(f"/api/v1/children/{child_id}/disability",
                              json={"disability": True, "disabilities": ["HEAR", "LD"]}))
    assessment = created(practitioner.post("/api/v1/assessments", json={
        "contact_id": case["id"], "child_id": child_id, "started_at": "2026-11-20T09:45:00Z"}))
    created(manager.post(f"/api/v1/assessments/{assessment['id']}/completion", json={
        "child_seen_at": "2026-11-20T09:50:00Z", "authorised_at": "2026-11-20T09:55:00Z",
        "factors": ["4B", "3A"], "outcome": "child_in_need_plan", "rationale": OUTCOME_RATIONALE,
        "primary_need": "N4"}))
    created(practitioner.post(f"/api/v1/referrals/{case['id']}/closure", json={
        "closed_on": "2026-11-20", "reason": "RC8",
        "rationale": "Assessed: the family's needs are met by the support already in place."}))
    child = children_of(census(auditor))[la_id(practitioner, case)]
    assert child.findtext("ChildIdentifiers/PersonBirthDate") == "2019-04-02"
    assert child.findtext("ChildIdentifiers/Sex") == "F"
    assert child.findtext("ChildIdentifiers/UPNunknown") is None  # of school age: no UPN held
    assert [d.text for d in child.findall("ChildCharacteristics/Disabilities/Disability")] == [
        "HEAR", "LD"]
    (details,) = child.findall("CINdetails")
    assert [(e.tag, e.text) for e in details if len(e) == 0] == [
        ("CINreferralDate", "2026-11-20"), ("ReferralSource", "6"), ("PrimaryNeedCode", "N4"),
        ("CINclosureDate", "2026-11-20"), ("ReasonForClosure", "RC8"), ("ReferralNFA", "false")]
    (done,) = details.findall("Assessments")
    assert done.findtext("AssessmentActualStartDate") == "2026-11-20"
    assert done.findtext("AssessmentAuthorisationDate") == "2026-11-20"
    assert [f.text for f in done.findall("FactorsIdentifiedAtAssessment/AssessmentFactors")] == [
        "4B", "3A"]  # in the order given


def test_an_s47_enquiry_with_its_conference_and_plan(practitioner, auditor, police, clock):
    meeting = s47_meeting(practitioner)
    child_id = meeting["children"][0]
    created(practitioner.post(f"/api/v1/children/{child_id}/disability", json={"disability": False}))
    created(practitioner.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc", json={
        "held_on": "2026-11-20", "child_protection_plan": [
            {"child_id": child_id, "plan": True, "category_of_abuse": "PHY"}]}))
    contact = practitioner.get(f"/api/v1/contacts/{meeting['contact_id']}").json
    child = children_of(census(auditor))[la_id(practitioner, contact)]
    assert [d.text for d in child.findall("ChildCharacteristics/Disabilities/Disability")] == ["NONE"]
    (s47,) = child.findall("CINdetails/Section47")
    assert [(e.tag, e.text) for e in s47] == [
        ("S47ActualStartDate", "2026-11-20"), ("InitialCPCtarget", meeting["icpc_due_date"]),
        ("DateOfInitialCPC", "2026-11-20"), ("ICPCnotRequired", "0")]
    (plan,) = child.findall("CINdetails/ChildProtectionPlans")
    assert [(e.tag, e.text) for e in plan] == [
        ("CPPstartDate", "2026-11-20"), ("InitialCategoryOfAbuse", "PHY"),
        ("LatestCategoryOfAbuse", "PHY"), ("NumberOfPreviousCPP", "0")]
    assert child.findtext("CINdetails/ReferralNFA") == "false"


def test_a_referral_a_strategy_meeting_ended_is_nfa_and_its_child_un7(practitioner, auditor,
                                                                     police, clock):
    meeting = s47_meeting(practitioner, outcome="no_further_action")
    contact = practitioner.get(f"/api/v1/contacts/{meeting['contact_id']}").json
    child = children_of(census(auditor))[la_id(practitioner, contact)]
    assert child.findtext("CINdetails/ReferralNFA") == "true"
    assert child.findtext("CINdetails/PrimaryNeedCode") == "N0"  # not recorded: not stated
    assert child.findtext("ChildIdentifiers/UPNunknown") == "UN7"
    assert child.findall("CINdetails/Section47") == []


def test_only_referrals_open_in_the_year_are_in_it(practitioner, auditor, police, clock):
    inside = referral(practitioner, police)
    not_a_referral = referral(practitioner, police, "nfa", children=[
        {"given_name": "Noah", "family_name": "Price", "date_of_birth": "2017-06-01"}])
    closed_before = referral(practitioner, police, decided_at="2026-03-02T10:00:00Z", children=[
        {"given_name": "Isla", "family_name": "Reid", "date_of_birth": "2018-05-05"}],
        received_at="2026-03-02T09:00:00Z")
    created(practitioner.post(f"/api/v1/referrals/{closed_before['id']}/closure", json={
        "closed_on": "2026-03-31", "reason": "RC7", "primary_need": "N5",
        "rationale": "The family moved away; the new council has taken the case on."}))
    listed = children_of(census(auditor))
    assert la_id(practitioner, inside) in listed
    assert la_id(practitioner, not_a_referral) not in listed
    assert la_id(practitioner, closed_before) not in listed
    assert la_id(practitioner, closed_before) in children_of(census(auditor, "2025-26"))


def test_an_unborn_child_has_an_expected_date_and_sex_u(practitioner, auditor, police):
    """Sex U for an unborn child, even when a scan has told the family (the census's rule)."""
    unborn = referral(practitioner, police, children=[
        {"given_name": "Baby", "family_name": "Okafor", "expected_date_of_birth": "2027-01-15",
         "sex": "male"}])
    ids = children_of(census(auditor))[la_id(practitioner, unborn)].find("ChildIdentifiers")
    assert ids.findtext("ExpectedPersonBirthDate") == "2027-01-15"
    assert ids.findtext("PersonBirthDate") is None
    assert (ids.findtext("Sex"), ids.findtext("UPNunknown")) == ("U", "UN1")


@pytest.mark.parametrize("year", ["2026", "2026-28", "26-27", "2026/27", "1999-00", "2999-00"])
def test_a_year_that_is_not_a_collection_year_is_refused(auditor, year):
    assert_problem(auditor.get(CENSUS, query_string={"year": year}), 422, "year")


@pytest.mark.parametrize("year, reference", [("2000-01", "2001-03-31"), ("2998-99", "2999-03-31")])
def test_the_first_and_last_collection_years_the_return_takes(auditor, year, reference):
    assert census(auditor, year).findtext("Header/CollectionDetails/ReferenceDate") == reference


def test_only_auditors_and_managers_export_it_and_each_export_is_logged(
    practitioner, police, auditor, manager,
):
    for client in (practitioner, police):
        assert_problem(client.get(CENSUS, query_string={"year": "2026-27"}), 403)
    census(manager)
    logged = auditor.get("/api/v1/audit/access", query_string={"actor": "mark"})
    assert logged.status_code == 200, logged.json
    assert [(e["endpoint"], e["entity_type"], e["query"], e["status"])
            for e in logged.json["items"] if e["endpoint"].endswith("cin_census")] == [
        ("exports.export_cin_census", "export", "year=2026-27", 200)]


def test_without_the_councils_la_number_the_return_is_refused(app, auditor):
    app.config["LA_CODE"] = ""
    try:
        assert_problem(auditor.get(CENSUS, query_string={"year": "2026-27"}), 409)
    finally:
        app.config["LA_CODE"] = "999"


def test_the_command_writes_the_same_return(app, practitioner, police, tmp_path):
    case = referral(practitioner, police)
    again = referral(practitioner, police, decided_at="2026-11-20T09:45:00Z")
    assert again["children"][0]["id"] == case["children"][0]["id"]  # one child, two referrals
    out = tmp_path / "cin.xml"
    result = app.test_cli_runner().invoke(args=["cin-census", "--year", "2026-27", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert la_id(practitioner, case) in children_of(ET.parse(out).getroot())
    assert " 1 children" in result.output


def test_a_referral_made_while_the_childs_episode_is_open_is_part_of_it(practitioner, manager,
                                                                       police, auditor, clock):
    """The census counts episodes: one open at a time, none overlapping (its rules 8815, 8816,
    8820). A second referral of the child while the first is open joins that episode; one after
    the first closed starts another."""
    first = referral(practitioner, police, decided_at="2026-11-20T09:00:00Z")
    second = referral(practitioner, police, decided_at="2026-11-20T09:30:00Z")
    child_id = first["children"][0]["id"]
    assert second["children"][0]["id"] == child_id  # the same child, linked by NHS number
    for case, started in ((first, "2026-11-20T09:10:00Z"), (second, "2026-11-20T09:40:00Z")):
        created(practitioner.post("/api/v1/assessments", json={
            "contact_id": case["id"], "child_id": child_id, "started_at": started}))
    child = children_of(census(auditor))[la_id(practitioner, first)]
    (episode,) = child.findall("CINdetails")
    assert episode.findtext("CINreferralDate") == "2026-11-20"
    assert [a.findtext("AssessmentActualStartDate") for a in episode.findall("Assessments")] == [
        "2026-11-20", "2026-11-20"]
    assert episode.findtext("CINclosureDate") is None

    clock.set(utc("2026-11-23T10:00:00Z"))
    for case in (first, second):
        assessment = practitioner.get("/api/v1/assessments",
                                      query_string={"contact_id": case["id"]}).json["items"][0]
        created(manager.post(f"/api/v1/assessments/{assessment['id']}/completion", json={
            "child_seen_at": "2026-11-20T10:00:00Z", "authorised_at": "2026-11-20T11:00:00Z",
            "factors": ["21"], "outcome": "no_further_action", "rationale": OUTCOME_RATIONALE,
            "primary_need": "N9"}))
        created(practitioner.post(f"/api/v1/referrals/{case['id']}/closure", json={
            "closed_on": "2026-11-20", "reason": "RC8",
            "rationale": "Assessed: the family's needs are met by the support already in place."}))
    third = referral(practitioner, police, decided_at="2026-11-23T09:00:00Z")
    assert third["children"][0]["id"] == child_id
    episodes = children_of(census(auditor))[la_id(practitioner, first)].findall("CINdetails")
    assert [(e.findtext("CINreferralDate"), e.findtext("CINclosureDate"),
             e.findtext("ReasonForClosure")) for e in episodes] == [
        ("2026-11-20", "2026-11-20", "RC8"), ("2026-11-23", None, None)]


def test_an_enquiry_conference_and_plan_on_the_reference_date_are_in_the_return(
        practitioner, auditor, clock):
    """31 March is the last day of the collection year: what happens on it is counted."""
    clock.set(utc("2027-03-31T15:00:00Z"))  # a Wednesday; British Summer Time
    meeting = s47_meeting(practitioner, received_at="2027-03-31T07:00:00Z",
                          decided_at="2027-03-31T07:30:00Z", convened_at="2027-03-31T07:45:00Z",
                          held_at="2027-03-31T09:30:00Z")
    child_id = meeting["children"][0]
    created(practitioner.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc", json={
        "held_on": "2027-03-31", "child_protection_plan": [
            {"child_id": child_id, "plan": True, "category_of_abuse": "NEG"}]}))
    contact = practitioner.get(f"/api/v1/contacts/{meeting['contact_id']}").json
    details = children_of(census(auditor))[la_id(practitioner, contact)].find("CINdetails")
    assert details.findtext("CINreferralDate") == "2027-03-31"
    (s47,) = details.findall("Section47")
    assert (s47.findtext("S47ActualStartDate"), s47.findtext("DateOfInitialCPC")) == (
        "2027-03-31", "2027-03-31")
    (plan,) = details.findall("ChildProtectionPlans")
    assert (plan.findtext("CPPstartDate"), plan.findtext("InitialCategoryOfAbuse")) == (
        "2027-03-31", "NEG")


# ---- the year's edges ---------------------------------------------------------------------------


def test_31_march_is_the_years_last_day_and_1_april_the_next_years_first(
        practitioner, manager, police, auditor, clock):
    """An assessment started and authorised late on 31 March and a closure that day are in the
    year's return; a referral at midnight starting 1 April is not, but is in the next year's; a
    referral closed on 1 April is open in both, closed only in the next."""
    clock.set(utc("2027-04-01T12:00:00Z"))  # British Summer Time from 28 March
    ava = a_child("Ava")
    closed = referral(practitioner, police, decided_at="2027-03-10T10:00:00Z", children=ava,
                      received_at="2027-03-10T09:00:00Z")
    assessed(practitioner, manager, closed, "2027-03-31T22:30:00Z", "2027-03-31T22:45:00Z")
    created(close(practitioner, closed, closed_on="2027-03-31", reason="RC8"))
    again = referral(practitioner, police, decided_at="2027-03-31T23:00:00Z", children=ava,
                     received_at="2027-03-31T22:50:00Z")  # 00:00 and 23:50 in London
    assert again["children"][0]["id"] == closed["children"][0]["id"]
    open_at_midnight = referral(practitioner, police, decided_at="2027-03-20T10:00:00Z",
                                received_at="2027-03-20T09:00:00Z", children=a_child("Ben"))
    created(close(practitioner, open_at_midnight, closed_on="2027-04-01"))

    year = children_of(census(auditor, "2026-27"))
    (details,) = year[la_id(practitioner, closed)].findall("CINdetails")
    assert leaves(details) == [
        ("CINreferralDate", "2027-03-10"), ("ReferralSource", "6"), ("PrimaryNeedCode", "N4"),
        ("CINclosureDate", "2027-03-31"), ("ReasonForClosure", "RC8"), ("ReferralNFA", "false")]
    assert leaves(details.find("Assessments")) == [
        ("AssessmentActualStartDate", "2027-03-31"), ("AssessmentAuthorisationDate", "2027-03-31")]
    (details,) = year[la_id(practitioner, open_at_midnight)].findall("CINdetails")
    assert leaves(details) == [  # closed after the reference date: not closed in this year
        ("CINreferralDate", "2027-03-20"), ("ReferralSource", "6"), ("PrimaryNeedCode", "N4"),
        ("ReferralNFA", "false")]

    next_year = children_of(census(auditor, "2027-28"))
    assert [d.findtext("CINreferralDate") for d in
            next_year[la_id(practitioner, again)].findall("CINdetails")] == ["2027-04-01"]
    (details,) = next_year[la_id(practitioner, open_at_midnight)].findall("CINdetails")
    assert (details.findtext("CINclosureDate"), details.findtext("ReasonForClosure")) == (
        "2027-04-01", "RC7")


def test_an_assessment_started_after_the_reference_date_leaves_the_episodes_others_in(
        practitioner, manager, police, auditor, clock):
    """Two referrals of one episode: the first's assessment started on 1 April, the second's
    in March. The year's return holds the March one."""
    clock.set(utc("2027-04-01T12:00:00Z"))
    cara = a_child("Cara")
    first = referral(practitioner, police, decided_at="2027-03-10T10:00:00Z", children=cara,
                     received_at="2027-03-10T09:00:00Z")
    second = referral(practitioner, police, decided_at="2027-03-20T10:00:00Z", children=cara,
                      received_at="2027-03-20T09:00:00Z")
    assessed(practitioner, manager, second, "2027-03-25T10:00:00Z", None)
    assessed(practitioner, manager, first, "2027-04-01T09:00:00Z", None)
    (details,) = children_of(census(auditor))[la_id(practitioner, first)].findall("CINdetails")
    assert [a.findtext("AssessmentActualStartDate") for a in details.findall("Assessments")] == [
        "2027-03-25"]


def test_of_school_age_is_born_by_31_august_six_years_before_the_reference_date(
        practitioner, police, auditor):
    """For 2026-27, a child born on 31 August 2021 is of school age (no UPN held, so none
    said unknown); one born the next day is not yet (UN1)."""
    born = {day: referral(practitioner, police, children=a_child("Dee", date_of_birth=day))
            for day in ("2021-08-31", "2021-09-01")}
    listed = children_of(census(auditor))
    assert {day: listed[la_id(practitioner, case)].findtext("ChildIdentifiers/UPNunknown")
            for day, case in born.items()} == {"2021-08-31": None, "2021-09-01": "UN1"}


def test_a_childs_episodes_are_in_the_order_referred_whatever_order_the_contacts_came(
        practitioner, police, auditor, clock):
    eve = a_child("Eve")
    contacts = [record_contact(police, consent=GIVEN, children=eve,
                               received_at=f"2026-11-1{day}T09:00:00Z") for day in (6, 7)]
    # The contact with the greater id is referred first, so an order by id would be wrong.
    first, second = sorted(contacts, key=lambda c: uuid.UUID(c["id"]), reverse=True)
    decide(practitioner, first["id"], "assessment", "2026-11-18T10:00:00Z")
    created(close(practitioner, first, closed_on="2026-11-18"))
    decide(practitioner, second["id"], "assessment", "2026-11-19T10:00:00Z")
    episodes = children_of(census(auditor))[la_id(practitioner, first)].findall("CINdetails")
    assert [(e.findtext("CINreferralDate"), e.findtext("CINclosureDate")) for e in episodes] == [
        ("2026-11-18", "2026-11-18"), ("2026-11-19", None)]


# ---- section 47 enquiries, conferences and plans ------------------------------------------------


def test_a_conference_after_the_reference_date_is_in_the_next_years_return(
        practitioner, auditor, clock):
    clock.set(utc("2027-04-01T15:00:00Z"))
    meeting = s47_meeting(practitioner, children=a_child("Finn"),
                          received_at="2027-03-30T07:00:00Z", decided_at="2027-03-30T07:30:00Z",
                          convened_at="2027-03-30T07:45:00Z", held_at="2027-03-30T09:30:00Z")
    created(practitioner.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc", json={
        "held_on": "2027-04-01", "child_protection_plan": [
            {"child_id": meeting["children"][0], "plan": True, "category_of_abuse": "NEG"}]}))
    contact = practitioner.get(f"/api/v1/contacts/{meeting['contact_id']}").json
    target = ("InitialCPCtarget", meeting["icpc_due_date"])

    details = children_of(census(auditor, "2026-27"))[la_id(practitioner, contact)].find(
        "CINdetails")
    (s47,) = details.findall("Section47")
    assert leaves(s47) == [("S47ActualStartDate", "2027-03-30"), target, ("ICPCnotRequired", "0")]
    assert details.findall("ChildProtectionPlans") == []

    details = children_of(census(auditor, "2027-28"))[la_id(practitioner, contact)].find(
        "CINdetails")
    (s47,) = details.findall("Section47")
    assert leaves(s47) == [("S47ActualStartDate", "2027-03-30"), target,
                           ("DateOfInitialCPC", "2027-04-01"), ("ICPCnotRequired", "0")]
    (plan,) = details.findall("ChildProtectionPlans")
    assert plan.findtext("CPPstartDate") == "2027-04-01"


def test_a_conference_not_required_says_so(practitioner, auditor):
    meeting = s47_meeting(practitioner, children=a_child("Gus"))
    created(practitioner.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc",
                              json=NOT_REQUIRED))
    contact = practitioner.get(f"/api/v1/contacts/{meeting['contact_id']}").json
    details = children_of(census(auditor))[la_id(practitioner, contact)].find("CINdetails")
    (s47,) = details.findall("Section47")
    assert leaves(s47) == [("S47ActualStartDate", "2026-11-20"),
                           ("InitialCPCtarget", meeting["icpc_due_date"]), ("ICPCnotRequired", "1")]
    assert details.findall("ChildProtectionPlans") == []


def test_each_plan_counts_the_childs_earlier_plans_not_conferences_that_made_none(
        practitioner, auditor, clock):
    """Two children, two enquiries on one referral. At the first conference only Lily is made
    subject to a plan; at the second both are. Kit's plan has no previous plan; Lily's second
    has one."""
    clock.set(utc("2026-11-27T12:00:00Z"))
    kit, lily = child("Kit", new_nhs_number()), child("Lily", new_nhs_number())
    first = s47_meeting(practitioner, children=[kit, lily])
    second = record_outcome(practitioner, convene(
        practitioner, Case(first["contact_id"], first["children"], None),
        convened_at="2026-11-24T09:00:00Z", scheduled_for="2026-11-24T10:00:00Z")["id"],
        held_at="2026-11-24T10:00:00Z")
    for meeting, held_on, plans in ((first, "2026-11-23", {"Kit": None, "Lily": "PHY"}),
                                    (second, "2026-11-26", {"Kit": "EMO", "Lily": "EMO"})):
        created(practitioner.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc", json={
            "held_on": held_on, "child_protection_plan": [
                {"child_id": child_id, "plan": category is not None,
                 **({"category_of_abuse": category} if category else {})}
                for child_id, category in zip(meeting["children"], plans.values())]}))
    contact = practitioner.get(f"/api/v1/contacts/{first['contact_id']}").json
    names = [c["given_name"] for c in contact["children"]]
    listed = children_of(census(auditor))
    found = {}
    for name in ("Kit", "Lily"):
        details = listed[la_id(practitioner, contact, names.index(name))].find("CINdetails")
        assert [s.findtext("S47ActualStartDate") for s in details.findall("Section47")] == [
            "2026-11-20", "2026-11-24"]
        found[name] = [leaves(made) for made in details.findall("ChildProtectionPlans")]

    def plan(day, category, before):
        return [("CPPstartDate", day), ("InitialCategoryOfAbuse", category),
                ("LatestCategoryOfAbuse", category), ("NumberOfPreviousCPP", before)]

    assert found == {"Kit": [plan("2026-11-26", "EMO", "0")],
                     "Lily": [plan("2026-11-23", "PHY", "0"), plan("2026-11-26", "EMO", "1")]}


# ---- ReferralNFA --------------------------------------------------------------------------------


def convened(practitioner, contact_id, child_id, convened_at):
    """A strategy meeting about the child, convened at `convened_at` for then."""
    return convene(practitioner, Case(contact_id, [child_id], None), convened_at=convened_at,
                   scheduled_for=convened_at)


def referral_nfa(practitioner, auditor, contact_id):
    """Each CIN episode's ReferralNFA, and the child's UPNunknown."""
    contact = practitioner.get(f"/api/v1/contacts/{contact_id}").json
    found = children_of(census(auditor))[la_id(practitioner, contact)]
    return ([d.findtext("ReferralNFA") for d in found.findall("CINdetails")],
            found.findtext("ChildIdentifiers/UPNunknown"))


def test_a_meeting_deciding_no_further_action_after_an_enquiry_or_an_assessment_is_not_nfa(
        practitioner, auditor, clock):
    clock.set(utc("2026-11-20T12:00:00Z"))
    enquiry = s47_meeting(practitioner, children=a_child("Max"))
    record_outcome(practitioner, convened(practitioner, enquiry["contact_id"],
                                          enquiry["children"][0], "2026-11-20T10:00:00Z")["id"],
                   outcome="no_further_action", held_at="2026-11-20T10:30:00Z")
    assessed = s47_meeting(practitioner, outcome="no_further_action", children=a_child("Nia"))
    created(practitioner.post("/api/v1/assessments", json={
        "contact_id": assessed["contact_id"], "child_id": assessed["children"][0],
        "started_at": "2026-11-20T10:00:00Z"}))
    for meeting in (enquiry, assessed):
        assert referral_nfa(practitioner, auditor, meeting["contact_id"]) == (["false"], None)


def test_the_latest_meeting_held_decides_nfa_not_the_latest_convened_or_one_not_held(
        practitioner, auditor):
    contact = strategy_case(practitioner, children=a_child("Ola"))
    child_id = contact.child_ids[0]
    meetings = [convened(practitioner, contact.contact_id, child_id, "2026-11-20T08:45:00Z")
                for _ in range(2)]
    # The one with the lesser id is held later, so an order by id would be wrong.
    later, earlier = sorted(meetings, key=lambda m: uuid.UUID(m["id"]))
    record_outcome(practitioner, earlier["id"], outcome="early_help",
                   held_at="2026-11-20T09:30:00Z")
    record_outcome(practitioner, later["id"], outcome="no_further_action",
                   held_at="2026-11-20T09:45:00Z")
    convened(practitioner, contact.contact_id, child_id, "2026-11-20T09:50:00Z")  # not held yet
    assert referral_nfa(practitioner, auditor, contact.contact_id) == (["true"], "UN7")


def test_an_episodes_meetings_are_read_in_the_order_held_across_its_referrals(
        practitioner, auditor):
    """The first referral's meeting decided no further action after the second's decided early
    help: the episode ended in no further action."""
    pip = a_child("Pip")
    contacts = [record_contact(practitioner, children=pip, received_at=f"2026-11-20T08:0{m}:00Z")
                for m in (0, 5)]
    first, second = sorted(contacts, key=lambda c: uuid.UUID(c["id"]))
    child_id = first["children"][0]["id"]
    decide(practitioner, first["id"], "strategy_discussion", "2026-11-20T08:30:00Z")
    decide(practitioner, second["id"], "strategy_discussion", "2026-11-20T08:40:00Z")
    record_outcome(practitioner, convened(practitioner, second["id"], child_id,
                                          "2026-11-20T08:45:00Z")["id"],
                   outcome="early_help", held_at="2026-11-20T09:00:00Z")
    record_outcome(practitioner, convened(practitioner, first["id"], child_id,
                                          "2026-11-20T08:50:00Z")["id"],
                   outcome="no_further_action", held_at="2026-11-20T09:30:00Z")
    assert referral_nfa(practitioner, auditor, first["id"]) == (["true"], "UN7")


def test_the_return_reads_its_children_in_batches(app, monkeypatch, practitioner, police,
                                                  auditor):
    """Memory stays flat and the queries few: the children are read BATCH at a time, and a batch
    takes the same queries whether it holds one child or five."""
    from api.domain import cin_census

    engine = app.extensions["db"].engine
    referral(practitioner, police)
    with StatementCounter(engine) as one:
        assert len(children_of(census(auditor))) == 1
    for name in ("Quin", "Rae", "Sam", "Tom"):
        referral(practitioner, police, children=a_child(name))
    with StatementCounter(engine) as five:
        assert len(children_of(census(auditor))) == 5
    monkeypatch.setattr(cin_census, "BATCH", 2)
    with StatementCounter(engine) as in_twos:
        assert len(children_of(census(auditor))) == 5
    assert one.count > 0
    assert five.count == one.count
    assert (five.reading("children"), in_twos.reading("children")) == (1, 3)


def test_the_document_declares_the_encoding_it_is_sent_in(auditor):
    answer = auditor.get(CENSUS, query_string={"year": "2026-27"})
    assert answer.mimetype_params.get("charset", "utf-8").lower() == "utf-8"
    declaration = answer.get_data().split(b"?>", 1)[0].lower()
    assert declaration == b'<?xml version="1.0" encoding="utf-8"'


def test_a_superseded_decision_is_not_a_referral(practitioner, police, auditor):
    """The current decision counts: a referral revised to early help is not in the return, and
    one revised from assessment to strategy discussion is one referral."""
    revised = {}
    for name, outcome in (("Vic", "early_help"), ("Wyn", "strategy_discussion")):
        case = referral(practitioner, police, children=a_child(name))
        first = practitioner.get(f"/api/v1/contacts/{case['id']}/decisions").json["items"][0]
        decide(practitioner, case["id"], outcome, "2026-11-20T09:45:00Z", supersedes=first["id"],
               supersede_reason="New information from the school changes the picture.")
        revised[outcome] = case
    listed = children_of(census(auditor))
    assert la_id(practitioner, revised["early_help"]) not in listed
    assert len(listed[la_id(practitioner, revised["strategy_discussion"])].findall(
        "CINdetails")) == 1
