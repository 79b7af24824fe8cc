"""A whole case, end to end through the API, as the issue describes it."""

from datetime import timedelta

from tests.helpers import contact_body

MEETING_RATIONALE = "Disclosure of physical harm by a household adult; police and health agree s47."


def _iso(instant):
    return instant.isoformat().replace("+00:00", "Z")


def test_a_case_walks_from_contact_to_step_down_and_refused_step_up(api_as, clock):
    police = api_as("agency", agency="wmp")
    practitioner = api_as("practitioner", sub="priya", service="mash")
    manager = api_as("manager", sub="mark", service="mash")
    social_care_manager = api_as("manager", sub="sara", service="social_care")
    early_help_manager = api_as("manager", sub="emma", service="early_help")
    sc_practitioner = api_as("practitioner", sub="sam", service="social_care")
    auditor = api_as("auditor", sub="alex")

    # 1. The police post a contact without consent.
    start = clock()
    received = start - timedelta(hours=2)
    created = police.post("/api/v1/contacts", json=contact_body(received_at=_iso(received)))
    assert created.status_code == 201, created.json
    contact_id = created.json["id"]
    child_id = created.json["children"][0]["id"]

    # 2. Consent overridden, with its reason.
    consent = practitioner.post(f"/api/v1/contacts/{contact_id}/consent", json={
        "status": "overridden", "reason": "Risk of significant harm: sharing without consent."})
    assert consent.status_code == 201, consent.json

    # 3. Strategy discussion decision.
    clock.advance(minutes=30)
    decision = practitioner.post(f"/api/v1/contacts/{contact_id}/decisions", json={
        "outcome": "strategy_discussion",
        "rationale": "Child has unexplained bruising and disclosed being grabbed by an adult."})
    assert decision.status_code == 201, decision.json
    assert decision.json["within_24_hours"] is True
    assert decision.json["within_1_working_day"] is True
    decision_id = decision.json["id"]

    # 4. Manager approval.
    approval = manager.post(f"/api/v1/decisions/{decision_id}/approval", json={"note": "Agreed."})
    assert approval.status_code == 201, approval.json
    assert approval.json["approval"]["approved_by"] == "mark"

    # 5. Strategy meeting with the required invitees (police is the referrer; health too).
    clock.advance(minutes=30)
    convened_at = clock()
    meeting = practitioner.post("/api/v1/strategy-meetings", json={
        "contact_id": contact_id, "children": [child_id], "convened_at": _iso(convened_at),
        "scheduled_for": _iso(convened_at + timedelta(hours=2)), "chair": "Mark Evans",
        "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "oakfield-primary"}],
    })
    assert meeting.status_code == 201, meeting.json
    meeting_id = meeting.json["id"]

    # 6. s47 outcome with the ICPC due date.
    clock.advance(hours=3)
    held_at = convened_at + timedelta(hours=2)
    outcome = practitioner.post(f"/api/v1/strategy-meetings/{meeting_id}/outcome", json={
        "held_at": _iso(held_at),
        "attendance": [{"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
                       {"agency": "hilltop-gp", "attended": False}],
        "outcome": "s47_enquiry", "rationale": MEETING_RATIONALE,
        "medical_examination": {"decision": "required"},
        "actions": [{"description": "Joint visit", "owner_agency": "wmp", "due_date": "2026-11-21"}],
    })
    assert outcome.status_code == 201, outcome.json
    assert outcome.json["held_same_day"] is True
    assert outcome.json["icpc_due_date"] == "2026-12-11"  # 15 working days after Fri 20 Nov 2026
    assert outcome.json["attendance_summary"] == {"invited": 3, "recorded": 2, "attended": 1}

    # 7. Feedback to the referrer, who sees the outcome but never the rationale.
    feedback = practitioner.post(f"/api/v1/contacts/{contact_id}/feedback", json={
        "given_at": _iso(clock()), "method": "secure_portal",
        "summary": "Your contact led to a strategy discussion; a s47 enquiry is under way."})
    assert feedback.status_code == 201, feedback.json
    seen = police.get(f"/api/v1/contacts/{contact_id}")
    assert seen.status_code == 200
    assert seen.json["current_outcome"]["outcome"] == "strategy_discussion"
    assert seen.json["feedback"][0]["method"] == "secure_portal"
    assert "rationale" not in str(seen.json)
    assert "consent_history" not in seen.json

    # 8. Later: a step-down to early help, accepted.
    clock.advance(days=20)
    step_down = sc_practitioner.post("/api/v1/transitions", json={
        "child_id": child_id, "direction": "step_down",
        "rationale": "Enquiry concluded; risks reduced; family engaging with support.",
        "plan": {"summary": "Family support worker weekly", "expected_outcomes": [
            "School attendance above 95%", "Mother attends parenting course"]}})
    assert step_down.status_code == 201, step_down.json
    accepted = early_help_manager.post(f"/api/v1/transitions/{step_down.json['id']}/response",
                                       json={"decision": "accepted"})
    assert accepted.status_code == 201, accepted.json
    assert practitioner.get(f"/api/v1/children/{child_id}").json["current_service"] == "early_help"

    # 9. A step-up, refused with the threshold explained.
    clock.advance(days=10)
    step_up = practitioner.post("/api/v1/transitions", json={
        "child_id": child_id, "direction": "step_up",
        "rationale": "New missing episode; early help worker worried about exploitation."})
    assert step_up.status_code == 201, step_up.json
    refused = social_care_manager.post(f"/api/v1/transitions/{step_up.json['id']}/response", json={
        "decision": "refused",
        "rationale": "Single episode, returned same night; threshold for s17 not met; continue EH."})
    assert refused.status_code == 201, refused.json
    assert refused.json["status"] == "refused"

    # 10. The child's chronology shows all of it, in order.
    chronology = auditor.get(f"/api/v1/children/{child_id}/chronology")
    assert chronology.status_code == 200, chronology.json
    kinds = [item["kind"] for item in chronology.json["items"]]
    assert kinds == [
        "contact_received", "consent_recorded", "consent_recorded", "decision_recorded",
        "decision_approved", "strategy_meeting_convened", "strategy_meeting_held",
        "feedback_given", "transition_requested", "transition_accepted", "transition_requested",
        "transition_refused",
    ]
    times = [item["at"] for item in chronology.json["items"]]
    assert times == sorted(times)
    verify = auditor.get("/api/v1/audit/verify")
    assert verify.json["valid"] is True
