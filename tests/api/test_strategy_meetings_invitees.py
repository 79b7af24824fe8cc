"""Who must be invited to a strategy meeting: police, health, the agency that made the contact,
the kinds the council configures, and early help for a child open to it; each may be left out
only with a reason, and every one left out without a reason is named."""

import pytest

from tests.helpers import (
    MEETINGS, NHS_AMELIA, NHS_OTHER, Case, assert_problem, child, convene, decide, early_help_case,
    meeting_body, record_morning_contact, strategy_case, utc,
)


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


@pytest.mark.parametrize("key", ["housing", "youth-justice"], ids=["a kind", "an agency's code"])
def test_a_reason_keyed_by_an_agency_of_another_kind_does_not_excuse_a_required_kind(
    practitioner, school_case, key
):
    refused = practitioner.post(MEETINGS, json=meeting_body(
        school_case, invited=[{"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}],
        not_invited_reasons={key: "They are not involved with this family."}))
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
    contact = record_morning_contact(practitioner, children=[child("Amelia", NHS_AMELIA),
                                                     child("Noah", NHS_OTHER)])
    decide(practitioner, contact["id"], "strategy_discussion", "2026-11-20T08:30:00Z")
    early_help_case(practitioner, received_at="2026-11-20T08:40:00Z",
                    decided_at="2026-11-20T08:50:00Z", nhs_number=NHS_OTHER)
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


# ---- every one left out named; the public are not required --------------------------------


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


def test_only_a_required_invitee_left_out_is_counted_as_left_out_with_a_reason(
    practitioner, auditor, school_case, case
):
    """The figure counts the required agencies not invited; a reason given for one invited all
    the same leaves nothing out."""
    convene(practitioner, school_case,
            invited=[{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}],
            not_invited_reasons={"police": "Given before the force agreed to attend."})
    convene(practitioner, case, invited=[{"agency": "wmp"}],
            not_invited_reasons={"health": "Child not registered with any health provider."})
    figures = auditor.get("/api/v1/metrics/timeliness?from=2026-11-01&to=2026-12-01").json
    assert figures["strategy_meetings"]["required_left_out_with_reason"] == 1
