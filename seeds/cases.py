"""Demo cases that walk the workflow, so every state can be seen: undecided and overdue
contacts, decisions approved or superseded, feedback, strategy meetings convened and held (s47
with an ICPC due date, minutes on time and late), and step-up/step-down requests open, overdue,
accepted, refused and withdrawn."""

from datetime import timedelta

from api.caller import Actor
from api.domain.contacts import record_consent
from api.domain.decisions import approve_decision, record_decision, record_feedback
from api.domain.meetings import convene_meeting, record_minutes, record_outcome
from api.domain.transitions import request_transition, respond_to_transition, withdraw_transition

# The seed acts in the demo staff's roles; its events say so ("system:seed/<account>").
PRIYA = Actor("system:seed/priya.mash", "practitioner", service="mash")
MARK = Actor("system:seed/mark.mash", "manager", service="mash")
ERIN = Actor("system:seed/erin.earlyhelp", "practitioner", service="early_help")
EMMA = Actor("system:seed/emma.earlyhelp", "manager", service="early_help")
SAM = Actor("system:seed/sam.socialcare", "practitioner", service="social_care")
SARA = Actor("system:seed/sara.socialcare", "manager", service="social_care")

RATIONALES = {
    "nfa": "Single verbal argument, no injuries, parents separated and child safe with mother.",
    "information_advice": "Parent given advice on support services; no indication of harm to the child.",
    "early_help": "Needs across school attendance and housing; family consent to a family support worker.",
    "assessment": "Cumulative neglect concerns from school and health visitor need a s17 assessment.",
    "strategy_discussion": "Disclosure of physical harm by an adult in the household: s47 threshold met.",
}


def _before(current, instant):
    """No demo event may sit in the future."""
    return min(instant, current - timedelta(minutes=5))


def _decide(contact, outcome, hours, current, **extra):
    return record_decision(PRIYA, contact.id, {
        "outcome": outcome, "rationale": RATIONALES[outcome],
        "decided_at": _before(current, contact.received_at + timedelta(hours=hours)), **extra,
    })


def _ensure_consent(contact, status):
    if contact.consent_status != status:
        record_consent(PRIYA, contact.id, {
            "status": status, "given_by": "Mother",
            "reason": None if status == "given" else "Significant harm: shared without consent.",
        })


def advance_case(index, contact, current):
    """Take demo contact `index` some way through the workflow (deterministic per index)."""
    pattern = index % 6
    if pattern == 0:
        return  # awaiting a decision (the older ones are overdue)
    child_id = contact.child_links[0].child_id
    if pattern == 1:
        decision = _decide(contact, "nfa", 3 + index % 30, current)
        approve_decision(MARK, decision.id, {"note": "Agree: no further action."})
        record_feedback(PRIYA, contact.id, {
            "given_at": _before(current, decision.decided_at + timedelta(hours=2)),
            "method": "secure_portal", "summary": "No further action; advice given to the family."})
    elif pattern == 2:
        _ensure_consent(contact, "given")
        _decide(contact, "early_help", 5, current)
        if index % 4 == 2:
            request_transition(ERIN, {
                "child_id": child_id, "direction": "step_up",
                "rationale": "Early help plan not progressing; escalating neglect at home.",
                "requested_at": _before(current, contact.received_at + timedelta(days=3)),
            })
    elif pattern == 3:
        _ensure_consent(contact, "overridden")
        decision = _decide(contact, "strategy_discussion", 2, current)
        meeting = convene_meeting(PRIYA, {
            "contact_id": contact.id, "children": [child_id],
            "convened_at": decision.decided_at,
            "scheduled_for": decision.decided_at + timedelta(hours=2), "chair": "Mark Evans",
            "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "early-help"}]
            + ([] if contact.source_agency in ("wmp", "hilltop-gp")
               else [{"agency": contact.source_agency}]),
            "not_invited_reasons": {},
        })
        variant = (index // 6) % 3  # 0: awaiting its outcome; 1: held promptly; 2: held late
        if variant == 0:
            return
        held_at = _before(current, decision.decided_at + timedelta(hours=3 if variant == 1 else 30))
        record_outcome(PRIYA, meeting.id, {
            "held_at": held_at,
            "attendance": [{"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
                           {"agency": "hilltop-gp", "attended": variant == 1}],
            "outcome": "s47_enquiry",
            "rationale": "Agencies agree the threshold for a section 47 enquiry is met.",
            "medical_examination": {"decision": "not_required",
                                    "reason": "No physical injury alleged; disclosure is of neglect."},
            "actions": [{"description": "Joint home visit by police and social worker",
                         "owner_agency": "wmp", "due_date": held_at.date() + timedelta(days=1)}],
        })
        record_minutes(PRIYA, meeting.id, {
            "minutes_recorded_at": _before(current, held_at + timedelta(hours=4 if variant == 1 else 80))})
    elif pattern == 4:
        _ensure_consent(contact, "given")
        first = _decide(contact, "information_advice", 6, current)
        second = _decide(contact, "assessment", 20, current, supersedes=first.id,
                         supersede_reason="Health visitor's further information raised the level of concern.")
        approve_decision(MARK, second.id, {})
        if index % 4 == 0:
            transition = request_transition(SAM, {
                "child_id": child_id, "direction": "step_down",
                "rationale": "Assessment complete; needs can be met by early help with family consent.",
                "plan": {"summary": "Family support worker for 12 weeks",
                         "expected_outcomes": ["School attendance above 95%", "Stable housing"]},
                "requested_at": _before(current, contact.received_at + timedelta(days=2)),
            })
            respond_to_transition(EMMA, transition.id, {"decision": "accepted"})
    elif pattern == 5:
        _ensure_consent(contact, "given")
        _decide(contact, "early_help", 30, current)
        transition = request_transition(ERIN, {
            "child_id": child_id, "direction": "step_up",
            "rationale": "New disclosure at school of harm at home; early help cannot hold the risk.",
            "requested_at": _before(current, contact.received_at + timedelta(days=1)),
        })
        if index % 4 == 1:
            respond_to_transition(SARA, transition.id, {
                "decision": "refused",
                "rationale": "Single incident, protective mother; s17 threshold not met; continue EH."})
        elif index % 4 == 3:
            withdraw_transition(ERIN, transition.id, {"reason": "Family moved out of the area."})
