"""Demo cases that walk the workflow, so every state can be seen: at the front door, undecided
and overdue contacts, decisions approved or superseded, feedback, strategy meetings convened and
held (minutes on time and late), step-up/step-down requests open, overdue, accepted, refused and
withdrawn, and the MASH's own work on some contacts (MASH_WORK): RAG ratings, and information
requests to partner agencies answered in time and late, withdrawn by staff and by a decision made
without them, kept open and answered after the decision, and open past their deadline.

After the front door (DOMAIN.md), every state the DfE Children in Need census needs: referrals
allocated within 5 working days, late and never; single assessments open (overdue and not) and
completed (within 45 working days and not) with their factors, outcome and primary need;
referrals closed with RC7 (no further action after a strategy discussion: the census's
ReferralNFA), RC8 (after an assessment that found no factors, 21) and RC9 (after an assessment,
stepped down to early help); s47 enquiries whose initial child protection conference (always on
a weekday) made a plan with its category of abuse, made none, was not required, or is not yet
held; every referred child's disability; an unborn child referred before birth; children
referred again after an earlier referral closed (never two open referrals of a child at once,
nor a referral inside another's dates: the census refuses both).

Demo contact `index` follows PLANS[position], position = (index - 1) % 36 + 1 (see PLANS), so
`flask seed --contacts N` cycles through the same states. Everything is deterministic per index
but its dates, which follow today.

The API stamps each write with its own clock. So that the demo shows them as they would have
happened (a request answered late, a rating before the decision it set the deadline of, an
assessment authorised weeks after it started), each is made with the app's clock set to the
moment the demo says it happened (`clock_at`): always in the past, and in the order things
happen. The audit trail records those moments too.
"""

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app

from api.caller import Actor
from api.db import session
from api.domain.assessments import (
    allocate_assessment, allocate_referral, close_referral, complete_assessment, start_assessment,
)
from api.domain.children import record_disability
from api.domain.contacts import record_consent, record_rag
from api.domain.decisions import approve_decision, record_decision, record_feedback
from api.domain.information_requests import request_information, respond, withdraw
from api.domain.meetings import convene_meeting, record_icpc, record_minutes, record_outcome
from api.domain.transitions import request_transition, respond_to_transition, withdraw_transition
from api.models import Child
from api.timescales import LONDON, london_date, working_days_after

# The seed acts in the demo staff's roles; its events say so ("system:seed/<account>").
PRIYA = Actor("system:seed/priya.mash", "practitioner", service="mash")
MARK = Actor("system:seed/mark.mash", "manager", service="mash")
ERIN = Actor("system:seed/erin.earlyhelp", "practitioner", service="early_help")
EMMA = Actor("system:seed/emma.earlyhelp", "manager", service="early_help")
SAM = Actor("system:seed/sam.socialcare", "practitioner", service="social_care")
SARA = Actor("system:seed/sara.socialcare", "manager", service="social_care")
# Referrals and assessments are allocated to Sam (the demo social worker's user name, as a token
# names him), and authorised by Sara, his manager: never by the worker who did them.
WORKER = "sam.socialcare"
TEAMS = ("Assessment team 1", "Assessment team 2")

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

# What an assessment finds for each of the demo concerns (data.DEMO_CONCERNS, by index % 8): the
# CIN census factors, the primary need, and the category of abuse a child protection plan takes.
FINDINGS = [
    (["3A", "3B"], "N1", "EMO"),           # domestic abuse
    (["16A"], "N1", "NEG"),                # neglect
    (["18B"], "N1", "PHY"),                # physical abuse
    (["4A", "15A", "17A"], "N1", "EMO"),   # emotional abuse, self-harm
    (["1B", "2B"], "N3", "NEG"),           # parental substance misuse
    (["10A", "11A", "23A"], "N1", "SAB"),  # exploitation, missing
    (["24A"], "N4", "NEG"),                # homelessness
    (["19B"], "N1", "SAB"),                # sexual abuse
]
# The disabilities of the few demo children who have one (CIN census codes), by child.
DISABILITY_SETS = [["LD", "AUT"], ["HEAR"], ["MOB", "PC", "COMM"], ["BEH", "LD"]]

ASSESSMENT_RATIONALES = {
    "child_in_need_plan": "Needs are significant and ongoing; a child in need plan with the school "
                          "and health visitor will address them, reviewed in three months.",
    "no_further_action": "Child seen alone and at home; concerns not substantiated and parents "
                         "engaged well. No factors identified; no further action.",
    "early_help": "Needs are real but below the level for a child in need plan; the family agree "
                  "to a family support worker from early help.",
    "strategy_discussion": "Assessment alongside the s47 enquiry: risk of significant harm "
                           "continues and the conference is to consider a plan.",
}

# ---- the plans ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What becomes of a demo contact. `days`: how many London days ago it was received (drawn
    per index between the two); `returns`: (position, days) its child is the child of that
    earlier position's contact in the same cycle, received that many days after it; `variant`:
    the kind's own choice (see _workflow)."""

    kind: str
    days: tuple = (3, 200)
    returns: tuple | None = None
    variant: str | None = None


PLANS = {
    # the front door
    1: Plan("nfa", (25, 200)),                           # MASH_WORK: rated green, asked two agencies
    2: Plan("early_help", (5, 200), variant="step_up"),  # step-up requested, still open
    3: Plan("s47_convened", (3, 120)),                   # MASH_WORK: a request kept open, answered late
    4: Plan("cin_plan", (65, 200)),                      # a: assessed, child in need plan, left open
    5: Plan("step_up", (35, 90), variant="refused"),
    6: Plan("awaiting", (3, 40)),                        # MASH_WORK: a request open past its deadline
    7: Plan("nfa", (3, 200)),                            # MASH_WORK: rated amber, nobody asked
    8: Plan("closed_nfa", (140, 210)),                   # b: factor 21, closed RC8
    9: Plan("icpc_plan", (40, 200), variant="prompt"),   # e: ICPC made a plan (within 15 working days)
    10: Plan("allocated_late", (90, 200), variant="completed"),  # c: and authorised after 45 days
    11: Plan("step_up", (5, 200), variant="withdrawn"),
    12: Plan("awaiting", returns=(5, 30)),               # MASH_WORK; the child of 5 comes back
    13: Plan("unallocated", (15, 200)),                  # c: never allocated
    14: Plan("early_help", returns=(1, 20)),             # the child of 1 comes back
    15: Plan("icpc_no_plan", (40, 200), variant="late"),  # e: ICPC made no plan
    16: Plan("step_down", (45, 200)),                    # assessed, stepped down, closed RC9
    17: Plan("open_overdue", (80, 200)),                 # d: open past its 45 working days
    18: Plan("icpc_pending", (8, 20), variant="late"),   # e: ICPC not yet held
    19: Plan("icpc_not_required", (35, 200), variant="prompt"),  # e
    20: Plan("cin_plan", returns=(8, 60)),               # a: the child of 8 referred again
    21: Plan("icpc_not_required", (35, 200), variant="late"),  # e
    22: Plan("closed_nfa", (60, 200)),                   # b
    23: Plan("step_up", (5, 200), variant="open"),
    24: Plan("strategy_nfa", (45, 75)),                  # f: meeting NFA, closed RC7
    25: Plan("open", (6, 45), variant="unborn"),         # d, h: pre-birth, assessment open
    26: Plan("icpc_pending", (8, 20), variant="prompt"),  # e
    27: Plan("icpc_plan", (40, 200), variant="late"),    # e: ICPC made a plan, outside 15 days
    28: Plan("open_overdue", (80, 200)),                 # d
    29: Plan("allocated_late", (20, 60), variant="open"),  # c: allocated late, assessment open
    30: Plan("strategy_nfa", returns=(22, 40)),          # f: the child of 22 referred again
    31: Plan("unallocated", (15, 200)),                  # c
    32: Plan("cin_plan", (65, 200)),                     # a
    33: Plan("s47_convened", (3, 120)),
    34: Plan("closed_nfa", (30, 200)),                   # b
    35: Plan("open", returns=(24, 30)),                  # d: the child of 24 referred again
    36: Plan("icpc_no_plan", (40, 200), variant="prompt"),  # e
}
CYCLE = len(PLANS)
# Kinds whose contact becomes a referral (decision assessment or strategy_discussion).
REFERRAL_KINDS = {"s47_convened", "icpc_plan", "icpc_no_plan", "icpc_not_required",
                  "icpc_pending", "strategy_nfa", "cin_plan", "closed_nfa", "allocated_late",
                  "unallocated", "open_overdue", "open", "step_down"}

# No demo contact is older than this many days, nor received before FIRST_DAY (the 2026-27 CIN
# census year starts on 1 April 2026), nor in the last LAST_DAYS days.
OLDEST_DAYS, FIRST_DAY, LAST_DAYS = 240, date(2026, 4, 2), 3


def position(index):
    return (index - 1) % CYCLE + 1


def plan_of(index):
    return PLANS[position(index)]


def partner_index(index):
    """The earlier demo contact whose child contact `index` is about again, or None."""
    plan = plan_of(index)
    return None if plan.returns is None else index - position(index) + plan.returns[0]


def child_number(index):
    """Which demo child contact `index` is about: its own, or the one it returns to."""
    partner = partner_index(index)
    return index if partner is None else child_number(partner)


def is_referral(index):
    return plan_of(index).kind in REFERRAL_KINDS


def index_rng(index, purpose):
    """A random source of its own for each index and purpose: the same every run."""
    return random.Random(f"seed-{index}-{purpose}")


def days_ago(index, today):
    """How many London days before `today` demo contact `index` was received."""
    oldest = min(OLDEST_DAYS, (today - FIRST_DAY).days)
    if oldest < 2 * LAST_DAYS:  # a clock before the census year: only the window is kept
        oldest = OLDEST_DAYS
    plan = plan_of(index)
    if plan.returns is not None:
        days = days_ago(partner_index(index), today) - plan.returns[1]
    else:
        low, high = plan.days
        days = low + int(index_rng(index, "days").random() * (high - low + 1))
    return max(LAST_DAYS, min(days, oldest))


def received_time(index, today):
    """When (UTC) demo contact `index` was received: in the working day's hours, London time."""
    day = today - timedelta(days=days_ago(index, today))
    minutes = index_rng(index, "minute").randint(8 * 60, 17 * 60 + 59)
    return _at(day, minutes // 60, minutes % 60)


# ---- the app's clock ---------------------------------------------------------------------------


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


def _at(day, hour, minute=0):
    """`day` at hour:minute London time, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def _working_day(day, n):
    """The n-th working day after `day` (England's bank holidays as configured); n=0: `day`."""
    if n == 0:
        return day
    config = current_app.config
    return working_days_after(day, n, config["HOLIDAY_COUNTRY"], config["HOLIDAY_SUBDIVISION"])


def recording_time(received_at, current):
    """When the demo says a contact received at `received_at` was recorded."""
    return _before(current, received_at + timedelta(minutes=15))


# ---- the front door ----------------------------------------------------------------------------


def _decide(contact, outcome, hours, current, **extra):
    decided_at = _before(current, contact.received_at + timedelta(hours=hours))
    with clock_at(decided_at):
        return record_decision(PRIYA, contact.id, {
            "outcome": outcome, "rationale": RATIONALES[outcome], "decided_at": decided_at, **extra,
        })


def _approve(decision, current, note=None):
    with clock_at(_before(current, decision.decided_at + timedelta(hours=1))):
        approve_decision(MARK, decision.id, {"note": note} if note else {})


def _ensure_consent(contact, status, current):
    if contact.consent_status == status:
        return
    with clock_at(_before(current, contact.received_at + timedelta(minutes=30))):
        record_consent(PRIYA, contact.id, {
            "status": status, "given_by": "Mother",
            "reason": None if status == "given" else "Significant harm: shared without consent.",
        })


# The MASH's work on the demo contact at a position (in every cycle) before its decision: the rating, each agency asked
# with what became of the request (hours after receipt), and whether the decision keeps the
# requests still open. Fates: ("answered", h) answered h hours after receipt; ("withdrawn", h)
# withdrawn by staff; ("after_decision", h) left open by the decision and answered after it; None:
# nothing more (open; at the decision, withdrawn "decided without it" unless kept open).
MASH_WORK = {
    # nfa after 4h (as the first cycle's hours say): the health visitor answered in time; the police were still open at the
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


def _mash_work(index, contact, current):
    """The rating and requests MASH_WORK plans for the contact; returns what the decision is to be
    told, and the answers to give after it."""
    rating, asks, keep_open = MASH_WORK.get(position(index), (None, [], False))
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
    plan = plan_of(index)
    child_id = contact.child_links[0].child_id
    case = _Case(index, contact, child_id, current, plan.variant)
    if plan.kind == "awaiting":
        return  # awaiting a decision (the older ones are overdue)
    if plan.kind == "nfa":
        decision = _decide(contact, "nfa", 3 + index % 30, current, **keep)
        _approve(decision, current, "Agree: no further action.")
        given_at = _before(current, decision.decided_at + timedelta(hours=2))
        with clock_at(given_at):
            record_feedback(PRIYA, contact.id, {
                "given_at": given_at, "method": "secure_portal",
                "summary": "No further action; advice given to the family."})
    elif plan.kind == "early_help":
        _ensure_consent(contact, "given", current)
        _decide(contact, "early_help", 5, current, **keep)
        if plan.variant == "step_up":
            requested_at = _before(current, contact.received_at + timedelta(days=3))
            with clock_at(requested_at):
                request_transition(ERIN, {
                    "child_id": child_id, "direction": "step_up",
                    "rationale": "Early help plan not progressing; escalating neglect at home.",
                    "requested_at": requested_at,
                })
    elif plan.kind == "step_up":
        _step_up(case, keep)
    elif plan.kind in ("s47_convened", "icpc_plan", "icpc_no_plan", "icpc_not_required",
                       "icpc_pending", "strategy_nfa"):
        case.strategy(plan.kind, keep)
    else:
        case.assessment(plan.kind, keep)


def _step_up(case, keep):
    contact, current = case.contact, case.current
    _ensure_consent(contact, "given", current)
    _decide(contact, "early_help", 30, current, **keep)
    requested_at = _before(current, contact.received_at + timedelta(days=1))
    with clock_at(requested_at):
        transition = request_transition(ERIN, {
            "child_id": case.child_id, "direction": "step_up",
            "rationale": "New disclosure at school of harm at home; early help cannot hold the risk.",
            "requested_at": requested_at,
        })
    if case.variant == "refused":
        with clock_at(_before(current, _at(_working_day(london_date(requested_at), 2), 14))):
            respond_to_transition(SARA, transition.id, {
                "decision": "refused",
                "rationale": "Single incident, protective mother; s17 threshold not met; continue EH."})
    elif case.variant == "withdrawn":
        with clock_at(_before(current, requested_at + timedelta(days=1))):
            withdraw_transition(ERIN, transition.id, {"reason": "Family moved out of the area."})


# ---- after the front door ------------------------------------------------------------------------


class _Case:
    """One demo referral's way after the front door, on the demo's dates."""

    def __init__(self, index, contact, child_id, current, variant):
        self.index, self.contact, self.child_id = index, contact, child_id
        self.current, self.variant = current, variant
        self.team = TEAMS[index % 2]
        self.factors, self.need, self.category = FINDINGS[index % len(FINDINGS)]
        self.rng = index_rng(index, "case")

    def at(self, day, hour, minute=0):
        return _before(self.current, _at(day, hour, minute))

    # -- the referral

    def refer(self, outcome, keep):
        contact, current = self.contact, self.current
        if outcome == "strategy_discussion":
            _ensure_consent(contact, "overridden", current)
            decision = _decide(contact, outcome, 2, current, **keep)
        else:
            _ensure_consent(contact, "given", current)
            if self.index % 2:
                decision = _decide(contact, "assessment", 8, current, **keep)
            else:  # first decided otherwise, then superseded
                first = _decide(contact, "information_advice", 6, current, **keep)
                decision = _decide(
                    contact, "assessment", 20, current, supersedes=first.id,
                    supersede_reason="Health visitor's further information raised the level of "
                                     "concern.")
            _approve(decision, current)
        self.decision = decision
        self.referred_on = london_date(decision.decided_at)
        self.disability()
        return decision

    def disability(self):
        """Every referred child's disability, as the MASH learns it: a few have one (CIN census
        codes), most none; an unborn child's is recorded as not known yet (the census asks it
        of born children). Recorded once per child (a child referred again has it already)."""
        child = session.get(Child, self.child_id)
        if child.disability is not None:
            return
        if self.variant == "unborn":
            data = {"disability": None}
        else:
            number = child_number(self.index)
            codes = DISABILITY_SETS[number // 7 % len(DISABILITY_SETS)] if number % 7 == 4 else None
            data = {"disability": bool(codes), **({"disabilities": codes} if codes else {})}
        with clock_at(_before(self.current, self.decision.decided_at + timedelta(minutes=30))):
            record_disability(PRIYA, self.child_id, data)

    def allocate(self, working_days, hour=10):
        """Allocate the referral `working_days` working days after it (0: an hour after)."""
        if working_days:
            allocated_at = self.at(_working_day(self.referred_on, working_days), hour)
        else:
            allocated_at = _before(self.current, self.decision.decided_at + timedelta(hours=1))
        with clock_at(allocated_at):
            allocate_referral(SARA, self.contact.id, {
                "team": self.team, "worker": WORKER, "allocated_at": allocated_at})

    def start(self, day):
        """Sam starts the child's assessment on `day`; it is allocated to him the same day."""
        started_at = self.at(day, 9, 30)
        with clock_at(started_at):
            assessment = start_assessment(SAM, {
                "contact_id": self.contact.id, "child_id": self.child_id,
                "started_at": started_at})
        with clock_at(_before(self.current, started_at + timedelta(minutes=10))):
            allocate_assessment(SARA, assessment.id, {
                "team": self.team, "worker": WORKER,
                "allocated_at": _before(self.current, started_at + timedelta(minutes=10))})
        return assessment

    def complete(self, assessment, seen_day, authorised_day, outcome, factors=None):
        """Sara authorises the assessment on `authorised_day` (the child seen on `seen_day`)."""
        seen = self.at(seen_day, 11)
        authorised = max(self.at(authorised_day, 16), assessment.started_at)
        with clock_at(authorised):
            complete_assessment(SARA, assessment.id, {
                "child_seen_at": min(seen, authorised), "authorised_at": authorised,
                "factors": factors or self.factors, "outcome": outcome,
                "rationale": ASSESSMENT_RATIONALES[outcome], "primary_need": self.need})

    def close(self, day, reason, rationale, primary_need=None):
        recorded_at = self.at(day, 17)
        with clock_at(recorded_at):
            close_referral(SARA, self.contact.id, {
                "closed_on": min(day, london_date(recorded_at)), "reason": reason,
                "rationale": rationale, **({"primary_need": primary_need} if primary_need else {})})

    # -- s17: a referral for assessment

    def assessment(self, kind, keep):
        self.refer("assessment", keep)
        day = self.referred_on
        if kind == "unallocated":
            return  # never allocated (nor assessed): unallocated past 5 working days
        late = kind == "allocated_late"
        allocated = 8 + self.rng.randint(0, 2) if late else 1 + self.index % 3
        self.allocate(allocated)
        start = _working_day(day, allocated + 1)
        assessment = self.start(start)
        if kind in ("open", "open_overdue") or (late and self.variant == "open"):
            return  # still open: overdue when started long enough ago
        if kind == "cin_plan":
            self.complete(assessment, _working_day(start, 3),
                          _working_day(start, self.rng.randint(20, 35)), "child_in_need_plan")
        elif late:  # authorised after its 45 working days
            self.complete(assessment, _working_day(start, 4),
                          _working_day(day, 48 + self.rng.randint(0, 5)), "child_in_need_plan")
        elif kind == "closed_nfa":
            authorised = _working_day(start, 10)
            self.complete(assessment, _working_day(start, 2), authorised, "no_further_action",
                          factors=["21"])
            self.close(_working_day(authorised, 2), "RC8",
                       "Assessment found no factors and no unmet need; closed with advice to "
                       "the family and the school.")
        elif kind == "step_down":
            authorised = _working_day(start, 15)
            self.complete(assessment, _working_day(start, 3), authorised, "early_help")
            requested_at = self.at(_working_day(authorised, 1), 10)
            with clock_at(requested_at):
                transition = request_transition(SAM, {
                    "child_id": self.child_id, "direction": "step_down",
                    "rationale": "Assessment complete; needs can be met by early help with "
                                 "family consent.",
                    "plan": {"summary": "Family support worker for 12 weeks",
                             "expected_outcomes": ["School attendance above 95%",
                                                   "Stable housing"]},
                    "requested_at": requested_at,
                })
            accepted_on = _working_day(authorised, 3)
            with clock_at(self.at(accepted_on, 11)):
                respond_to_transition(EMMA, transition.id, {"decision": "accepted"})
            self.close(accepted_on, "RC9", "Assessment complete and the family stepped down to "
                                           "early help, who accepted them.")

    # -- s47: a referral for a strategy discussion

    def strategy(self, kind, keep):
        contact, current = self.contact, self.current
        decision = self.refer("strategy_discussion", keep)
        with clock_at(_before(current, decision.decided_at + timedelta(minutes=10))):
            meeting = convene_meeting(PRIYA, {
                "contact_id": contact.id, "children": [self.child_id],
                "convened_at": decision.decided_at,
                "scheduled_for": decision.decided_at + timedelta(hours=2), "chair": "Mark Evans",
                "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}, {"agency": "early-help"}]
                + ([] if contact.source_agency in ("wmp", "hilltop-gp")
                   else [{"agency": contact.source_agency}]),
                "not_invited_reasons": {},
            })
        self.allocate(0)
        if kind == "s47_convened":
            return  # awaiting its outcome
        prompt = self.variant != "late"
        held_at = _before(current, decision.decided_at + timedelta(hours=3 if prompt else 30))
        nfa = kind == "strategy_nfa"
        with clock_at(_before(current, held_at + timedelta(minutes=30))):
            record_outcome(PRIYA, meeting.id, {
                "held_at": held_at,
                "attendance": [
                    {"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
                    {"agency": "hilltop-gp", "attended": prompt}],
                "outcome": "no_further_action" if nfa else "s47_enquiry",
                "rationale": "Agencies agree the threshold for a section 47 enquiry is not met: "
                             "the account is explained and the child is safe at home."
                if nfa else "Agencies agree the threshold for a section 47 enquiry is met.",
                "medical_examination": {"decision": "not_required",
                                        "reason": "No physical injury alleged; disclosure is of neglect."},
                "actions": [] if nfa else [
                    {"description": "Joint home visit by police and social worker",
                     "owner_agency": "wmp", "due_date": london_date(held_at) + timedelta(days=1)}],
            })
        minutes_at = _before(current, held_at + timedelta(hours=4 if prompt else 80))
        with clock_at(minutes_at):
            record_minutes(PRIYA, meeting.id, {"minutes_recorded_at": minutes_at})
        held_on = london_date(held_at)
        if nfa:  # the census's ReferralNFA: no assessment, no s47
            self.close(_working_day(held_on, 1 + self.index % 2), "RC7",
                       "Strategy meeting found the threshold for a section 47 enquiry not met; "
                       "no further social care involvement needed.", primary_need=self.need)
            return
        assessment = self.start(_working_day(held_on, 1))  # alongside the s47 enquiry
        if kind == "icpc_pending":
            return  # the conference is not yet held, the assessment still open
        if kind == "icpc_not_required":
            self.icpc(meeting, _working_day(held_on, 5 if prompt else 8), not_required=True)
            self.complete(assessment, _working_day(held_on, 3), _working_day(held_on, 14),
                          "child_in_need_plan")
        elif kind == "icpc_plan":  # the assessment informs the conference
            self.complete(assessment, _working_day(held_on, 3), _working_day(held_on, 8),
                          "strategy_discussion")
            self.icpc(meeting, _working_day(held_on, 10 if prompt else 18), plan=True)
        else:  # no plan: the conference steps the child down to a child in need plan
            held = self.icpc(meeting, _working_day(held_on, 11 if prompt else 17), plan=False)
            self.complete(assessment, _working_day(held_on, 3),
                          _working_day(held or held_on, 2), "child_in_need_plan")

    def icpc(self, meeting, day, plan=False, not_required=False):
        """The initial child protection conference: held on a weekday (CIN census rule 8875), by
        `day` or the last weekday before today if `day` is still to come; or not required."""
        recorded_at = self.at(day, 15)
        if not_required:
            with clock_at(recorded_at):
                record_icpc(SARA, meeting.id, {
                    "not_required": True,
                    "reason": "Section 47 enquiry found the concerns not substantiated; the "
                              "child is safe and no conference is needed."})
            return None
        held_on = min(day, london_date(recorded_at))
        while held_on.weekday() >= 5:
            held_on -= timedelta(days=1)
        if held_on < london_date(meeting.held_at):
            return None  # no weekday yet to hold it on: not yet held
        with clock_at(recorded_at):
            record_icpc(SARA, meeting.id, {
                "held_on": held_on,
                "child_protection_plan": [
                    {"child_id": self.child_id, "plan": plan,
                     **({"category_of_abuse": self.category} if plan else {})}]})
        return held_on
