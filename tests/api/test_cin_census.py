"""The DfE Children in Need census return (issue 18): GET /exports/cin-census?year=2026-27 and
`flask cin-census`. Each element is read back from the XML and compared with what was recorded;
the DfE's own validation of it is `make validate-cin` (tests/cin)."""

import xml.etree.ElementTree as ET
from importlib.metadata import version

import pytest

from tests.helpers import assert_problem, created, decide, record_contact, utc

CENSUS = "/api/v1/exports/cin-census"
GIVEN = {"status": "given", "given_by": "Mother"}
RATIONALE = "Mother engaged well; parenting support through a child in need plan."


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


def la_id(client, contact):
    reference = client.get(f"/api/v1/children/{contact['children'][0]['id']}").json["reference"]
    return reference.replace("-", "")


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
        "factors": ["3A", "4B"], "outcome": "child_in_need_plan", "rationale": RATIONALE,
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
        "3A", "4B"]


def test_an_s47_enquiry_with_its_conference_and_plan(practitioner, auditor, police, clock):
    from tests.api.test_icpc import s47_meeting

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
    from tests.api.test_icpc import s47_meeting

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
    unborn = referral(practitioner, police, children=[
        {"given_name": "Baby", "family_name": "Okafor", "expected_date_of_birth": "2027-01-15"}])
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
    out = tmp_path / "cin.xml"
    result = app.test_cli_runner().invoke(args=["cin-census", "--year", "2026-27", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert la_id(practitioner, case) in children_of(ET.parse(out).getroot())
    assert "1 children" in result.output


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
            "factors": ["21"], "outcome": "no_further_action", "rationale": RATIONALE,
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
    from tests.api.test_icpc import s47_meeting

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
