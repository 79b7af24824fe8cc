"""One real case, recorded through the API, for contract tests whose ids should sometimes be real."""

from datetime import timedelta

from tests.helpers import ApiClient, contact_body, token_for


def iso(instant):
    return instant.isoformat().replace("+00:00", "Z")


def _created(response):
    assert response.status_code == 201, response.json
    return response.json


def seed_case(app):
    """A contact with consent, a strategy discussion decision, a convened meeting and a step-down
    request; returns their ids under the path parameter names the API uses."""
    police = ApiClient(app, token_for(app, "agency", agency="wmp"))
    practitioner = ApiClient(app, token_for(app, "practitioner", sub="seed-priya", service="mash"))
    sc_practitioner = ApiClient(
        app, token_for(app, "practitioner", sub="seed-sam", service="social_care")
    )
    now = app.test_clock()

    contact = _created(police.post(
        "/api/v1/contacts", json=contact_body(received_at=iso(now - timedelta(hours=2)))
    ))
    contact_id, child_id = contact["id"], contact["children"][0]["id"]
    _created(practitioner.post(f"/api/v1/contacts/{contact_id}/consent", json={
        "status": "overridden", "reason": "Risk of significant harm: sharing without consent."}))
    decision = _created(practitioner.post(f"/api/v1/contacts/{contact_id}/decisions", json={
        "outcome": "strategy_discussion",
        "rationale": "Child has unexplained bruising and disclosed being grabbed by an adult."}))
    meeting = _created(practitioner.post("/api/v1/strategy-meetings", json={
        "contact_id": contact_id, "children": [child_id], "convened_at": iso(now),
        "scheduled_for": iso(now + timedelta(hours=2)), "chair": "Mark Evans",
        "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}],
    }))
    transition = _created(sc_practitioner.post("/api/v1/transitions", json={
        "child_id": child_id, "direction": "step_down",
        "rationale": "Enquiry concluded; risks reduced; family engaging with support.",
        "plan": {"summary": "Family support worker weekly",
                 "expected_outcomes": ["School attendance above 95%"]}}))
    return {
        "contact_id": contact_id,
        "child_id": child_id,
        "decision_id": decision["id"],
        "meeting_id": meeting["id"],
        "transition_id": transition["id"],
    }
