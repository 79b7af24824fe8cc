"""One real case, recorded through the API, for contract tests whose ids should sometimes be real."""

from datetime import timedelta

from tests.helpers import (
    Case, client_as, convene, created, decide, iso, record_contact, step_down,
)


def seed_case(app):
    """A contact with consent, a strategy discussion decision, a convened meeting and a step-down
    request; returns their ids under the path parameter names the API uses."""
    police = client_as(app, "agency", agency="wmp")
    practitioner = client_as(app, "practitioner", sub="seed-priya", service="mash")
    sc_practitioner = client_as(app, "practitioner", sub="seed-sam", service="social_care")
    now = app.test_clock()

    contact = record_contact(police, received_at=iso(now - timedelta(hours=2)))
    contact_id, child_id = contact["id"], contact["children"][0]["id"]
    created(practitioner.post(f"/api/v1/contacts/{contact_id}/consent", json={
        "status": "overridden", "reason": "Risk of significant harm: sharing without consent."}))
    decision = decide(practitioner, contact_id, "strategy_discussion")
    meeting = convene(practitioner, Case(contact_id, [child_id], None), convened_at=iso(now),
                      scheduled_for=iso(now + timedelta(hours=2)),
                      invited=[{"agency": "wmp"}, {"agency": "hilltop-gp"},
                               {"agency": "oakfield-primary"}])
    transition = created(step_down(sc_practitioner, child_id))
    return {
        "contact_id": contact_id,
        "child_id": child_id,
        "decision_id": decision["id"],
        "meeting_id": meeting["id"],
        "transition_id": transition["id"],
    }
