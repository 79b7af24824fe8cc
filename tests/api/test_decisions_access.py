"""Who may record and read decisions, approve them and record feedback; every route needs a token."""

import pytest

from tests.helpers import (
    DECISION_RATIONALE, approve, assert_problem, audit_actions, audit_length, decided,
    feedback_body, give_feedback, post_decision, record_contact,
)


@pytest.mark.parametrize("role, claims", [
    ("auditor", {}), ("agency", {"agency": "wmp"}), ("admin", {}),
])
def test_only_practitioners_and_managers_record_decisions(
    police, practitioner, auditor, api_as, role, claims
):
    contact = record_contact(police)
    before = audit_length(auditor)
    response = post_decision(api_as(role, **claims), contact["id"])
    assert response.status_code == 403, response.json
    assert response.json["status"] == 403
    assert audit_length(auditor) == before
    assert practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"] == []


@pytest.mark.parametrize("role, claims, status", [
    ("practitioner", {"service": "early_help"}, 200), ("manager", {}, 200), ("auditor", {}, 200),
    ("agency", {"agency": "wmp"}, 403), ("admin", {}, 403),
])
def test_who_may_read_a_contacts_decisions(police, practitioner, api_as, role, claims, status):
    contact = record_contact(police)
    decision = decided(practitioner, contact["id"])
    response = api_as(role, **claims).get(f"/api/v1/contacts/{contact['id']}/decisions")
    assert response.status_code == status, response.json
    if status == 200:
        assert [item["id"] for item in response.json["items"]] == [decision["id"]]
        assert response.json["items"][0]["rationale"] == DECISION_RATIONALE
    else:
        assert DECISION_RATIONALE not in response.get_data(as_text=True)


@pytest.mark.parametrize("role, claims", [
    ("practitioner", {}), ("auditor", {}), ("agency", {"agency": "wmp"}), ("admin", {}),
])
def test_only_managers_approve_decisions(police, practitioner, auditor, api_as, role, claims):
    contact = record_contact(police)
    decision = decided(practitioner, contact["id"])
    response = approve(api_as(role, **claims), decision["id"], json={"note": "Fine by me."})
    assert response.status_code == 403, response.json
    listed = practitioner.get(f"/api/v1/contacts/{contact['id']}/decisions").json["items"]
    assert listed[0]["approval"] is None
    assert audit_actions(auditor, decision["id"]) == ["decision.recorded"]


@pytest.mark.parametrize("role, claims, status", [
    ("practitioner", {}, 201), ("manager", {}, 201),
    ("auditor", {}, 403), ("agency", {"agency": "wmp"}, 403), ("admin", {}, 403),
])
def test_who_may_record_feedback(police, api_as, clock, role, claims, status):
    contact = record_contact(police)
    response = give_feedback(api_as(role, **claims), contact["id"], feedback_body(clock))
    assert response.status_code == status, response.json


@pytest.mark.parametrize("path", ["/api/v1/contacts/{contact}", "/api/v1/contacts"])
def test_an_admin_may_not_read_contacts_their_outcome_or_feedback(
    police, practitioner, api_as, clock, path
):
    contact = record_contact(police)
    decided(practitioner, contact["id"])
    assert give_feedback(practitioner, contact["id"], feedback_body(clock)).status_code == 201
    response = api_as("admin").get(path.format(contact=contact["id"]))
    assert response.status_code == 403, response.json
    assert contact["id"] not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/contacts/{contact}/decisions"),
    ("GET", "/api/v1/contacts/{contact}/decisions"),
    ("POST", "/api/v1/decisions/{decision}/approval"),
    ("POST", "/api/v1/contacts/{contact}/feedback"),
])
def test_decision_routes_need_a_token(police, practitioner, anonymous, method, path):
    contact = record_contact(police)
    decision = decided(practitioner, contact["id"])
    url = path.format(contact=contact["id"], decision=decision["id"])
    response = anonymous.open(url, method, json={} if method == "POST" else None)
    assert_problem(response, 401)
