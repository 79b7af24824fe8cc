"""A manager's sign-off of a decision: once, never their own, never a superseded decision."""

import uuid

import pytest

from tests.helpers import approve, audit_actions, decided, field_errors, iso, record_contact


def test_a_manager_approves_a_practitioners_decision(
    police, practitioner, manager, auditor, clock
):
    contact = record_contact(police)
    decision = decided(practitioner, contact["id"])
    clock.advance(hours=1)
    response = approve(manager, decision["id"], json={"note": "  Agreed: proportionate.  "})
    assert response.status_code == 201, response.json
    assert response.json["id"] == decision["id"]
    assert response.json["approval"] == {"approved_by": "mark", "approved_at": iso(clock()),
                                         "note": "Agreed: proportionate."}
    assert response.headers["Location"].endswith(f"/contacts/{contact['id']}/decisions")
    listed = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert listed[0]["approval"]["approved_by"] == "mark"
    events = auditor.get(f"/api/v1/audit/events?entity_id={decision['id']}").json["items"]
    assert [e["action"] for e in events] == ["decision.recorded", "decision.approved"]
    assert events[1]["actor"]["sub"] == "mark"
    assert events[1]["data"] == {"approved_by": "mark", "approved_at": "2026-11-20T11:00:00.000000Z",
                                 "note": "Agreed: proportionate."}


@pytest.mark.parametrize("body", [
    pytest.param({}, id="an approval needs no body at all"),
    pytest.param({"json": {}}, id="an approval with an empty JSON object is accepted"),
])
def test_an_approval_needs_no_note(police, practitioner, manager, body):
    contact = record_contact(police)
    decision = decided(practitioner, contact["id"])
    response = approve(manager, decision["id"], **body)
    assert response.status_code == 201, response.json
    assert response.json["approval"]["approved_by"] == "mark"
    assert response.json["approval"]["note"] is None


def test_an_approval_cannot_name_its_approver_in_the_body(police, practitioner, manager):
    contact = record_contact(police)
    decision = decided(practitioner, contact["id"])
    response = approve(manager, decision["id"], json={"approved_by": "someone-senior"})
    assert "approved_by" in field_errors(response)


def test_a_manager_cannot_approve_their_own_decision(police, manager, auditor, api_as):
    contact = record_contact(police)
    decision = decided(manager, contact["id"])
    response = approve(manager, decision["id"], json={"note": "Self-approval."})
    errors = field_errors(response)
    assert "own decision" in errors["decision"][0]
    assert audit_actions(auditor, decision["id"]) == ["decision.recorded"]
    other = approve(api_as("manager", sub="maya", service="mash"), decision["id"])
    assert other.status_code == 201, other.json
    assert other.json["approval"]["approved_by"] == "maya"


def test_a_decision_is_approved_only_once(police, practitioner, manager, auditor, api_as, clock):
    contact = record_contact(police)
    decision = decided(practitioner, contact["id"])
    assert approve(manager, decision["id"], json={"note": "First."}).status_code == 201
    approved_at = iso(clock())
    clock.advance(minutes=30)
    for second in (approve(manager, decision["id"]),
                   approve(api_as("manager", sub="maya", service="mash"), decision["id"])):
        assert second.status_code == 409, second.json
    listed = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert listed[0]["approval"] == {"approved_by": "mark", "approved_at": approved_at,
                                     "note": "First."}
    assert audit_actions(auditor, decision["id"]) == ["decision.recorded", "decision.approved"]


def test_a_superseded_decision_cannot_be_approved_but_its_successor_can(
    police, practitioner, manager, auditor, clock
):
    contact = record_contact(police)
    first = decided(practitioner, contact["id"])
    clock.advance(minutes=5)
    second = decided(practitioner, contact["id"], outcome="universal_services",
                     supersedes=first["id"], supersede_reason="School raised new concerns.")
    refused = approve(manager, first["id"])
    assert refused.status_code == 409, refused.json
    assert "superseded" in refused.json["detail"]
    assert audit_actions(auditor, first["id"]) == ["decision.recorded", "decision.superseded"]
    assert approve(manager, second["id"]).status_code == 201


def test_approving_an_unknown_decision_is_not_found(manager):
    assert approve(manager, uuid.uuid4()).status_code == 404
