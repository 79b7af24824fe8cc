"""Ofsted's Annex A lists: List 1 (contacts), List 2 (early help), List 3 (referrals), List 4
(assessments), List 5 (section 47 enquiries).

The headings are written out here as Ofsted's template has them, not read from the code: column by
column as the data-to-insight / Social Finance Annex A specification lists them
(SocialFinanceDigitalLabs/liia-tools, liiatools/annex_a_pipeline/spec/Annex_A_schema.yml at
a042cd5582ea72b41d19888a5d71b83b62111c3b, `column_map` Lists 1 to 5). The rows of
a small case history built through the API are written out by hand, counts "in the last 12
months" included, with the edges: exactly 12 months before (counted) and a second more (not),
a superseded referral, a contact about two children, an unborn child, the London calendar.
"""

import csv
import io
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from api.domain import annex_a as annex_a_lists
from api.vocab import nhs_number_with_check_digit
from tests.helpers import (
    assert_problem, contact_body, decide, last_event_id, make_account, only_event_after, only_on,
    open_child, record_outcome, requested, respond, step_down, step_up,
)


ANNEX_A = "/api/v1/exports/annex-a"
OCTOBER = {"from": "2026-10-01", "to": "2026-11-01"}

CHILD = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]
HEADINGS = {
    "contacts": CHILD + ["Date of Contact", "Contact Source"],
    "early-help": CHILD + ["Assessment start date", "Assessment completion date",
                           "Organisation completing assessment"],
    "referrals": CHILD + ["Date of Referral", "Referral Source", "Referral NFA?",
                          "Number of Referrals in Last 12 Months", "Allocated Team",
                          "Allocated Worker"],
    "assessments": CHILD + [
        "Does the Child have a Disability", "Continuous Assessment Start Date",
        "Child Seen During Continuous Assessment", "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children's social care support?",
        "Allocated Team", "Allocated Worker"],
    "section-47": CHILD + [
        "Does the Child have a Disability",
        "Strategy discussion initiating Section 47 Enquiry Start Date",
        "Was an Initial Child Protection Conference deemed unnecessary?",
        "Date of Initial Child Protection Conference",
        "Did the Initial Child Protection Conference Result in a Child Protection Plan",
        "Number of Section 47 Enquiries in the last 12 months",
        "Number of ICPCs in the last 12 months", "Allocated Team", "Allocated Worker"],
}

AMELIA = {"given_name": "Amelia", "family_name": "Hughes", "date_of_birth": "2019-04-02",
          "sex": "female", "nhs_number": nhs_number_with_check_digit("501000001"),
          "ethnicity": "WBRI"}
# Fourteen on 6 October 2026: thirteen on the day of the referral, the 5th.
BEN = {"given_name": "Ben", "family_name": "Hughes", "date_of_birth": "2012-10-06",
       "sex": "male", "nhs_number": nhs_number_with_check_digit("501000002"), "ethnicity": "MWBC"}
CARA = {"given_name": "Baby", "family_name": "Okafor", "expected_date_of_birth": "2027-01-15",
        "local_child_id": "LA-CARA-1"}  # unborn: no date of birth, sex and ethnicity not known
DAN = {"given_name": "Dan", "family_name": "Patel", "date_of_birth": "2015-05-05", "sex": "male",
       "nhs_number": nhs_number_with_check_digit("501000003"), "ethnicity": "AIND"}

INVITED = [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "health-visiting"}]


def contact(client, received_at, children, source="wmp", consent=None):
    created = client.post("/api/v1/contacts", json=contact_body(
        received_at=received_at, children=children, source_agency=source,
        **({"consent": consent} if consent else {})))
    assert created.status_code == 201, created.json
    return created.json


def meeting(client, case, at, held_at=None, outcome="s47_enquiry"):
    """A strategy meeting on `case` convened at `at`, held at `held_at` (default: then too)."""
    created = client.post("/api/v1/strategy-meetings", json={
        "contact_id": case["id"], "children": [c["id"] for c in case["children"]],
        "convened_at": at, "scheduled_for": held_at or at, "chair": "Mark Evans",
        "invited": INVITED})
    assert created.status_code == 201, created.json
    return record_outcome(client, created.json["id"], held_at=held_at or at, outcome=outcome,
                          attendance=[{"agency": "wmp", "attended": True}])


def icpc(client, held_meeting, body):
    recorded = client.post(f"/api/v1/strategy-meetings/{held_meeting['id']}/icpc", json=body)
    assert recorded.status_code == 201, recorded.json


def icpc_held(client, held_meeting, held_on, *plans):
    icpc(client, held_meeting, {"held_on": held_on, "child_protection_plan": [
        {"child_id": child_id, "plan": plan}
        for child_id, plan in zip(held_meeting["children"], plans, strict=True)]})


@pytest.fixture
def cases(practitioner):
    """Amelia's history, with Ben (her brother) on two contacts, an unborn child, and Dan at the
    edges of October. BST ends on 25 October 2026; 5 October 2025 began at 23:00Z on the 4th."""
    # Referral and s47 one second too early to be within 12 months of 5 October 2026: 23:59:59
    # BST on 4 October 2025. Its ICPC on Monday 6 October 2025 is within them (the 5th was a
    # Sunday, and a conference is held on a weekday: DfE CIN census rule 8875).
    old = contact(practitioner, "2025-10-04T22:00:00Z", [AMELIA])
    decide(practitioner, old["id"], "strategy_discussion", "2025-10-04T22:59:59Z")
    icpc_held(practitioner, meeting(practitioner, old, "2025-10-04T22:59:59Z"), "2025-10-06", False)
    # Exactly 12 months before (00:00 BST on 5 October 2025): counted. ICPC not required.
    edge = contact(practitioner, "2025-10-04T22:30:00Z", [AMELIA])
    decide(practitioner, edge["id"], "strategy_discussion", "2025-10-04T23:00:00Z")
    icpc(practitioner, meeting(practitioner, edge, "2025-10-04T23:00:00Z"),
         {"not_required": True, "reason": "Family moved out of the area; case transferred."})
    # A referral superseded by no further action: no longer a referral, not counted.
    superseded = contact(practitioner, "2026-03-10T09:00:00Z", [AMELIA],
                         consent={"status": "given", "given_by": "Mother"})
    first = decide(practitioner, superseded["id"], "assessment", "2026-03-10T10:00:00Z")
    decide(practitioner, superseded["id"], "nfa", "2026-03-11T10:00:00Z", supersedes=first["id"],
           supersede_reason="The school had already arranged the support needed.")
    # Both children: one referral, one s47 enquiry and one ICPC each (a plan for Ben only).
    june = contact(practitioner, "2026-06-01T08:00:00Z", [AMELIA, BEN])
    decide(practitioner, june["id"], "strategy_discussion", "2026-06-01T09:00:00Z")
    icpc_held(practitioner,
              meeting(practitioner, june, "2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z"),
              "2026-06-15", False, True)
    # A contact that is not a referral.
    advice = contact(practitioner, "2026-08-01T09:00:00Z", [AMELIA])
    decide(practitioner, advice["id"], "information_advice", "2026-08-01T10:00:00Z")
    # October. Received on the 2nd, a referral on the 5th (the advice it was first given superseded).
    main = contact(practitioner, "2026-10-02T08:00:00Z", [AMELIA, BEN])
    advised = decide(practitioner, main["id"], "information_advice", "2026-10-02T09:00:00Z")
    decide(practitioner, main["id"], "strategy_discussion", "2026-10-05T09:00:00Z", supersedes=advised["id"],
           supersede_reason="The police disclosed an earlier assault on the mother.")
    icpc_held(practitioner, meeting(practitioner, main, "2026-10-05T10:00:00Z", "2026-10-05T11:00:00Z"),
              "2026-10-20", True, False)
    # Received 00:30 BST on 10 October (the 9th in UTC) from the health visitor; the strategy
    # meeting decided no further action.
    unborn = contact(practitioner, "2026-10-09T23:30:00Z", [CARA], source="health-visiting")
    decide(practitioner, unborn["id"], "strategy_discussion", "2026-10-10T08:00:00Z")
    meeting(practitioner, unborn, "2026-10-10T09:00:00Z", "2026-10-10T10:00:00Z", outcome="no_further_action")
    later = contact(practitioner, "2026-10-20T08:00:00Z", [AMELIA],
                    consent={"status": "given", "given_by": "Mother"})
    decide(practitioner, later["id"], "assessment", "2026-10-20T09:00:00Z")
    # Dan: 23:59:59 BST on 30 September, 23:59:59 GMT on 31 October, midnight on 1 November.
    dan = [contact(practitioner, received_at, [DAN])
           for received_at in ("2026-09-30T22:59:59Z", "2026-10-31T23:59:59Z", "2026-11-01T00:00:00Z")]
    children = {"amelia": main["children"][0], "ben": main["children"][1],
                "cara": unborn["children"][0], "dan": dan[0]["children"][0]}
    return SimpleNamespace(june=june["id"], later=later["id"], main=main["id"], unborn=unborn,
                           amelia_id=children["amelia"]["id"], ben_id=children["ben"]["id"], **{
        name: practitioner.get(f"/api/v1/children/{child['id']}").json["reference"]
        for name, child in children.items()})


def annex_a(client, name, period=OCTOBER, **kwargs):
    response = client.get(f"{ANNEX_A}/{name}", query_string=period, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def early_help_started(client, period):
    """List 2's (child, start date) pairs for `period`."""
    return [(row[0], row[5]) for row in annex_a(client, "early-help", period)[1:]]


def restrict_to_priya(api_as, *records):
    """A MASH manager restricts each (entity_type, entity_id) to priya, a practitioner."""
    make_account("priya", "person", "practitioner", service="mash")
    mark = api_as("manager", sub="mark", service="mash")
    for entity_type, entity_id in records:
        restricted = mark.post("/api/v1/restrictions", json={
            "entity_type": entity_type, "entity_id": entity_id, "allowed": ["priya"],
            "reason": "A relative of the child works in the MASH."})
        assert restricted.status_code == 201, restricted.json


# ---- the headings -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", HEADINGS)
def test_each_list_has_ofsteds_headings_in_ofsteds_order(auditor, name):
    assert annex_a(auditor, name) == [HEADINGS[name]]


# ---- List 1: contacts -------------------------------------------------------------------------


def test_list_1_has_a_row_per_child_of_each_contact_received_in_the_london_period(auditor, cases):
    assert annex_a(auditor, "contacts")[1:] == [
        [cases.amelia, "Female", "WBRI: White British", "02/04/2019", "7", "02/10/2026", "6: Police"],
        [cases.ben, "Male", "MWBC: White and Black Caribbean", "06/10/2012", "13", "02/10/2026",
         "6: Police"],
        [cases.cara, "Not stated/recorded", "NOBT: Information not yet obtained", "", "",
         "10/10/2026", "3B: Health services: health visitor"],
        [cases.amelia, "Female", "WBRI: White British", "02/04/2019", "7", "20/10/2026", "6: Police"],
        [cases.dan, "Male", "AIND: Indian", "05/05/2015", "11", "31/10/2026", "6: Police"],
    ]


def test_list_1_counts_the_london_day_a_contact_arrived_on(auditor, cases):
    # 23:59:59 BST on 30 September is the 30th in London, though 22:59:59Z.
    rows = annex_a(auditor, "contacts", {"from": "2026-09-30", "to": "2026-10-01"})[1:]
    assert [(row[0], row[5]) for row in rows] == [(cases.dan, "30/09/2026")]
    rows = annex_a(auditor, "contacts", {"from": "2026-11-01", "to": "2026-11-02"})[1:]
    assert [(row[0], row[5]) for row in rows] == [(cases.dan, "01/11/2026")]


# ---- List 3: referrals ------------------------------------------------------------------------


def test_list_3_has_a_row_per_child_and_referral_with_the_referrals_of_the_12_months_before(
        auditor, cases):
    # Amelia on the 5th: the referral at 00:00 BST on 5 October 2025 and June's (not the one a
    # second earlier, not March's superseded one, not August's advice) = 2. Ben: June's = 1.
    # Amelia on the 20th: June's and the 5th's (5 October 2025 is now over a year ago) = 2.
    assert annex_a(auditor, "referrals")[1:] == [
        [cases.amelia, "Female", "WBRI: White British", "02/04/2019", "7", "05/10/2026",
         "6: Police", "No", "2", "", ""],
        [cases.ben, "Male", "MWBC: White and Black Caribbean", "06/10/2012", "13", "05/10/2026",
         "6: Police", "No", "1", "", ""],
        [cases.cara, "Not stated/recorded", "NOBT: Information not yet obtained", "", "",
         "10/10/2026", "3B: Health services: health visitor", "Yes", "0", "", ""],
        [cases.amelia, "Female", "WBRI: White British", "02/04/2019", "7", "20/10/2026",
         "6: Police", "No", "2", "", ""],
    ]


def test_list_3_takes_no_further_action_from_the_latest_meeting_held_not_one_still_to_come(
        auditor, practitioner, cases):
    # The unborn child's strategy meeting decided no further action; another convened since, not
    # yet held, decides nothing yet.
    convened = practitioner.post("/api/v1/strategy-meetings", json={
        "contact_id": cases.unborn["id"], "children": [cases.unborn["children"][0]["id"]],
        "convened_at": "2026-10-12T09:00:00Z", "scheduled_for": "2026-10-13T09:00:00Z",
        "chair": "Mark Evans", "invited": INVITED})
    assert convened.status_code == 201, convened.json

    rows = annex_a(auditor, "referrals")[1:]
    assert [(row[0], row[7]) for row in rows if row[0] == cases.cara] == [(cases.cara, "Yes")]


def test_list_3_dates_a_referral_by_its_current_decision_in_london(auditor, cases):
    # 4 October 2025: the referral at 23:59:59 BST; 00:00 BST on the 5th belongs to the 5th.
    rows = annex_a(auditor, "referrals", {"from": "2025-10-04", "to": "2025-10-05"})[1:]
    assert [(row[0], row[5], row[8]) for row in rows] == [(cases.amelia, "04/10/2025", "0")]
    rows = annex_a(auditor, "referrals", {"from": "2025-10-05", "to": "2025-10-06"})[1:]
    assert [(row[0], row[5], row[8]) for row in rows] == [(cases.amelia, "05/10/2025", "1")]
    # March's referral was superseded by no further action: not a referral any more.
    assert annex_a(auditor, "referrals", {"from": "2026-03-01", "to": "2026-04-01"})[1:] == []


# ---- read in batches --------------------------------------------------------------------------

# September 2026: fourteen referrals, one a day, about Amelia, Ben and Dan in turn, and every
# fourth about Ben and Dan together; the strategy meeting of the 7th ended with no further action.
SEPTEMBER = {"from": "2026-09-01", "to": "2026-10-01"}
ROTATION = [["amelia"], ["ben"], ["dan"], ["ben", "dan"]]
ENDED_ON = 7


@pytest.fixture
def september(practitioner):
    """{day: (the children's names, whether the referral ended without action)}, and their
    references."""
    people = {"amelia": AMELIA, "ben": BEN, "dan": DAN}
    days, references = {}, {}
    for day in range(1, 15):
        names = ROTATION[(day - 1) % len(ROTATION)]
        case = contact(practitioner, f"2026-09-{day:02}T08:00:00Z", [people[n] for n in names])
        decide(practitioner, case["id"], "strategy_discussion", f"2026-09-{day:02}T09:00:00Z")
        if day == ENDED_ON:
            meeting(practitioner, case, f"2026-09-{day:02}T10:00:00Z", outcome="no_further_action")
        for name, child in zip(names, case["children"], strict=True):
            references[name] = child["id"]
        days[day] = names
    references = {name: practitioner.get(f"/api/v1/children/{child_id}").json["reference"]
                  for name, child_id in references.items()}
    return SimpleNamespace(days=days, references=references)


def test_list_3_read_in_many_small_batches_has_the_rows_of_one_large_batch(
        auditor, september, monkeypatch):
    """Each batch's counts come from a statement of its own: with batches of two rows it runs
    nine times on one connection (on PostgreSQL, prepared on the server after five), and must
    count what one batch does."""
    expected, earlier = [], {}
    for day, names in september.days.items():
        for name in names:
            expected.append([september.references[name], f"{day:02}/09/2026",
                             "Yes" if day == ENDED_ON else "No", str(earlier.get(name, 0))])
            earlier[name] = earlier.get(name, 0) + 1
    assert len(expected) == 17  # nine batches of two rows

    def cells(rows):
        return [[row[0], row[5], row[7], row[8]] for row in rows]

    whole = annex_a(auditor, "referrals", SEPTEMBER)[1:]
    assert cells(whole) == expected
    monkeypatch.setattr(annex_a_lists, "BATCH", 2)
    assert annex_a(auditor, "referrals", SEPTEMBER)[1:] == whole


@only_on("postgresql", "server-side prepared statements and their plans")
def test_list_3_plans_each_batchs_statement_for_its_batch_once_prepared(
        auditor, september, monkeypatch):
    """Batches of one row: the counts' statement runs seventeen times in the export's
    transaction, is prepared by psycopg after five, and is then planned for each batch's
    children and time range, never once for all (without the read's plan_cache_mode,
    PostgreSQL chose a generic plan from the sixth prepared run on)."""
    plans = {}

    def watched(reading, *period):
        yield from annex_a_lists.referrals(reading, *period)
        for statement, generic, custom in reading.execute(text(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")):
            plans[statement.split("FROM")[0].strip()] = (generic, custom)

    monkeypatch.setattr(annex_a_lists, "BATCH", 1)
    monkeypatch.setitem(annex_a_lists.LISTS, "referrals", watched)
    assert len(annex_a(auditor, "referrals", SEPTEMBER)) == 1 + 17
    generic, custom = plans["SELECT contact_children.child_id, decisions.decided_at"]
    assert generic == 0 and custom >= 6


# ---- List 5: section 47 enquiries -------------------------------------------------------------


def test_list_5_has_a_row_per_child_and_enquiry_with_its_icpc_and_those_of_the_12_months_before(
        auditor, cases):
    # s47 enquiries before 5 October 2026: 00:00 BST on 5 October 2025 (Amelia) and June's (both)
    # count; 23:59:59 BST on the 4th does not. ICPCs: 6 October 2025 (Amelia, within a year)
    # and 15 June (both); the enquiry at 00:00 BST needed none; this enquiry's own comes later.
    assert annex_a(auditor, "section-47")[1:] == [
        [cases.amelia, "Female", "WBRI: White British", "02/04/2019", "7", "Unknown", "05/10/2026", "No",
         "20/10/2026", "Yes", "2", "2", "", ""],
        [cases.ben, "Male", "MWBC: White and Black Caribbean", "06/10/2012", "13", "Unknown", "05/10/2026",
         "No", "20/10/2026", "No", "1", "1", "", ""],
    ]


def test_list_5_shows_an_icpc_not_required_and_counts_by_the_london_calendar(auditor, cases):
    # The meeting at 23:59:59 BST on 4 October 2025 started an enquiry on the 4th, its ICPC held
    # on Monday the 6th; the one a second later started on the 5th, one enquiry before it, no ICPC
    # before the 5th, and its ICPC was not required.
    rows = annex_a(auditor, "section-47", {"from": "2025-10-04", "to": "2025-10-06"})[1:]
    assert rows == [
        [cases.amelia, "Female", "WBRI: White British", "02/04/2019", "6", "Unknown", "04/10/2025", "No",
         "06/10/2025", "No", "0", "0", "", ""],
        [cases.amelia, "Female", "WBRI: White British", "02/04/2019", "6", "Unknown", "05/10/2025", "Yes",
         "", "", "1", "0", "", ""],
    ]


def test_list_5_takes_in_the_london_midnight_a_period_starts_at_and_not_the_one_it_ends_at(
        auditor, cases):
    # The enquiry at 00:00 BST on 5 October 2025 starts the 5th; the one at 23:59:59 BST ends the 4th.
    fifth = annex_a(auditor, "section-47", {"from": "2025-10-05", "to": "2025-10-06"})[1:]
    fourth = annex_a(auditor, "section-47", {"from": "2025-10-04", "to": "2025-10-05"})[1:]
    assert [(row[0], row[6]) for row in fifth] == [(cases.amelia, "05/10/2025")]
    assert [(row[0], row[6]) for row in fourth] == [(cases.amelia, "04/10/2025")]


def test_list_5_counts_only_the_meetings_that_started_an_enquiry(auditor, practitioner, cases):
    # Dan's strategy meeting on 2 November decided no further action: not an enquiry of his 12
    # months before the one on the 3rd.
    first = contact(practitioner, "2026-11-02T08:00:00Z", [DAN])
    decide(practitioner, first["id"], "strategy_discussion", "2026-11-02T09:00:00Z")
    meeting(practitioner, first, "2026-11-02T10:00:00Z", outcome="no_further_action")
    second = contact(practitioner, "2026-11-03T08:00:00Z", [DAN])
    decide(practitioner, second["id"], "strategy_discussion", "2026-11-03T09:00:00Z")
    meeting(practitioner, second, "2026-11-03T10:00:00Z")

    rows = annex_a(auditor, "section-47", {"from": "2026-11-01", "to": "2026-12-01"})[1:]
    assert [(row[0], row[6], row[10]) for row in rows] == [(cases.dan, "03/11/2026", "0")]


def test_list_5_counts_an_icpc_held_on_the_same_date_a_year_before(auditor, practitioner, cases):
    # Dan's ICPC on Monday 3 November 2025 is within the 12 months before his enquiry on Tuesday
    # 3 November 2026 (the first of its batch): the same date a year earlier counts. The enquiry
    # that led to it, on 27 October 2025, is before them.
    earlier = contact(practitioner, "2025-10-27T08:00:00Z", [DAN])
    decide(practitioner, earlier["id"], "strategy_discussion", "2025-10-27T09:00:00Z")
    icpc_held(practitioner, meeting(practitioner, earlier, "2025-10-27T10:00:00Z"), "2025-11-03",
              False)
    later = contact(practitioner, "2026-11-03T08:00:00Z", [DAN])
    decide(practitioner, later["id"], "strategy_discussion", "2026-11-03T09:00:00Z")
    meeting(practitioner, later, "2026-11-03T10:00:00Z")

    rows = annex_a(auditor, "section-47", {"from": "2026-11-01", "to": "2026-12-01"})[1:]
    assert [(row[0], row[6], row[10], row[11]) for row in rows] == [
        (cases.dan, "03/11/2026", "0", "1")]


def test_list_5_shows_each_childs_disability_and_the_referrals_allocation(
        auditor, manager, practitioner, cases):
    for child_id, body in ((cases.amelia_id, {"disability": True, "disabilities": ["HEAR"]}),
                           (cases.ben_id, {"disability": False})):
        recorded = practitioner.post(f"/api/v1/children/{child_id}/disability", json=body)
        assert recorded.status_code == 201, recorded.json
    allocated = manager.post(f"/api/v1/contacts/{cases.main}/allocation",
                             json={"team": "Assessment team 2", "worker": "sam"})
    assert allocated.status_code == 201, allocated.json

    rows = annex_a(auditor, "section-47")[1:]
    assert [(row[0], row[5], row[-2], row[-1]) for row in rows] == [
        (cases.amelia, "Yes", "Assessment team 2", "sam"),
        (cases.ben, "No", "Assessment team 2", "sam")]


def test_an_enquiry_whose_icpc_is_not_yet_recorded_leaves_those_cells_blank(auditor, practitioner, cases):
    case = contact(practitioner, "2026-11-02T08:00:00Z", [DAN])
    decide(practitioner, case["id"], "strategy_discussion", "2026-11-02T09:00:00Z")
    meeting(practitioner, case, "2026-11-02T10:00:00Z")
    rows = annex_a(auditor, "section-47", {"from": "2026-11-01", "to": "2026-12-01"})[1:]
    assert rows == [[cases.dan, "Male", "AIND: Indian", "05/05/2015", "11", "Unknown", "02/11/2026", "", "",
                     "", "0", "0", "", ""]]


# ---- List 2: early help -------------------------------------------------------------------------


def test_list_2_has_the_current_early_help_decisions_made_in_the_london_period(
        auditor, practitioner, clock):
    """Decided at 00:00 on 1 November (GMT): November's. At 00:00 on 1 December: not. Early help
    decided and then superseded by an assessment: no longer a start of early help."""
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    given = {"status": "given", "given_by": "Mother"}
    first = contact(practitioner, "2026-10-31T20:00:00Z", [DAN], consent=given)
    decide(practitioner, first["id"], "early_help", "2026-11-01T00:00:00Z")
    last = contact(practitioner, "2026-11-30T20:00:00Z", [BEN], consent=given)
    decide(practitioner, last["id"], "early_help", "2026-12-01T00:00:00Z")
    changed = contact(practitioner, "2026-11-10T09:00:00Z", [AMELIA], consent=given)
    helped = decide(practitioner, changed["id"], "early_help", "2026-11-10T10:00:00Z")
    decide(practitioner, changed["id"], "assessment", "2026-11-11T10:00:00Z",
           supersedes=helped["id"], supersede_reason="The school reported new injuries.")
    dan, ben = (practitioner.get(f"/api/v1/children/{case['children'][0]['id']}").json["reference"]
                for case in (first, last))

    assert early_help_started(auditor, {"from": "2026-11-01", "to": "2026-12-01"}) == [(dan, "01/11/2026")]
    assert early_help_started(auditor, {"from": "2026-12-01", "to": "2026-12-02"}) == [(ben, "01/12/2026")]


def test_list_2_has_the_step_downs_accepted_in_the_london_period_and_no_other_transition(
        auditor, staff, clock):
    """A step down accepted starts early help, dated by its acceptance; a step down refused and a
    step up accepted do not. The period takes in the London midnight it starts at, not the one it
    ends at (GMT in November: 00:00Z)."""
    clock.set(datetime(2026, 10, 30, 10, 0, tzinfo=UTC))
    downs = [open_child(staff, clock, "social_care") for _ in range(4)]
    up = open_child(staff, clock, "early_help")
    requests = [requested(step_down(staff.sc, child_id)) for child_id in downs]
    up_request = requested(step_up(staff.eh, up))
    answers = [  # (when, by, request, decision), in order
        (datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC), staff.eh_manager, requests[0], "accepted"),
        (datetime(2026, 11, 1, 0, 0, tzinfo=UTC), staff.eh_manager, requests[1], "accepted"),
        (datetime(2026, 11, 16, 10, 0, tzinfo=UTC), staff.eh_manager, requests[2], "refused"),
        (datetime(2026, 11, 16, 10, 0, tzinfo=UTC), staff.sc_manager, up_request, "accepted"),
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), staff.eh_manager, requests[3], "accepted"),
    ]
    for when, manager, request, decision in answers:
        clock.set(when)
        answered = respond(manager, request["id"], decision)
        assert answered.status_code in (200, 201), answered.json
    reference = [staff.mash.get(f"/api/v1/children/{child_id}").json["reference"]
                 for child_id in downs]

    assert early_help_started(auditor, {"from": "2026-11-01", "to": "2026-12-01"}) == [(reference[1], "01/11/2026")]
    assert early_help_started(auditor, {"from": "2026-10-31", "to": "2026-11-01"}) == [(reference[0], "31/10/2026")]
    assert early_help_started(auditor, {"from": "2026-12-01", "to": "2026-12-02"}) == [(reference[3], "01/12/2026")]


def test_list_2_leaves_out_a_restricted_childs_step_down_for_a_manager_it_does_not_name(
        auditor, staff, api_as, clock):
    shut, shown = (open_child(staff, clock, "social_care") for _ in range(2))
    for child_id in (shut, shown):
        answered = respond(staff.eh_manager, requested(step_down(staff.sc, child_id))["id"])
        assert answered.status_code in (200, 201), answered.json
    restrict_to_priya(api_as, ("child", shut))
    november = {"from": "2026-11-01", "to": "2026-12-01"}
    sara = api_as("manager", sub="sara", service="social_care")

    assert len(annex_a(auditor, "early-help", november)[1:]) == 2
    assert [row[0] for row in annex_a(sara, "early-help", november)[1:]] == [
        staff.mash.get(f"/api/v1/children/{shown}").json["reference"]]


def test_lists_2_and_5_are_in_the_order_their_rows_started_whatever_order_their_ids_fall_in(
        auditor, practitioner, clock):
    """Six enquiries and six starts of early help, a day apart: each list in the order they
    started. (Their ids are random: with six, ordered by id they would be in time order once in
    720 runs.)"""
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    given = {"status": "given", "given_by": "Mother"}
    days = range(2, 8)
    for day in days:
        at = f"2026-11-{day:02d}T"
        enquiry = contact(practitioner, f"{at}08:00:00Z", [DAN])
        decide(practitioner, enquiry["id"], "strategy_discussion", f"{at}09:00:00Z")
        meeting(practitioner, enquiry, f"{at}10:00:00Z")
        helped = contact(practitioner, f"{at}08:00:00Z", [BEN], consent=given)
        decide(practitioner, helped["id"], "early_help", f"{at}11:00:00Z")
    november = {"from": "2026-11-01", "to": "2026-12-01"}
    started = [f"{day:02d}/11/2026" for day in days]

    assert [row[6] for row in annex_a(auditor, "section-47", november)[1:]] == started
    assert [row[5] for row in annex_a(auditor, "early-help", november)[1:]] == started


# ---- restricted records -----------------------------------------------------------------------


def test_a_restricted_contact_is_neither_listed_nor_counted_for_a_manager_it_does_not_name(
        api_as, auditor, cases):
    """For staff it does not name, a restricted record is as if it did not exist (DOMAIN.md): not
    a row, nor one of the 12 months' referrals, enquiries or conferences of another row. June's
    contact (both children's earlier referral, enquiry and ICPC) and the 20th's (Amelia's second
    October referral) restricted to priya; an auditor still has every row as before."""
    restrict_to_priya(api_as, ("contact", cases.june), ("contact", cases.later))
    sara = api_as("manager", sub="sara", service="social_care")
    amelia = [cases.amelia, "Female", "WBRI: White British", "02/04/2019", "7"]
    ben = [cases.ben, "Male", "MWBC: White and Black Caribbean", "06/10/2012", "13"]

    assert [row[0] for row in annex_a(sara, "contacts")[1:]] == [
        cases.amelia, cases.ben, cases.cara, cases.dan]
    assert [row for row in annex_a(sara, "referrals")[1:] if row[0] != cases.cara] == [
        [*amelia, "05/10/2026", "6: Police", "No", "1", "", ""],
        [*ben, "05/10/2026", "6: Police", "No", "0", "", ""],
    ]
    june = {"from": "2026-06-01", "to": "2026-07-01"}  # June's own rows
    assert annex_a(sara, "referrals", june)[1:] == annex_a(sara, "section-47", june)[1:] == []
    assert annex_a(sara, "section-47")[1:] == [
        [*amelia, "Unknown", "05/10/2026", "No", "20/10/2026", "Yes", "1", "1", "", ""],
        [*ben, "Unknown", "05/10/2026", "No", "20/10/2026", "No", "0", "0", "", ""],
    ]
    assert [row[-3] for row in annex_a(auditor, "referrals")[1:]] == ["2", "1", "0", "2"]
    assert [row[-4:-2] for row in annex_a(auditor, "section-47")[1:]] == [["2", "2"], ["1", "1"]]


# ---- who may, and the access log --------------------------------------------------------------


@pytest.mark.parametrize(("born", "on", "age"), [
    (date(2020, 3, 15), date(2020, 3, 15), 0),  # born that day
    (date(2020, 3, 15), date(2026, 3, 14), 5),  # the day before a birthday
    (date(2020, 3, 15), date(2026, 3, 15), 6),  # on the birthday
    (date(2020, 2, 29), date(2021, 2, 28), 0),  # a leap day's child is a year old on 1 March
    (date(2020, 2, 29), date(2021, 3, 1), 1),
    (date(2020, 3, 15), date(2020, 3, 14), ""),  # not born yet
    (None, date(2026, 3, 15), ""),  # unborn, no date of birth
])
def test_a_childs_age_is_in_whole_years_and_goes_up_on_the_birthday(born, on, age):
    assert annex_a_lists.age_in_years(born, on) == age


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_auditors_and_managers_may_export_annex_a(api_as, role, cases):
    assert len(annex_a(api_as(role), "contacts")) == 6


@pytest.mark.parametrize("role", ["practitioner", "agency", "admin"])
def test_others_may_not_export_annex_a(api_as, role):
    response = api_as(role).get(f"{ANNEX_A}/referrals", query_string=OCTOBER)
    assert_problem(response, 403)


def test_annex_a_needs_a_token(anonymous):
    assert_problem(anonymous.get(f"{ANNEX_A}/contacts", query_string=OCTOBER), 401)


def test_each_annex_a_export_is_recorded_in_the_access_log(auditor, api_as):
    before = last_event_id()
    annex_a(auditor, "section-47")
    event = only_event_after(before)
    assert (event.entity_type, event.entity_id, event.endpoint, event.actor_sub, event.status) == (
        "export", "section-47", "exports.export_annex_a", "alex", 200)
    assert event.query == "from=2026-10-01&to=2026-11-01"
    before = last_event_id()
    refused = api_as("practitioner", sub="priya").get(f"{ANNEX_A}/contacts", query_string=OCTOBER)
    assert refused.status_code == 403
    event = only_event_after(before)
    assert (event.entity_type, event.entity_id, event.status, event.actor_sub) == (
        "export", "contacts", 403, "priya")


# ---- what is asked for ------------------------------------------------------------------------


def test_an_unknown_list_is_not_found(auditor):
    """Lists 6 to 8 (children in need, child protection, looked after) need records this system
    does not hold."""
    assert_problem(auditor.get(f"{ANNEX_A}/looked-after", query_string=OCTOBER), 404)


def test_the_period_must_end_after_it_starts(auditor):
    response = auditor.get(f"{ANNEX_A}/contacts", query_string={"from": "2026-10-01", "to": "2026-10-01"})
    assert_problem(response, 422, "to")
    assert_problem(auditor.get(f"{ANNEX_A}/contacts", query_string={"from": "2026-10-01"}), 422, "to")


@pytest.mark.parametrize("period", [
    {"from": "9999-12-30", "to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"}])
def test_a_period_outside_the_calendar_the_api_calculates_with_is_rejected(auditor, period):
    """As for the other periods: a year before it cannot be worked out at the edges."""
    response = auditor.get(f"{ANNEX_A}/section-47", query_string=period, headers={"Accept": "text/csv"})
    assert_problem(response, 422, "from")
    assert response.json["errors"]["to"] == ["Must be between 1900-01-01 and 2999-12-31."]


def test_annex_a_is_csv_only(auditor):
    response = auditor.get(f"{ANNEX_A}/contacts", query_string=OCTOBER,
                           headers={"Accept": "application/json"})
    assert_problem(response, 406)


def test_the_csv_is_named_after_the_list_and_period(auditor):
    response = auditor.get(f"{ANNEX_A}/referrals", query_string=OCTOBER, headers={"Accept": "text/csv"})
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="annex-a-list-3-referrals-2026-10-01-2026-11-01.csv"')


# ---- ethnicity --------------------------------------------------------------------------------


def test_a_childs_ethnicity_is_recorded_with_the_child_and_a_later_contact_keeps_its_own(
    practitioner
):
    """Changed rule (a child's identity): a later contact's ethnicity used to fill in a record that
    had none; a contact now never changes a record, and keeps what it gives as given."""
    first = contact(practitioner, "2026-11-19T09:00:00Z", [DAN])
    child_id = first["children"][0]["id"]
    assert practitioner.get(f"/api/v1/children/{child_id}").json["ethnicity"] == "AIND"
    unknown = {key: value for key, value in BEN.items() if key != "ethnicity"}
    ben = contact(practitioner, "2026-11-19T09:30:00Z", [unknown])["children"][0]["id"]
    later = contact(practitioner, "2026-11-19T10:00:00Z", [BEN, {**DAN, "ethnicity": "AOTH"}])
    # Another referrer's description is kept on its contact; neither record changes.
    assert [c["id"] for c in later["children"]] == [ben, child_id]
    assert [c["as_given"]["ethnicity"] for c in later["children"]] == ["MWBC", "AOTH"]
    assert practitioner.get(f"/api/v1/children/{child_id}").json["ethnicity"] == "AIND"
    assert practitioner.get(f"/api/v1/children/{ben}").json["ethnicity"] is None


def test_an_ethnicity_that_is_not_a_cin_code_is_rejected(practitioner):
    response = practitioner.post("/api/v1/contacts", json=contact_body(children=[{**AMELIA, "ethnicity": "British"}]))
    assert_problem(response, 422, "children[0].ethnicity", says="Must be one of: WBRI, WIRI")
