"""Strategy meetings: who must be invited, what the meeting decided, the minutes, and who may do it.

Every rule is shown both ways: accepted when right, and rejected with the named field and reason
(and nothing written to the audit trail) when wrong.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.timescales import LONDON
from api.vocab import nhs_number_with_check_digit
from tests.helpers import assert_problem, contact_body

MEETINGS = "/api/v1/strategy-meetings"
DECISION_RATIONALE = "Child has unexplained bruising and disclosed being grabbed by an adult."
MEETING_RATIONALE = "Disclosure of physical harm by a household adult; police and health agree s47."
FIRST_NHS = "9434765919"  # the child in contact_body()
SECOND_NHS = nhs_number_with_check_digit("401023213")


def utc(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(instant):
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def child(given_name, nhs_number):
    return {"given_name": given_name, "family_name": "Hughes", "date_of_birth": "2019-04-02",
            "sex": "female", "nhs_number": nhs_number}


# ---- clients and the audit trail -------------------------------------------------------------


# ---- set-up ----------------------------------------------------------------------------------


class Case:
    def __init__(self, contact_id, child_ids, decision_id):
        self.contact_id = contact_id
        self.child_ids = child_ids
        self.decision_id = decision_id


def record_contact(client, **overrides):
    overrides.setdefault("received_at", "2026-11-20T08:00:00Z")
    created = client.post("/api/v1/contacts", json=contact_body(**overrides))
    assert created.status_code == 201, created.json
    return created.json


def decide(client, contact_id, outcome, decided_at, **extra):
    decided = client.post(f"/api/v1/contacts/{contact_id}/decisions", json={
        "outcome": outcome, "rationale": DECISION_RATIONALE, "decided_at": decided_at, **extra})
    assert decided.status_code == 201, decided.json
    return decided.json


def strategy_case(client, *, decided_at="2026-11-20T08:30:00Z", **contact_overrides):
    """A contact (police by default) whose current decision is strategy_discussion."""
    contact = record_contact(client, **contact_overrides)
    decision = decide(client, contact["id"], "strategy_discussion", decided_at)
    return Case(contact["id"], [c["id"] for c in contact["children"]], decision["id"])


def early_help_case(client, *, received_at, decided_at, nhs_number=FIRST_NHS):
    """Another contact about the same child, decided early help (voluntary: consent given)."""
    contact = record_contact(
        client, received_at=received_at, source_agency="oakfield-primary",
        children=[child("Amelia", nhs_number)],
        consent={"status": "given", "given_by": "Mother"},
    )
    decide(client, contact["id"], "early_help", decided_at)
    return contact


def meeting_body(case, **overrides):
    body = {
        "contact_id": case.contact_id,
        "children": case.child_ids,
        "convened_at": "2026-11-20T08:45:00Z",
        "scheduled_for": "2026-11-20T09:30:00Z",
        "chair": "Mark Evans",
        "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}],
    }
    body.update(overrides)
    return body


def convene(client, case, **overrides):
    created = client.post(MEETINGS, json=meeting_body(case, **overrides))
    assert created.status_code == 201, created.json
    return created.json


def outcome_body(**overrides):
    body = {
        "held_at": "2026-11-20T09:30:00Z",
        "attendance": [
            {"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
            {"agency": "hilltop-gp", "attended": False},
        ],
        "outcome": "s47_enquiry",
        "rationale": MEETING_RATIONALE,
        "medical_examination": {"decision": "required"},
    }
    body.update(overrides)
    if "actions" not in overrides:  # due the day after the meeting, wherever it is held
        held_on = datetime.fromisoformat(body["held_at"]).astimezone(LONDON).date()
        body["actions"] = [{"description": "Joint visit to the home", "owner_agency": "wmp",
                            "due_date": (held_on + timedelta(days=1)).isoformat()}]
    return body


def record_outcome(client, meeting_id, **overrides):
    recorded = client.post(f"{MEETINGS}/{meeting_id}/outcome", json=outcome_body(**overrides))
    assert recorded.status_code == 201, recorded.json
    return recorded.json


@pytest.fixture
def case(practitioner):
    return strategy_case(practitioner)


@pytest.fixture
def meeting(practitioner, case):
    return convene(practitioner, case)


@pytest.fixture
def held_meeting(practitioner, meeting):
    return record_outcome(practitioner, meeting["id"])


# ---- convening -------------------------------------------------------------------------------


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


def test_a_contact_without_a_decision_cannot_have_a_strategy_meeting(practitioner, trail):
    contact = record_contact(practitioner)
    before = trail.length()
    refused = practitioner.post(MEETINGS, json=meeting_body(
        Case(contact["id"], [c["id"] for c in contact["children"]], None)))
    assert_problem(refused, 409, "contact_id", says="not strategy_discussion")
    assert trail.length() == before


@pytest.mark.parametrize("outcome", ["nfa", "information_advice", "universal_services",
                                     "existing_case"])
def test_a_contact_decided_otherwise_than_strategy_discussion_gets_409(
    practitioner, trail, outcome
):
    contact = record_contact(practitioner)
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
    contact = record_contact(practitioner)
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
    other = record_contact(practitioner, children=[child("Noah", SECOND_NHS)])
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
    contact = record_contact(practitioner, children=[child("Amelia", FIRST_NHS),
                                                     child("Noah", SECOND_NHS)])
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
    ({"invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "wmp"}]}, "invited",
     "once"),
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


def test_an_action_due_before_the_meeting_is_rejected(practitioner, meeting):
    refused = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body(
        actions=[{"description": "Visit", "owner_agency": "wmp", "due_date": "2026-11-19"}]))
    assert_problem(refused, 422, "actions[0].due_date")


def test_a_convened_at_with_an_offset_is_stored_in_utc(practitioner, case):
    meeting = convene(practitioner, case, convened_at="2026-11-20T09:45:00+01:00")
    assert meeting["convened_at"] == "2026-11-20T08:45:00Z"


# ---- required invitees -----------------------------------------------------------------------


@pytest.fixture
def school_case(practitioner):
    """A contact made by a school: police, health and the school must be invited."""
    return strategy_case(practitioner, source_agency="oakfield-primary")


@pytest.mark.parametrize(("invited", "missing", "names"), [
    (["hilltop-gp", "oakfield-primary"], "police", "police"),
    (["wmp", "oakfield-primary"], "health", "health"),
    (["wmp", "hilltop-gp"], "oakfield-primary", "Oakfield Primary School"),
])
def test_a_required_invitee_left_out_without_a_reason_is_named(
    practitioner, school_case, trail, invited, missing, names
):
    before = trail.length()
    refused = practitioner.post(MEETINGS, json=meeting_body(
        school_case, invited=[{"agency": code} for code in invited]))
    assert_problem(refused, 422, f"not_invited_reasons.{missing}", says=names)
    assert missing in refused.json["detail"]
    assert trail.length() == before


def test_with_police_health_and_the_referring_school_invited_the_meeting_is_convened(
    practitioner, school_case
):
    meeting = convene(practitioner, school_case, invited=[
        {"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}])
    assert meeting["required_invitees"] == ["health", "oakfield-primary", "police"]


def test_any_agency_of_a_required_kind_satisfies_that_kind(practitioner, school_case):
    meeting = convene(practitioner, school_case, invited=[
        {"agency": "btp"}, {"agency": "city-hospital-ed"}, {"agency": "oakfield-primary"}])
    invited = [i["agency"] for i in meeting["invited"]]
    assert invited == ["btp", "city-hospital-ed", "oakfield-primary"]


def test_nobody_invited_is_rejected_naming_the_first_required_kind(practitioner, school_case):
    refused = practitioner.post(MEETINGS, json=meeting_body(school_case, invited=[]))
    assert_problem(refused, 422, "not_invited_reasons.police")


@pytest.mark.parametrize(("invited", "reasons"), [
    (["hilltop-gp", "oakfield-primary"], {"police": "Police have no involvement with the family."}),
    (["hilltop-gp", "oakfield-primary"], {"wmp": "Police have no involvement with this family."}),
    (["wmp", "oakfield-primary"], {"health": "Child not registered with any health provider."}),
    (["wmp", "oakfield-primary"], {"hilltop-gp": "Child not registered with the practice."}),
    (["wmp", "hilltop-gp"], {"oakfield-primary": "School closed for half term; DSL unavailable."}),
], ids=["police-by-kind", "police-by-code", "health-by-kind", "health-by-code", "referrer-by-code"])
def test_a_required_invitee_may_be_left_out_with_a_reason(
    practitioner, school_case, invited, reasons
):
    meeting = convene(practitioner, school_case, invited=[{"agency": c} for c in invited],
                      not_invited_reasons=reasons)
    assert meeting["not_invited_reasons"] == reasons


def test_a_reason_keyed_by_an_agency_of_another_kind_does_not_excuse_a_required_kind(
    practitioner, school_case
):
    refused = practitioner.post(MEETINGS, json=meeting_body(
        school_case, invited=[{"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}],
        not_invited_reasons={"housing": "Housing are not involved with this family."}))
    assert_problem(refused, 422, "not_invited_reasons.police")


def test_a_reason_keyed_by_neither_an_agency_code_nor_a_kind_is_rejected(practitioner, school_case):
    refused = practitioner.post(MEETINGS, json=meeting_body(
        school_case, invited=[{"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}],
        not_invited_reasons={"polis": "Police have no involvement with this family."}))
    assert_problem(refused, 422, "not_invited_reasons.polis", says="Unknown")


def test_a_reason_is_kept_trimmed(practitioner, school_case):
    meeting = convene(practitioner, school_case,
                      invited=[{"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}],
                      not_invited_reasons={"police": "  No police involvement.  "})
    assert meeting["not_invited_reasons"] == {"police": "No police involvement."}


def test_the_referring_agency_itself_must_be_invited_even_when_its_kind_is_covered(
    practitioner, trail
):
    case = strategy_case(practitioner, source_agency="btp")
    before = trail.length()
    refused = practitioner.post(MEETINGS, json=meeting_body(
        case, invited=[{"agency": "wmp"}, {"agency": "hilltop-gp"}]))
    assert_problem(refused, 422, "not_invited_reasons.btp", says="British Transport Police")
    assert trail.length() == before

    meeting = convene(practitioner, case, invited=[{"agency": "btp"}, {"agency": "hilltop-gp"}])
    assert meeting["required_invitees"] == ["btp", "health", "police"]


def test_a_reason_for_leaving_out_the_referring_agency_excuses_it(practitioner):
    case = strategy_case(practitioner, source_agency="btp")
    meeting = convene(practitioner, case, invited=[{"agency": "wmp"}, {"agency": "hilltop-gp"}],
                      not_invited_reasons={"btp": "BTP officer on leave; WMP hold the case."})
    assert meeting["not_invited_reasons"] == {"btp": "BTP officer on leave; WMP hold the case."}


def test_a_contact_made_by_childrens_social_care_adds_no_referrer_invitee(practitioner):
    case = strategy_case(practitioner, source_agency="childrens-social-care")
    meeting = convene(practitioner, case, invited=[{"agency": "wmp"}, {"agency": "hilltop-gp"}])
    assert meeting["required_invitees"] == ["health", "police"]


def test_a_contact_made_by_adult_social_care_requires_adult_social_care(practitioner):
    case = strategy_case(practitioner, source_agency="adult-social-care")
    refused = practitioner.post(MEETINGS, json=meeting_body(case))
    assert_problem(refused, 422, "not_invited_reasons.adult-social-care")


def test_a_changed_configuration_requires_the_configured_kinds(
    practitioner, app, school_case, monkeypatch
):
    monkeypatch.setitem(app.config, "STRATEGY_REQUIRED_KINDS",
                        ["police", "health", "youth_justice"])
    invited = [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}]
    refused = practitioner.post(MEETINGS, json=meeting_body(school_case, invited=invited))
    assert_problem(refused, 422, "not_invited_reasons.youth_justice", says="youth_justice")

    meeting = convene(practitioner, school_case, invited=[*invited, {"agency": "youth-justice"}])
    assert meeting["required_invitees"] == ["health", "oakfield-primary", "police", "youth_justice"]


def test_a_kind_dropped_from_the_configuration_is_no_longer_required(
    practitioner, app, school_case, monkeypatch
):
    monkeypatch.setitem(app.config, "STRATEGY_REQUIRED_KINDS", ["police"])
    meeting = convene(practitioner, school_case,
                      invited=[{"agency": "wmp"}, {"agency": "oakfield-primary"}])
    assert meeting["required_invitees"] == ["oakfield-primary", "police"]


# ---- early help ------------------------------------------------------------------------------


def test_a_child_open_to_early_help_requires_early_help_to_be_invited(practitioner, case, trail):
    # A school's contact about the same child is decided early help after the police contact.
    early_help_case(practitioner, received_at="2026-11-20T08:40:00Z",
                    decided_at="2026-11-20T08:50:00Z")
    before = trail.length()
    refused = practitioner.post(MEETINGS, json=meeting_body(case))
    assert_problem(refused, 422, "not_invited_reasons.early_help", says="early help")
    assert trail.length() == before

    meeting = convene(practitioner, case, invited=[
        {"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "early-help"}])
    assert "early_help" in meeting["required_invitees"]


def test_a_child_already_open_to_early_help_when_the_strategy_discussion_is_decided_requires_it(
    practitioner, clock
):
    # The inspectors' finding: a child open to early help, then a new contact needing s47.
    clock.set(utc("2026-11-20T12:00:00Z"))
    early_help_case(practitioner, received_at="2026-11-19T09:00:00Z",
                    decided_at="2026-11-19T12:00:00Z")
    case = strategy_case(practitioner, received_at="2026-11-20T08:00:00Z",
                         decided_at="2026-11-20T08:30:00Z")
    assert_problem(practitioner.post(MEETINGS, json=meeting_body(case)), 422,
                   "not_invited_reasons.early_help")


@pytest.mark.parametrize("key", ["early_help", "early-help"])
def test_early_help_may_be_left_out_with_a_reason_keyed_by_kind_or_code(practitioner, case, key):
    early_help_case(practitioner, received_at="2026-11-20T08:40:00Z",
                    decided_at="2026-11-20T08:50:00Z")
    meeting = convene(practitioner, case, not_invited_reasons={
        key: "Early help worker is the parent's sibling; conflict of interest."})
    assert key in meeting["not_invited_reasons"]


def test_a_child_not_open_to_early_help_does_not_require_it(practitioner, case):
    meeting = convene(practitioner, case)
    assert "early_help" not in meeting["required_invitees"]
    assert [i["agency"] for i in meeting["invited"]] == ["wmp", "hilltop-gp"]


def test_only_the_children_the_meeting_concerns_bring_in_early_help(practitioner):
    contact = record_contact(practitioner, children=[child("Amelia", FIRST_NHS),
                                                     child("Noah", SECOND_NHS)])
    decide(practitioner, contact["id"], "strategy_discussion", "2026-11-20T08:30:00Z")
    early_help_case(practitioner, received_at="2026-11-20T08:40:00Z",
                    decided_at="2026-11-20T08:50:00Z", nhs_number=SECOND_NHS)
    amelia, noah = (c["id"] for c in contact["children"])

    only_amelia = convene(practitioner, Case(contact["id"], [amelia], None))
    assert "early_help" not in only_amelia["required_invitees"]
    refused = practitioner.post(MEETINGS, json=meeting_body(
        Case(contact["id"], [amelia, noah], None)))
    assert_problem(refused, 422, "not_invited_reasons.early_help")


def _step(client_requesting, manager, child_id, direction):
    body = {"child_id": child_id, "direction": direction,
            "rationale": "Enquiry concluded; risks reduced; family engaging with support."}
    if direction == "step_down":
        body["plan"] = {"summary": "Family support worker weekly",
                        "expected_outcomes": ["School attendance above 95%"]}
    requested = client_requesting.post("/api/v1/transitions", json=body)
    assert requested.status_code == 201, requested.json
    accepted = manager.post(f"/api/v1/transitions/{requested.json['id']}/response",
                            json={"decision": "accepted"})
    assert accepted.status_code == 201, accepted.json


def test_a_child_stepped_down_to_early_help_requires_early_help_at_a_later_meeting(
    practitioner, api_as, clock
):
    clock.set(utc("2026-11-10T12:00:00Z"))
    earlier = strategy_case(practitioner, received_at="2026-11-10T08:00:00Z",
                            decided_at="2026-11-10T08:30:00Z")
    clock.set(utc("2026-11-16T12:00:00Z"))
    _step(api_as("practitioner", sub="sam", service="social_care"),
          api_as("manager", sub="emma", service="early_help"), earlier.child_ids[0], "step_down")
    clock.set(utc("2026-11-20T10:00:00Z"))
    case = strategy_case(practitioner)

    assert_problem(practitioner.post(MEETINGS, json=meeting_body(case)), 422,
                   "not_invited_reasons.early_help")
    convene(practitioner, case, invited=[
        {"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "early-help"}])


def test_a_child_stepped_up_out_of_early_help_no_longer_requires_it(practitioner, api_as, clock):
    clock.set(utc("2026-11-10T12:00:00Z"))
    helped = early_help_case(practitioner, received_at="2026-11-10T08:00:00Z",
                             decided_at="2026-11-10T08:30:00Z")
    clock.set(utc("2026-11-16T12:00:00Z"))
    _step(api_as("practitioner", sub="erin", service="early_help"),
          api_as("manager", sub="sara", service="social_care"), helped["children"][0]["id"],
          "step_up")
    clock.set(utc("2026-11-20T10:00:00Z"))
    case = strategy_case(practitioner)

    meeting = convene(practitioner, case)
    assert "early_help" not in meeting["required_invitees"]


# ---- the outcome -----------------------------------------------------------------------------


def test_an_s47_outcome_is_recorded_with_attendance_medical_decision_and_actions(
    practitioner, auditor, meeting, trail
):
    before = trail.length()
    recorded = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body())

    assert recorded.status_code == 201, recorded.json
    assert recorded.headers["Location"].endswith(f"{MEETINGS}/{meeting['id']}")
    held = recorded.json
    assert held["status"] == "held"
    assert held["held_at"] == "2026-11-20T09:30:00Z"
    assert held["outcome"] == "s47_enquiry"
    assert held["rationale"] == MEETING_RATIONALE
    assert held["medical_examination"] == {"decision": "required", "reason": None}
    assert held["attendance"] == [
        {"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
        {"agency": "hilltop-gp", "attended": False, "name": None, "role": None},
    ]
    assert held["attendance_summary"] == {"invited": 2, "recorded": 2, "attended": 1}
    assert held["actions"] == [{"description": "Joint visit to the home", "owner_agency": "wmp",
                                "due_date": "2026-11-21"}]
    assert held["held_same_day"] is True
    assert held["icpc_due_date"] == "2026-12-11"  # 15 working days after Friday 20 Nov 2026
    assert held["minutes_recorded_at"] is None
    assert held["minutes_within_1_working_day"] is None

    assert auditor.get(f"{MEETINGS}/{meeting['id']}").json == held
    assert trail.length() == before + 1
    assert trail.actions(meeting["id"]) == ["strategy_meeting.convened",
                                            "strategy_meeting.outcome_recorded"]
    data = trail.last()["data"]
    assert data["outcome"] == "s47_enquiry"
    assert data["attendance"][0] == {"agency": "wmp", "attended": True, "name": "DS Lee",
                                     "role": "Detective"}


def test_an_outcome_is_recorded_once(practitioner, api_as, held_meeting, trail):
    before = trail.length()
    again = api_as("manager", sub="mark").post(
        f"{MEETINGS}/{held_meeting['id']}/outcome", json=outcome_body(outcome="assessment"))
    assert_problem(again, 409)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{held_meeting['id']}").json["outcome"] == "s47_enquiry"


def test_an_outcome_for_an_unknown_meeting_is_404(practitioner):
    missing = practitioner.post(f"{MEETINGS}/{uuid.uuid4()}/outcome", json=outcome_body())
    assert_problem(missing, 404)


@pytest.mark.parametrize("outcome", ["assessment", "early_help", "no_further_action"])
def test_only_an_s47_enquiry_has_an_icpc_due_date(practitioner, meeting, outcome):
    held = record_outcome(practitioner, meeting["id"], outcome=outcome)
    assert held["outcome"] == outcome
    assert held["icpc_due_date"] is None


def test_held_at_may_equal_convened_at(practitioner, meeting):
    held = record_outcome(practitioner, meeting["id"], held_at=meeting["convened_at"])
    assert held["held_at"] == meeting["convened_at"]


def test_attendance_may_be_recorded_for_some_of_the_invited_agencies_or_none(
    practitioner, case
):
    some = convene(practitioner, case)
    held = record_outcome(practitioner, some["id"], attendance=[{"agency": "hilltop-gp",
                                                                 "attended": True}])
    assert held["attendance_summary"] == {"invited": 2, "recorded": 1, "attended": 1}
    none = convene(practitioner, case)
    held = record_outcome(practitioner, none["id"], attendance=[])
    assert held["attendance_summary"] == {"invited": 2, "recorded": 0, "attended": 0}


@pytest.mark.parametrize(("overrides", "field", "says"), [
    ({"held_at": "2026-11-20T08:44:59Z"}, "held_at", "convened_at"),
    ({"held_at": "2026-11-20T10:05:00Z"}, "held_at", "future"),
    ({"held_at": "2026-11-20T09:30:00"}, "held_at", "offset"),
    ({"attendance": [{"agency": "btp", "attended": True}]}, "attendance[0].agency",
     "invited agencies"),
    ({"attendance": [{"agency": "no-such-agency", "attended": True}]}, "attendance[0].agency",
     "invited agencies"),
    ({"attendance": [{"agency": "wmp", "attended": True}, {"agency": "wmp", "attended": False}]},
     "attendance[1].agency", "twice"),
    ({"attendance": [{"agency": "wmp"}]}, "attendance[0].attended", "required"),
    ({"attendance": [{"agency": "wmp", "attended": None}]}, "attendance[0].attended", "null"),
    ({"attendance": [{"agency": "wmp", "attended": "perhaps"}]}, "attendance[0].attended",
     "boolean"),
    ({"attendance": [{"attended": True}]}, "attendance[0].agency", "required"),
    ({"outcome": "icpc"}, "outcome", "one of"),
    ({"outcome": "nfa"}, "outcome", "one of"),
    ({"rationale": "   "}, "rationale", "required"),
    ({"rationale": "Bruising seen by GP"}, "rationale", "20 characters"),  # 19 characters
    ({"rationale": "N/A - see case notes, as above"}, "rationale", "placeholder"),
    ({"rationale": "TBC.  As discussed.  See notes."}, "rationale", "placeholder"),
    ({"medical_examination": {"decision": "not_required"}}, "medical_examination.reason",
     "not required"),
    ({"medical_examination": {"decision": "not_required", "reason": None}},
     "medical_examination.reason", "not required"),
    ({"medical_examination": {"decision": "not_required", "reason": "  "}},
     "medical_examination.reason", "blank"),
    ({"medical_examination": {"decision": "maybe"}}, "medical_examination.decision", "one of"),
    ({"medical_examination": {"reason": "Injury healed."}}, "medical_examination.decision",
     "required"),
    ({"actions": [{"description": "Visit", "owner_agency": "no-such-agency",
                   "due_date": "2026-11-21"}]}, "actions[0].owner_agency", "Unknown agency"),
    ({"actions": [{"description": "Visit", "owner_agency": "wmp"}]}, "actions[0].due_date",
     "required"),
    ({"actions": [{"description": " ", "owner_agency": "wmp", "due_date": "2026-11-21"}]},
     "actions[0].description", "blank"),
    ({"minutes_recorded_at": "2026-11-20T09:29:59Z"}, "minutes_recorded_at", "held_at"),
    ({"minutes_recorded_at": "2026-11-20T10:05:00Z"}, "minutes_recorded_at", "future"),
    ({"minutes_recorded_at": "2026-11-20T09:45:00"}, "minutes_recorded_at", "offset"),
    ({"icpc_due_date": "2026-12-11"}, "icpc_due_date", "Unknown field"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_a_wrong_outcome_is_rejected_naming_the_field(
    practitioner, meeting, trail, overrides, field, says
):
    before = trail.length()
    refused = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome",
                                json=outcome_body(**overrides))
    assert_problem(refused, 422, field, says)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json["status"] == "convened"


@pytest.mark.parametrize("field", ["held_at", "outcome", "rationale", "medical_examination"])
def test_each_required_field_of_an_outcome_is_named_when_missing(practitioner, meeting, field):
    body = outcome_body()
    del body[field]
    assert_problem(practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=body), 422,
                   field, "required")


def test_a_rejected_outcome_can_be_corrected_and_recorded(practitioner, meeting):
    refused = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome",
                                json=outcome_body(rationale="see notes"))
    assert_problem(refused, 422, "rationale")
    assert record_outcome(practitioner, meeting["id"])["status"] == "held"


def test_a_real_rationale_of_exactly_twenty_characters_is_accepted(practitioner, meeting):
    held = record_outcome(practitioner, meeting["id"], rationale="  Bruising seen by GP.  ")
    assert held["rationale"] == "Bruising seen by GP."


def test_a_medical_examination_not_required_is_recorded_with_its_reason(practitioner, meeting):
    held = record_outcome(practitioner, meeting["id"], medical_examination={
        "decision": "not_required", "reason": "Bruising already seen and recorded by the GP."})
    assert held["medical_examination"] == {
        "decision": "not_required", "reason": "Bruising already seen and recorded by the GP."}


def test_a_medical_examination_not_applicable_needs_no_reason(practitioner, meeting):
    held = record_outcome(practitioner, meeting["id"],
                          medical_examination={"decision": "not_applicable"})
    assert held["medical_examination"] == {"decision": "not_applicable", "reason": None}


def test_actions_are_kept_in_the_order_given(practitioner, meeting):
    actions = [
        {"description": "Joint visit to the home", "owner_agency": "wmp", "due_date": "2026-11-21"},
        {"description": "Child protection medical", "owner_agency": "city-hospital-ed",
         "due_date": "2026-11-20"},
        {"description": "Check school attendance", "owner_agency": "oakfield-primary",
         "due_date": "2026-11-23"},
    ]
    held = record_outcome(practitioner, meeting["id"], actions=actions)
    assert held["actions"] == actions


# ---- reported timeliness ---------------------------------------------------------------------


def _convene_and_hold(client, clock, *, received_at, convened_at, held_at, now, **outcome):
    clock.set(utc(now))
    case = strategy_case(client, received_at=received_at, decided_at=received_at)
    meeting = convene(client, case, convened_at=convened_at, scheduled_for=held_at)
    return record_outcome(client, meeting["id"], held_at=held_at, **outcome)


@pytest.mark.parametrize(("convened_at", "held_at", "same_day"), [
    # GMT: 23:59 London is still the same day; 00:00 is the next.
    ("2026-11-20T08:45:00Z", "2026-11-20T23:59:59Z", True),
    ("2026-11-20T08:45:00Z", "2026-11-21T00:00:00Z", False),
    # BST: 23:30 BST Monday and 00:30 BST Tuesday are both on 15 June in UTC.
    ("2026-06-15T22:30:00Z", "2026-06-15T23:30:00Z", False),
    # BST: 00:10 and 10:00 BST Tuesday are on different UTC days but the same London day.
    ("2026-06-15T23:10:00Z", "2026-06-16T09:00:00Z", True),
])
def test_held_same_day_is_judged_on_the_london_calendar(
    practitioner, clock, convened_at, held_at, same_day
):
    held = _convene_and_hold(practitioner, clock, received_at=convened_at,
                             convened_at=convened_at, held_at=held_at,
                             now="2026-11-23T12:00:00Z" if held_at.startswith("2026-11")
                             else "2026-06-17T12:00:00Z")
    assert held["held_same_day"] is same_day


@pytest.mark.parametrize(("held_at", "icpc_due"), [
    ("2026-11-20T09:30:00Z", "2026-12-11"),  # Friday
    ("2026-11-21T11:00:00Z", "2026-12-11"),  # Saturday counts from the Monday after
    # Christmas 2026: 25 Dec, 28 Dec (Boxing Day substitute) and 1 Jan 2027 are not counted.
    ("2026-12-14T10:00:00Z", "2027-01-07"),
    ("2026-12-24T10:00:00Z", "2027-01-19"),
    # 23:30 UTC on Thursday 18 June is 00:30 BST on Friday 19 June: counted from the Friday.
    ("2026-06-18T23:30:00Z", "2026-07-10"),
    ("2026-06-18T22:30:00Z", "2026-07-09"),
])
def test_the_icpc_is_due_15_working_days_after_the_london_date_of_the_meeting(
    practitioner, clock, held_at, icpc_due
):
    held = _convene_and_hold(practitioner, clock, received_at=held_at, convened_at=held_at,
                             held_at=held_at, now="2027-02-01T12:00:00Z")
    assert held["icpc_due_date"] == icpc_due


def test_the_icpc_timescale_is_configuration(practitioner, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "ICPC_WORKING_DAYS", 10)
    held = _convene_and_hold(practitioner, clock, received_at="2026-11-20T08:00:00Z",
                             convened_at="2026-11-20T08:45:00Z", held_at="2026-11-20T09:30:00Z",
                             now="2026-11-20T10:00:00Z")
    assert held["icpc_due_date"] == "2026-12-04"


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
    held = _convene_and_hold(practitioner, clock, received_at=held_at, convened_at=held_at,
                             held_at=held_at, now="2027-01-04T12:00:00Z",
                             minutes_recorded_at=minutes_recorded_at)
    assert held["minutes_recorded_at"] == minutes_recorded_at
    assert held["minutes_within_1_working_day"] is on_time


# ---- minutes recorded later ------------------------------------------------------------------


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


# ---- reading ---------------------------------------------------------------------------------


def test_an_unknown_meeting_is_404(auditor):
    assert_problem(auditor.get(f"{MEETINGS}/{uuid.uuid4()}"), 404)


def test_a_meetings_etag_changes_when_its_outcome_is_recorded(practitioner, meeting):
    first = practitioner.get(f"{MEETINGS}/{meeting['id']}")
    unchanged = practitioner.get(f"{MEETINGS}/{meeting['id']}",
                                 headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    record_outcome(practitioner, meeting["id"])
    changed = practitioner.get(f"{MEETINGS}/{meeting['id']}")
    assert changed.headers["ETag"] != first.headers["ETag"]


@pytest.fixture
def three_meetings(practitioner, clock):
    """Convened Wed 18, Thu 19 and Fri 20 November; the Thursday one held."""
    clock.set(utc("2026-11-20T10:00:00Z"))
    case = strategy_case(practitioner, received_at="2026-11-18T08:00:00Z",
                         decided_at="2026-11-18T08:30:00Z")
    ids = {}
    for day in ("18", "19", "20"):
        ids[day] = convene(practitioner, case, convened_at=f"2026-11-{day}T09:00:00Z",
                           scheduled_for=f"2026-11-{day}T09:00:00Z")["id"]
    record_outcome(practitioner, ids["19"], held_at="2026-11-19T09:30:00Z")
    return ids


def _ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_meetings_are_listed_most_recently_convened_first(auditor, three_meetings):
    listed = auditor.get(MEETINGS)
    assert _ids(listed) == [three_meetings["20"], three_meetings["19"], three_meetings["18"]]
    assert listed.json["next_cursor"] is None


@pytest.mark.parametrize(("query", "days"), [
    ("status=convened", ["20", "18"]),
    ("status=held", ["19"]),
    ("from=2026-11-19T09:00:00Z", ["20", "19"]),  # from is inclusive
    ("to=2026-11-19T09:00:00Z", ["18"]),  # to is exclusive
    ("from=2026-11-19T00:00:00Z&to=2026-11-20T00:00:00Z", ["19"]),
    ("from=2026-11-19T10:00:00%2B01:00", ["20", "19"]),  # 09:00Z: the offset is honoured
    ("status=convened&from=2026-11-19T00:00:00Z", ["20"]),
    ("from=2026-11-21T00:00:00Z", []),
])
def test_meetings_are_filtered_by_status_and_convened_period(auditor, three_meetings, query, days):
    assert _ids(auditor.get(f"{MEETINGS}?{query}")) == [three_meetings[d] for d in days]


def test_meetings_are_paged_with_an_opaque_cursor(auditor, three_meetings):
    seen = []
    cursor = None
    for _ in range(3):
        page = auditor.get(f"{MEETINGS}?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        seen += _ids(page)
        cursor = page.json["next_cursor"]
    assert seen == [three_meetings["20"], three_meetings["19"], three_meetings["18"]]
    assert cursor is None

    first_two = auditor.get(f"{MEETINGS}?limit=2")
    rest = auditor.get(f"{MEETINGS}?limit=2&cursor={first_two.json['next_cursor']}")
    assert _ids(rest) == [three_meetings["18"]]
    assert rest.json["next_cursor"] is None


def test_meetings_convened_at_the_same_instant_are_all_paged_exactly_once(
    practitioner, auditor, case
):
    made = {convene(practitioner, case)["id"] for _ in range(3)}
    seen, cursor = [], None
    while True:
        page = auditor.get(f"{MEETINGS}?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += _ids(page)
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize(("query", "field"), [
    ("status=cancelled", "status"),
    ("from=2026-11-19T09:00:00", "from"),
    ("to=yesterday", "to"),
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("cursor=not-a-cursor", "cursor"),
])
def test_a_wrong_list_query_is_rejected_naming_the_parameter(auditor, query, field):
    assert_problem(auditor.get(f"{MEETINGS}?{query}"), 422, field)


# ---- roles -----------------------------------------------------------------------------------


ENDPOINT_NAMES = ["convene", "list", "read", "outcome", "minutes"]


def _endpoints(meeting_id):
    return [
        ("POST", MEETINGS),
        ("GET", MEETINGS),
        ("GET", f"{MEETINGS}/{meeting_id}"),
        ("POST", f"{MEETINGS}/{meeting_id}/outcome"),
        ("POST", f"{MEETINGS}/{meeting_id}/minutes"),
    ]


def _body_for(path, case):
    if path == MEETINGS:
        return meeting_body(case)
    if path.endswith("/outcome"):
        return outcome_body()
    return {"minutes_recorded_at": "2026-11-20T09:45:00Z"}


@pytest.mark.parametrize("claims", [
    {"role": "agency", "agency": "wmp"},  # the very agency that made the contact
    {"role": "agency", "agency": "oakfield-primary"},
    {"role": "admin"},
], ids=["referring-agency", "other-agency", "admin"])
@pytest.mark.parametrize("endpoint", range(5), ids=ENDPOINT_NAMES)
def test_agencies_and_admins_may_not_touch_strategy_meetings(
    api_as, practitioner, case, meeting, trail, claims, endpoint
):
    outsider = api_as(**claims)
    method, path = _endpoints(meeting["id"])[endpoint]
    before = trail.length()
    body = _body_for(path, case) if method == "POST" else None
    assert_problem(outsider.open(path, method, json=body), 403)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json == meeting


@pytest.mark.parametrize("endpoint", [0, 3, 4], ids=["convene", "outcome", "minutes"])
def test_an_auditor_may_not_write(auditor, practitioner, case, meeting, trail, endpoint):
    method, path = _endpoints(meeting["id"])[endpoint]
    before = trail.length()
    assert_problem(auditor.post(path, json=_body_for(path, case)), 403)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json == meeting


def test_an_auditor_reads_the_list_and_each_meeting(auditor, meeting):
    assert _ids(auditor.get(MEETINGS)) == [meeting["id"]]
    assert auditor.get(f"{MEETINGS}/{meeting['id']}").json == meeting


@pytest.mark.parametrize("endpoint", range(5), ids=ENDPOINT_NAMES)
def test_without_a_token_every_strategy_meeting_route_is_401(anonymous, case, meeting, endpoint):
    method, path = _endpoints(meeting["id"])[endpoint]
    body = _body_for(path, case) if method == "POST" else None
    refused = anonymous.open(path, method, json=body)
    assert_problem(refused, 401)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("claims", [
    {"role": "practitioner", "sub": "erin", "service": "early_help"},
    {"role": "practitioner", "sub": "sam", "service": "social_care"},
    {"role": "manager", "sub": "mark", "service": "mash"},
    {"role": "manager", "sub": "sara", "service": "social_care"},
], ids=["eh-practitioner", "sc-practitioner", "mash-manager", "sc-manager"])
def test_practitioners_and_managers_convene_hold_and_minute_meetings(api_as, case, clock, claims):
    staff = api_as(**claims)
    meeting = convene(staff, case)
    assert meeting["recorded_by"] == claims["sub"]
    record_outcome(staff, meeting["id"])
    clock.advance(hours=1)
    minuted = staff.post(f"{MEETINGS}/{meeting['id']}/minutes",
                         json={"minutes_recorded_at": "2026-11-20T10:30:00Z"})
    assert minuted.status_code == 201, minuted.json
    assert staff.get(MEETINGS).status_code == 200
    assert staff.get(f"{MEETINGS}/{meeting['id']}").status_code == 200


# ---- one transaction per write ---------------------------------------------------------------


def _failing_audit(monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("api.domain.meetings.audit.record", boom)


def test_a_meeting_whose_audit_event_fails_is_not_recorded(
    practitioner, auditor, case, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(MEETINGS, json=meeting_body(case))
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert _ids(auditor.get(MEETINGS)) == []
    assert trail.length() == before


def test_an_outcome_whose_audit_event_fails_is_not_recorded(
    practitioner, meeting, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body())
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json == meeting
    assert trail.length() == before
    assert record_outcome(practitioner, meeting["id"])["status"] == "held"


def test_minutes_whose_audit_event_fails_are_not_recorded(
    practitioner, held_meeting, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(f"{MEETINGS}/{held_meeting['id']}/minutes",
                               json={"minutes_recorded_at": "2026-11-20T09:45:00Z"})
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert practitioner.get(f"{MEETINGS}/{held_meeting['id']}").json == held_meeting
    assert trail.length() == before


def test_a_repeated_convene_with_the_same_idempotency_key_replays_the_first(
    practitioner, auditor, case, trail
):
    before = trail.length()
    headers = {"Idempotency-Key": "convene-amelia-1"}
    first = practitioner.post(MEETINGS, json=meeting_body(case), headers=headers)
    replay = practitioner.post(MEETINGS, json=meeting_body(case), headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json == first.json
    assert replay.headers["Location"] == first.headers["Location"]
    assert _ids(auditor.get(MEETINGS)) == [first.json["id"]]
    assert trail.length() == before + 1

    different = practitioner.post(MEETINGS, json=meeting_body(case, chair="Someone Else"),
                                  headers=headers)
    assert_problem(different, 422)
    assert trail.length() == before + 1


# ---- further rules -----------------------------------------------------------------------------


def test_every_required_agency_left_out_is_named_at_once(practitioner, case):
    refused = practitioner.post(MEETINGS, json=meeting_body(case, invited=[{"agency": "oakfield-primary"}]))
    assert_problem(refused, 422, "not_invited_reasons.police")
    assert "not_invited_reasons.health" in refused.json["errors"]
    assert "not_invited_reasons.wmp" in refused.json["errors"]


@pytest.mark.parametrize("referrer", ["family-member", "anonymous"])
def test_a_member_of_the_public_who_made_the_contact_is_not_a_required_invitee(practitioner, referrer):
    case = strategy_case(practitioner, source_agency=referrer)
    meeting = convene(practitioner, case)
    assert meeting["required_invitees"] == ["health", "police"]


def test_an_invitation_sent_in_the_future_is_rejected(practitioner, case):
    refused = practitioner.post(MEETINGS, json=meeting_body(case, invited=[
        {"agency": "wmp", "invited_at": "2026-11-21T09:00:00Z"}, {"agency": "hilltop-gp"}]))
    assert_problem(refused, 422, "invited[0].invited_at", says="future")


def test_attendance_takes_json_booleans_only(practitioner, meeting):
    refused = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body(
        attendance=[{"agency": "wmp", "attended": "yes"}]))
    assert_problem(refused, 422, "attendance[0].attended")


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


def test_recording_an_outcome_honours_if_match(practitioner, meeting):
    url = f"{MEETINGS}/{meeting['id']}"
    stale = practitioner.post(f"{url}/outcome", json=outcome_body(), headers={"If-Match": '"stale"'})
    assert_problem(stale, 412)
    assert practitioner.get(url).json["status"] == "convened"
    etag = practitioner.get(url).headers["ETag"]
    held = practitioner.post(f"{url}/outcome", json=outcome_body(), headers={"If-Match": etag})
    assert held.status_code == 201, held.json
