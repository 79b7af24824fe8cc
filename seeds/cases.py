"""Demo cases that walk the workflow, so every state can be seen: undecided and overdue
contacts, decisions approved or superseded, feedback, strategy meetings convened and held (s47
with an ICPC due date, minutes on time and late), step-up/step-down requests open, overdue,
accepted, refused and withdrawn, and the MASH's own work on some contacts (MASH_WORK): RAG
ratings, and information requests to partner agencies answered in time and late, withdrawn by
staff and by a decision made without them, kept open and answered after the decision, and open
past their deadline.

The API stamps a contact's recording, a rating, a request, an answer, a withdrawal and a
decision's recording with its own clock. So that the demo shows them as they would have
happened (a request answered late, a rating before the decision it set the deadline of), each is
made with the app's clock set to the moment the demo says it happened (`clock_at`): always in the
past, and in the order things happen. The audit trail records those moments too.
"""

from contextlib import contextmanager
from datetime import timedelta

from flask import current_app

from api.caller import Actor
from api.domain.contacts import record_consent, record_rag
from api.domain.decisions import approve_decision, record_decision, record_feedback
from api.domain.information_requests import request_information, respond, withdraw
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

RAG_REASONS = {
    "red": "Disclosure of harm today and the child is due home tonight: decide within hours.",
    "amber": "Concerns building over weeks; no immediate danger reported, needs a decision tomorrow.",
    "green": "Low-level worries with a protective parent; a few days to gather what partners know.",
}
QUESTION = ("Is the child or family known to you? Please share any concerns, recent contact and "
            "other children in the household.")
ANSWERS = {
    "wmp": "Two domestic incidents at the address in the last six months; no arrests. Officer notes attached.",
    "hilltop-gp": "Registered with the practice; missed two appointments this year; no safeguarding flags.",
    "health-visiting": "Seen at the 2-year review; development on track; mother reported low mood.",
    "oakfield-primary": "Attendance 82% this term; arrives hungry most Mondays; DSL has a log of concerns.",
}

# The MASH's work on demo contact `index` before its decision: the rating, each agency asked with
# what became of the request (hours after receipt), and whether the decision keeps the requests
# still open. Fates: ("answered", h) answered h hours after receipt; ("withdrawn", h) withdrawn by
# staff; ("after_decision", h) left open by the decision and answered after it; None: nothing more
# (open; at the decision, withdrawn "decided without it" unless kept open).
MASH_WORK = {
    # nfa after 4h: the health visitor answered in time; the police were still open at the
    # decision, which withdrew the request ("decided without it").
    1: ("green", [("health-visiting", ("answered", 2)), ("wmp", None)], False),
    # strategy discussion after 2h: the police answered in time; the GP's request was kept open
    # and answered late, after the decision (flagged for the decider).
    3: ("red", [("wmp", ("answered", 1)), ("hilltop-gp", ("after_decision", 5))], True),
    # awaiting its decision, overdue: the police answered in time, the GP never has (overdue).
    6: ("red", [("wmp", ("answered", 1.5)), ("hilltop-gp", None)], False),
    # nfa after 10h, rated amber, nobody asked.
    7: ("amber", [], False),
    # awaiting: the school answered the next day; housing's was withdrawn by staff.
    12: ("amber", [("oakfield-primary", ("answered", 26)), ("housing", ("withdrawn", 3))], False),
}


@contextmanager
def clock_at(instant):
    """The app's clock at `instant` for what is done inside (see the module's docstring)."""
    config = current_app.config
    clock = config["CLOCK"]
    config["CLOCK"] = lambda: instant
    try:
        yield instant
    finally:
        config["CLOCK"] = clock


def _agency(code):
    return Actor(f"system:seed/{code}-client", "agency", agency=code)


def _before(current, instant):
    """No demo event may sit in the future."""
    return min(instant, current - timedelta(minutes=5))


def _decide(contact, outcome, hours, current, **extra):
    decided_at = _before(current, contact.received_at + timedelta(hours=hours))
    with clock_at(decided_at):
        return record_decision(PRIYA, contact.id, {
            "outcome": outcome, "rationale": RATIONALES[outcome], "decided_at": decided_at, **extra,
        })


def _ensure_consent(contact, status, current):
    if contact.consent_status == status:
        return
    with clock_at(_before(current, contact.received_at + timedelta(minutes=30))):
        record_consent(PRIYA, contact.id, {
            "status": status, "given_by": "Mother",
            "reason": None if status == "given" else "Significant harm: shared without consent.",
        })


def recording_time(received_at, current):
    """When the demo says a contact received at `received_at` was recorded."""
    return _before(current, received_at + timedelta(minutes=15))


def _mash_work(index, contact, current):
    """The rating and requests MASH_WORK plans for the contact; returns what the decision is to be
    told, and the answers to give after it."""
    rating, asks, keep_open = MASH_WORK.get(index, (None, [], False))
    received = contact.received_at
    if rating:
        with clock_at(_before(current, received + timedelta(minutes=20))):
            record_rag(PRIYA, contact.id, {"rating": rating, "reason": RAG_REASONS[rating]})
    later = []
    for agency, fate in asks:
        with clock_at(_before(current, received + timedelta(minutes=40))):
            asked = request_information(PRIYA, contact.id, {
                "agency": agency, "question": QUESTION,
                "child_ids": [link.child_id for link in contact.child_links]})
        if fate is None:
            continue
        what, hours = fate
        when = _before(current, received + timedelta(hours=hours))
        if what == "answered":
            with clock_at(when):
                respond(_agency(agency), asked.id, {"known": True, "information": ANSWERS[agency]})
        elif what == "withdrawn":
            with clock_at(when):
                withdraw(PRIYA, asked.id, {"reason": "Housing confirmed by phone that the family "
                                                     "are not its tenants; no longer needed."})
        else:
            later.append((agency, asked.id, when))
    return ({"keep_information_requests_open": True} if keep_open else {}), later


def advance_case(index, contact, current):
    """Take demo contact `index` some way through the workflow (deterministic per index)."""
    keep, later = _mash_work(index, contact, current)
    _workflow(index, contact, current, keep)
    for agency, request_id, when in later:
        with clock_at(when):
            respond(_agency(agency), request_id, {"known": True, "information": ANSWERS[agency]})


def _workflow(index, contact, current, keep):
    pattern = index % 6
    if pattern == 0:
        return  # awaiting a decision (the older ones are overdue)
    child_id = contact.child_links[0].child_id
    if pattern == 1:
        decision = _decide(contact, "nfa", 3 + index % 30, current, **keep)
        approve_decision(MARK, decision.id, {"note": "Agree: no further action."})
        record_feedback(PRIYA, contact.id, {
            "given_at": _before(current, decision.decided_at + timedelta(hours=2)),
            "method": "secure_portal", "summary": "No further action; advice given to the family."})
    elif pattern == 2:
        _ensure_consent(contact, "given", current)
        _decide(contact, "early_help", 5, current)
        if index % 4 == 2:
            request_transition(ERIN, {
                "child_id": child_id, "direction": "step_up",
                "rationale": "Early help plan not progressing; escalating neglect at home.",
                "requested_at": _before(current, contact.received_at + timedelta(days=3)),
            })
    elif pattern == 3:
        _ensure_consent(contact, "overridden", current)
        decision = _decide(contact, "strategy_discussion", 2, current, **keep)
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
        _ensure_consent(contact, "given", current)
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
        _ensure_consent(contact, "given", current)
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
