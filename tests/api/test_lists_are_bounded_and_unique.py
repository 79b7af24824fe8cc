"""Every list in a request body is bounded and takes no item twice: 20,000 copies of `neglect`
were stored and served. A duplicate is a 422 naming the second item (and, for a list of records
the same by one field, that field); a list over its bound is a 422 naming the list, refused before
its items are read. Nothing is recorded either way."""

import uuid

import pytest
from sqlalchemy import update

from api.db import session
from api.models import Contact
from api.vocab import CONCERN_CATEGORIES
from tests.helpers import contact_body
from tests.contract.case_seed import seed_case

CONTACTS = "/api/v1/contacts"
MEETINGS = "/api/v1/strategy-meetings"
PROBLEM = "application/problem+json"


def assert_names(response, field, says):
    assert response.status_code == 422, response.json
    assert response.content_type == PROBLEM
    messages = response.json["errors"].get(field)
    assert messages, response.json["errors"]
    assert says.lower() in " ".join(messages).lower(), messages


def concerns(categories):
    return {"categories": categories, "summary": "Police attended a domestic incident."}


def child(given_name, nhs_number=None):
    found = {"given_name": given_name, "family_name": "Hughes", "date_of_birth": "2019-04-02"}
    if nhs_number:
        found["nhs_number"] = nhs_number
    return found


@pytest.fixture
def seeded(app):
    return seed_case(app)


@pytest.fixture
def practitioner(api_as):
    return api_as("practitioner", sub="priya", service="mash")


def contacts_recorded():
    return session.query(Contact).count()


def test_twenty_thousand_copies_of_neglect_are_refused_and_nothing_is_recorded(api_as):
    before = contacts_recorded()
    response = api_as("agency").post(CONTACTS, json=contact_body(concerns=concerns(
        ["neglect"] * 20_000)))
    assert_names(response, "concerns.categories", "12")
    assert contacts_recorded() == before


def test_a_concern_category_given_twice_is_refused_naming_the_second(api_as):
    response = api_as("agency").post(CONTACTS, json=contact_body(concerns=concerns(
        ["neglect", "domestic_abuse", "neglect"])))
    assert_names(response, "concerns.categories[2]", "twice")


def test_every_category_once_is_accepted(api_as):
    response = api_as("agency").post(CONTACTS, json=contact_body(concerns=concerns(
        list(CONCERN_CATEGORIES))))
    assert response.status_code == 201, response.json
    assert response.json["concerns"]["categories"] == list(CONCERN_CATEGORIES)


def test_categories_stored_twice_before_this_rule_are_served_once(api_as):
    police = api_as("agency")
    created = police.post(CONTACTS, json=contact_body(concerns=concerns(["neglect"]))).json
    session.execute(update(Contact).where(Contact.id == uuid.UUID(created["id"])).values(
        concern_categories=["neglect", "missing", "neglect"] * 100))
    session.commit()
    served = police.get(f"{CONTACTS}/{created['id']}").json
    assert served["concerns"]["categories"] == ["neglect", "missing"]


def test_the_same_child_twice_in_one_contact_is_refused_even_without_identifiers(api_as):
    response = api_as("agency").post(CONTACTS, json=contact_body(
        children=[child("Amelia"), child("Noah"), child("Amelia")]))
    assert_names(response, "children[2]", "twice")


def test_more_than_thirty_children_in_one_contact_are_refused(api_as):
    response = api_as("agency").post(CONTACTS, json=contact_body(
        children=[child(f"Child {n}") for n in range(31)]))
    assert_names(response, "children", "30")


def meeting_body(seeded, **overrides):
    body = {"contact_id": seeded["contact_id"], "children": [seeded["child_id"]],
            "convened_at": "2026-11-20T10:00:00Z", "scheduled_for": "2026-11-20T12:00:00Z",
            "chair": "Mark Evans",
            "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}]}
    body.update(overrides)
    return body


@pytest.mark.parametrize(("overrides", "field", "says"), [
    ({"children": "twice"}, "children[1]", "twice"),
    ({"children": "31"}, "children", "30"),
    ({"invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"},
                  {"agency": "wmp", "invited_at": "2026-11-20T10:00:00Z"}]},
     "invited[2].agency", "twice"),
    ({"invited": [{"agency": f"agency-{n}"} for n in range(101)]}, "invited", "100"),
    ({"not_invited_reasons": {f"agency-{n}": "Not involved." for n in range(101)}},
     "not_invited_reasons", "100"),
], ids=["child twice", "31 children", "agency invited twice", "101 invited", "101 reasons"])
def test_a_meetings_lists_are_unique_and_bounded(practitioner, seeded, overrides, field, says):
    if overrides.get("children") == "twice":
        overrides["children"] = [seeded["child_id"]] * 2
    elif overrides.get("children") == "31":
        overrides["children"] = [seeded["child_id"]] * 31
    response = practitioner.post(MEETINGS, json=meeting_body(seeded, **overrides))
    assert_names(response, field, says)


OUTCOME = {"held_at": "2026-11-20T10:00:00Z", "outcome": "s47_enquiry",
           "rationale": "Disclosure of physical harm corroborated by the school nurse.",
           "medical_examination": {"decision": "required"}}
ACTION = {"description": "Visit the family home.", "owner_agency": "wmp", "due_date": "2026-11-27"}


@pytest.mark.parametrize(("overrides", "field", "says"), [
    ({"attendance": [{"agency": "wmp", "attended": True}, {"agency": "wmp", "attended": False}]},
     "attendance[1].agency", "twice"),
    ({"attendance": [{"agency": f"a-{n}", "attended": True} for n in range(101)]},
     "attendance", "100"),
    ({"actions": [ACTION, {**ACTION, "owner_agency": "hilltop-gp"}, ACTION]}, "actions[2]",
     "twice"),
    ({"actions": [{**ACTION, "description": f"Action {n}"} for n in range(201)]}, "actions",
     "200"),
], ids=["attendance twice", "101 attendances", "action twice", "201 actions"])
def test_a_meeting_outcomes_lists_are_unique_and_bounded(
        practitioner, seeded, overrides, field, says):
    response = practitioner.post(f"{MEETINGS}/{seeded['meeting_id']}/outcome",
                                 json={**OUTCOME, **overrides})
    assert_names(response, field, says)


def test_an_icpc_entry_for_one_child_twice_is_refused_and_the_list_is_bounded(
        practitioner, seeded):
    path = f"{MEETINGS}/{seeded['meeting_id']}/icpc"
    twice = [{"child_id": seeded["child_id"], "plan": True},
             {"child_id": seeded["child_id"], "plan": False}]
    assert_names(practitioner.post(path, json={"held_on": "2026-11-20",
                                               "child_protection_plan": twice}),
                 "child_protection_plan[1].child_id", "twice")
    many = [{"child_id": seeded["child_id"], "plan": True}] * 31
    assert_names(practitioner.post(path, json={"held_on": "2026-11-20",
                                               "child_protection_plan": many}),
                 "child_protection_plan", "30")


def test_an_expected_outcome_twice_is_refused_and_the_list_is_bounded(api_as, seeded):
    social_worker = api_as("practitioner", service="social_care")
    body = {"child_id": seeded["child_id"], "direction": "step_down",
            "rationale": "Enquiry concluded; risks reduced; family engaging with support."}
    twice = {**body, "plan": {"summary": "Family support weekly",
                              "expected_outcomes": ["Attends school", " Attends school "]}}
    assert_names(social_worker.post("/api/v1/transitions", json=twice),
                 "plan.expected_outcomes[1]", "twice")
    many = {**body, "plan": {"summary": "Family support weekly",
                             "expected_outcomes": [f"Outcome {n}" for n in range(51)]}}
    assert_names(social_worker.post("/api/v1/transitions", json=many),
                 "plan.expected_outcomes", "50")


def test_a_checkpoint_sent_twice_is_refused(api_as):
    auditor = api_as("auditor")
    checkpoint = auditor.get("/api/v1/audit/checkpoint").json["checkpoint"]
    response = auditor.post("/api/v1/audit/verify", json={"checkpoints": [checkpoint] * 2})
    assert_names(response, "checkpoints[1]", "twice")
