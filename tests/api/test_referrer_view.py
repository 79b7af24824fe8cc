"""What the referring agency sees of its contact: the status, the current outcome, when it was
decided and the feedback; never the rationale or anything else internal, nor another agency's."""

from tests.helpers import (
    DECISION_RATIONALE, OTHER_DECISION_RATIONALE, approve, decided, feedback_body, give_feedback,
    iso, record_contact,
)


REFERRER_KEYS = {
    "id", "reference", "status", "received_at", "recorded_at", "decision_due_at",
    "source_agency", "source_reference", "referrer", "channel", "children", "concerns",
    "consent", "current_outcome", "feedback",
}


def _a_full_case(police, practitioner, manager, clock):
    """A police contact decided, superseded, approved, consent updated, feedback given."""
    contact = record_contact(police)
    clock.advance(minutes=20)
    overridden = practitioner.post(f"/api/v1/contacts/{contact['id']}/consent", json={
        "status": "overridden", "reason": "Internal: mother's partner is a risk; do not tell."})
    assert overridden.status_code == 201, overridden.json
    first = decided(practitioner, contact["id"], outcome="information_advice")
    clock.advance(minutes=20)
    second = decided(practitioner, contact["id"], outcome="assessment", rationale=OTHER_DECISION_RATIONALE,
                     supersedes=first["id"],
                     supersede_reason="Internal: the GP's records change the picture.")
    clock.advance(minutes=20)
    approval = approve(manager, second["id"], json={"note": "Internal: manager's sign-off note."})
    assert approval.status_code == 201, approval.json
    feedback = give_feedback(practitioner, contact["id"], feedback_body(
        clock, method="secure_portal", summary="Your contact has led to a social care assessment."))
    assert feedback.status_code == 201, feedback.json
    return contact, second


def _assert_nothing_internal(view):
    text = str(view)
    assert set(view) <= REFERRER_KEYS
    for secret in (DECISION_RATIONALE, OTHER_DECISION_RATIONALE, "Internal:", "priya", "mark", "overridden"):
        assert secret not in text
    for name in ("rationale", "consent_history", "recorded_by", "decided_by", "approval",
                 "supersede", "superseded_by", "note", "version"):
        assert name not in text


def test_the_referring_agency_sees_status_current_outcome_decision_time_and_feedback(
    police, practitioner, manager, clock
):
    contact, current = _a_full_case(police, practitioner, manager, clock)
    response = police.get(f"/api/v1/contacts/{contact['id']}")
    assert response.status_code == 200, response.json
    view = response.json
    assert view["status"] == "decided"
    assert view["current_outcome"] == {"outcome": "assessment",
                                       "decided_at": current["decided_at"]}
    assert view["feedback"] == [{"given_at": iso(clock()), "method": "secure_portal",
                                 "summary": "Your contact has led to a social care assessment."}]
    assert view["consent"]["status"] == "not_sought"  # as the police sent it


def test_the_referring_agency_never_sees_the_rationale_or_anything_internal(
    police, practitioner, manager, clock
):
    contact, _ = _a_full_case(police, practitioner, manager, clock)
    _assert_nothing_internal(police.get(f"/api/v1/contacts/{contact['id']}").json)


def test_the_referring_agencys_list_shows_the_outcome_and_feedback_and_nothing_internal(
    police, practitioner, manager, clock
):
    contact, _ = _a_full_case(police, practitioner, manager, clock)
    listed = police.get("/api/v1/contacts")
    assert listed.status_code == 200, listed.json
    [view] = [item for item in listed.json["items"] if item["id"] == contact["id"]]
    assert view["current_outcome"]["outcome"] == "assessment"
    assert view["feedback"][0]["method"] == "secure_portal"
    _assert_nothing_internal(view)


def test_staff_see_what_the_referring_agency_does_not(police, practitioner, manager, clock):
    contact, _ = _a_full_case(police, practitioner, manager, clock)
    view = practitioner.get(f"/api/v1/contacts/{contact['id']}").json
    assert view["consent"]["status"] == "overridden"
    assert len(view["consent_history"]) == 2
    assert view["recorded_by"] == "wmp-case-system"


def test_another_agency_sees_neither_the_contact_nor_its_outcome(
    police, practitioner, manager, api_as, clock
):
    contact, _ = _a_full_case(police, practitioner, manager, clock)
    school = api_as("agency", agency="oakfield-primary")
    assert school.get(f"/api/v1/contacts/{contact['id']}").status_code == 404
    listed = school.get("/api/v1/contacts").json["items"]
    assert contact["id"] not in [item["id"] for item in listed]
    assert "Your contact has led" not in str(listed)


def test_a_contact_recorded_by_a_practitioner_is_not_shown_to_the_agency_it_names(
    practitioner, police
):
    contact = record_contact(practitioner, source_reference="CALL-1")
    decided(practitioner, contact["id"])
    assert police.get(f"/api/v1/contacts/{contact['id']}").status_code == 404


def test_the_referring_agency_sees_the_child_as_it_sent_it_not_as_others_recorded_it(
    practitioner, police
):
    record_contact(practitioner, source_reference="CALL-1", children=[{
        "given_name": "Amelia-Rose", "family_name": "Hughes-Smith", "date_of_birth": "2019-04-02",
        "sex": "female", "nhs_number": "9434765919", "local_child_id": "LCS-555"}])
    mine = record_contact(police)
    child = police.get(f"/api/v1/contacts/{mine['id']}").json["children"][0]
    assert child["given_name"] == "Amelia"
    assert child["family_name"] == "Hughes"
    assert child.get("local_child_id") in (None, "")
