"""Timeliness metrics (GET /api/v1/metrics/timeliness), checked against docs/metrics.md.

A small front door is built by hand, through the API, with the fake clock moved to each moment
in turn. Every expected figure below is a literal worked out by hand from the definitions, with
a comment saying why; nothing is computed by the code under test.

All of May and June 2026 is British Summer Time (London = UTC+1), so the end of a London day is
22:59:59.999999Z. Bank holidays in England nearby: Mon 4 May and Mon 25 May 2026.

The dataset (times UTC; "h" = hours from received_at to the first decision; 24h / 1wd = the
first decision within 24 clock hours / by decision_due_at):

Outside every period checked
  C0   wmp     2025-05-19 20:00  child X, overridden; assessment 2025-05-19 22:30 (23:30 London)
  CJ   btp     2026-06-30 23:30  = 00:30 on 1 July in London: July, not June; undecided
  TJ   step_down of C11's child requested 2026-06-30 23:40 (= 1 July London), open
April 2026 (before the main period; only in the by-month check)
  CA   wmp     Tue 21 Apr 09:00  not_sought; strategy_discussion 10:00 (1h, 24h yes, 1wd yes)
  M0   for CA: convened 21 Apr 11:00, held Wed 22 Apr 09:00 (not same day), s47, minutes 22 Apr
       15:00 (on time); wmp attended, hilltop-gp attended; ICPC due Thu 14 May (in May)
May 2026
  C1   wmp     Fri 1 May 09:00   not_sought; strategy_discussion Tue 5 May 08:00: 95h, 24h no,
               1wd yes (due end of Tue 5 May: Mon 4 May is a bank holiday); approved; feedback
               twice (counts once)
  C4   hilltop Mon 11 May 10:00  given; early_help Wed 13 May 12:00: 50h, 24h no, 1wd no (due end
               of Tue 12 May); approved; feedback
  C3   oakfld  Tue 12 May 08:00  child Y; not_sought, later overridden; first decision nfa 09:00
               (1h, 24h yes, 1wd yes) approved, then superseded Thu 14 May by assessment (not
               approved): outcome assessment, not approved; no feedback
  C2   wmp     Fri 15 May 14:00  not_sought; strategy_discussion Mon 18 May 10:00: 68h, 24h no,
               1wd yes (due end of Mon 18 May); no approval, no feedback
  C10  oakfld  Wed 20 May 08:00  child X; overridden; assessment 09:00 (1h, yes, yes); not a
               re-referral: C0 was decided at 23:30 London on 19 May 2025, before the London
               midnight starting 20 May 2025; no approval, no feedback
  M1   for C1: convened Tue 5 May 09:00, held 14:00 (same day), s47, minutes Wed 6 May 10:00 (on
       time); invited wmp, hilltop-gp, oakfield-primary; attended: wmp yes, hilltop-gp no,
       oakfield none recorded (1 of 3); ICPC due Wed 27 May (Mon 25 May skipped)
  M5   for C2: convened Mon 18 May 11:00, held Fri 22 May 13:00 (not same day), no_further_action,
       minutes Tue 26 May 16:00 (on time: Mon 25 May is a bank holiday); wmp yes, hilltop-gp yes
June 2026
  C5   wmp     2026-05-31 23:30  = 00:30 on Mon 1 June in London: June; not_sought;
               strategy_discussion Mon 1 Jun 09:30 (10h, yes, yes); approved; feedback
  C6   oakfld  Tue 2 Jun 09:00   refused; information_advice 11:00 (2h, yes, yes); approved;
               feedback
  C9   oakfld  Mon 8 Jun 09:00   child Y; given; assessment 13:00 (4h, yes, yes); re-referral
               (C3's assessment, 14 May 2026); no approval; feedback
  C11  hilltop Wed 10 Jun 20:00  not_sought; strategy_discussion 22:00 (2h, yes, yes)
  C12  oakfld  Mon 22 Jun 09:00  not_sought; strategy_discussion 13:00 (4h, yes, yes)
  C7   hilltop Thu 25 Jun 10:00  given; undecided, due end of Fri 26 Jun: overdue; feedback
               recorded although undecided (not counted: feedback is "of decided")
  C8   wmp     Tue 30 Jun 10:00  refused; undecided, due end of Wed 1 Jul: not overdue at the
               time of the request (Wed 1 Jul 11:00)
  M2   for C5: convened Mon 1 Jun 10:00, held Wed 3 Jun 09:00 (not same day), assessment,
       minutes Fri 5 Jun 10:00 (late: due end of Thu 4 Jun); invited wmp only, health left out
       with a reason (1); wmp attended (1 of 1)
  M3   for C11: convened 2026-06-10 23:10 (= 00:10 on 11 June London), held 2026-06-11 08:00
       (same London day though not the same UTC day), s47, minutes never recorded; invited
       hilltop-gp (attended) and oakfield-primary (did not attend): 1 of 2; police left out with
       a reason (1); ICPC due Thu 2 Jul (outside the period)
  M4   for C12: convened Mon 22 Jun 14:00, never held; police and health left out with reasons (2)
Transitions (requested_at; working days to the response)
  step_up   U5 C4's child   Mon 18 May 09:00  open, due end of Tue 26 May: overdue
            U1 child X      Mon 1 Jun 09:00   withdrawn 12:00
            U2 child X      Fri 5 Jun 10:30   refused Mon 8 Jun: 1 working day (across a weekend)
            U4 C1's child   Tue 9 Jun 10:00   accepted 16:00: 0
            U3 child X      Mon 29 Jun 10:00  open, due end of Mon 6 Jul: not overdue
  step_down D1 child X      Thu 21 May 10:00  refused 15:00: 0
            D2 child X      Fri 22 May 10:00  accepted Tue 26 May: 1 (Mon 25 May a bank holiday)
            D3 C1's child   Tue 2 Jun 10:00   accepted Fri 5 Jun: 3
            D5 C2's child   Mon 15 Jun 10:00  withdrawn Tue 16 Jun
            D4 C1's child   Wed 10 Jun 10:00  open, due end of Wed 17 Jun: overdue
Single assessments (started_at; due 45 working days after the referral's decision)
  AC   CA's child   Fri 1 May 10:00      open; due end of Thu 25 Jun: overdue
  AC2  C2's child   Tue 19 May 09:00     completed Wed 10 Jun: within 45 working days
  AC10 child X (C10) Wed 20 May 10:00    open, due in July
  A0   child X (C0) 2026-05-31 23:30     = 00:30 on 1 June in London: June; completed Mon 15 Jun,
                                         late (due end of Tue 22 Jul 2025)
  AC11 C11's child  Thu 11 Jun 10:00     open
  AC9  child Y (C9) 2026-06-30 22:30     = 23:30 on 30 June in London: June; open
  AC12 C12's child  2026-06-30 23:45     = 1 July in London: outside every period checked
Allocation of the referrals (5 working days after the decision: the end of that London day)
  C1   due end of Tue 12 May   allocated at 23:59:59.999999 London that day (in time), again
                               on 1 Jun (the first allocation is the one judged)
  C3   due end of Thu 21 May   allocated a microsecond later, 00:00 on 22 May London: late
  C2   due end of Tue 26 May   never allocated: late
  C10  due end of Thu 28 May   allocated Wed 20 May 12:00: in time
  C5   due end of Mon 8 Jun    never allocated: late
  C9   due end of Mon 15 Jun   allocated Tue 16 Jun 09:00: late
  C11  due end of Wed 17 Jun   allocated Thu 11 Jun 10:00: in time
  C12  due end of Mon 29 Jun   never allocated: late from 23:00Z that day
  CA   due end of Tue 28 Apr   never allocated: late (April)
The metrics are read at Wed 2026-07-01 11:00Z unless a test says otherwise.
"""

import pytest

from tests.helpers import (
    EMPTY, allocation, assert_grouped, assert_ungrouped, assessments, consent, contacts, direction,
    figures, meetings, new_nhs_number, outcomes, ratio, referrals, transitions,
)


READ_AT = "2026-07-01T11:00:00Z"








@pytest.fixture
def dataset(front_door):
    """The front door described in the module docstring, built in time order."""
    f = front_door
    nhs_x, nhs_y = new_nhs_number(), new_nhs_number()

    # 2025: child X's earlier referral, more than 12 months before C10.
    c0 = f.contact("2025-05-19T20:00:00Z", "wmp", "overridden", nhs_number=nhs_x)
    f.decide(c0, "2025-05-19T22:30:00Z", "assessment", within=(True, True))

    # April 2026: CA and its s47 meeting M0, whose ICPC falls due in May.
    ca = f.contact("2026-04-21T09:00:00Z", "wmp")
    f.decide(ca, "2026-04-21T10:00:00Z", "strategy_discussion", within=(True, True))
    m0 = f.convene(ca, "2026-04-21T11:00:00Z", "2026-04-22T09:00:00Z", ["wmp", "hilltop-gp"])
    f.hold(m0, "2026-04-22T15:00:00Z", "2026-04-22T09:00:00Z", "s47_enquiry",
           [("wmp", True), ("hilltop-gp", True)], same_day=False, icpc_due_date="2026-05-14",
           minutes_recorded_at="2026-04-22T15:00:00Z")
    assert f.mash.get(f"/api/v1/strategy-meetings/{m0['id']}").json[
        "minutes_within_1_working_day"] is True

    # May 2026.
    c1 = f.contact("2026-05-01T09:00:00Z", "wmp")
    a_ca = f.start(ca, "2026-05-01T10:00:00Z", due_at="2026-06-25T22:59:59.999999Z")
    d1 = f.decide(c1, "2026-05-05T08:00:00Z", "strategy_discussion", within=(False, True))
    m1 = f.convene(c1, "2026-05-05T09:00:00Z", "2026-05-05T14:00:00Z",
                   ["wmp", "hilltop-gp", "oakfield-primary"])
    f.approve(d1, "2026-05-05T10:00:00Z")
    f.feedback(c1, "2026-05-05T12:00:00Z")
    held = f.hold(m1, "2026-05-06T10:30:00Z", "2026-05-05T14:00:00Z", "s47_enquiry",
                  [("wmp", True), ("hilltop-gp", False)], same_day=True,
                  icpc_due_date="2026-05-27", minutes_recorded_at="2026-05-06T10:00:00Z")
    assert held["minutes_within_1_working_day"] is True
    f.feedback(c1, "2026-05-06T11:00:00Z")  # a second feedback: the contact still counts once

    c4 = f.contact("2026-05-11T10:00:00Z", "hilltop-gp", "given")
    c3 = f.contact("2026-05-12T08:00:00Z", "oakfield-primary", nhs_number=nhs_y)
    d3_first = f.decide(c3, "2026-05-12T09:00:00Z", "nfa", within=(True, True))
    f.approve(d3_first, "2026-05-12T09:30:00Z")  # approved, but superseded below
    f.allocate(c1, "2026-05-12T23:00:00Z", allocated_at="2026-05-12T22:59:59.999999Z")
    d4 = f.decide(c4, "2026-05-13T12:00:00Z", "early_help", within=(False, False))
    f.approve(d4, "2026-05-13T12:30:00Z")
    f.feedback(c4, "2026-05-13T13:00:00Z")
    f.consent(c3, "2026-05-14T09:00:00Z", "overridden")
    d3 = f.decide(c3, "2026-05-14T10:00:00Z", "assessment", within=(False, False),
                  supersedes=d3_first)
    assert d3["approval"] is None

    c2 = f.contact("2026-05-15T14:00:00Z", "wmp")
    u5 = f.request(c4["child_id"], "2026-05-18T09:00:00Z", "step_up")
    assert u5["response_due_at"].startswith("2026-05-26T22:59:59")
    f.decide(c2, "2026-05-18T10:00:00Z", "strategy_discussion", within=(False, True))
    m5 = f.convene(c2, "2026-05-18T11:00:00Z", "2026-05-22T13:00:00Z", ["wmp", "hilltop-gp"])
    a_c2 = f.start(c2, "2026-05-19T09:00:00Z")

    c10 = f.contact("2026-05-20T08:00:00Z", "oakfield-primary", "overridden", nhs_number=nhs_x)
    f.decide(c10, "2026-05-20T09:00:00Z", "assessment", within=(True, True))
    f.start(c10, "2026-05-20T10:00:00Z")
    f.allocate(c10, "2026-05-20T12:00:00Z")
    d1_t = f.request(c10["child_id"], "2026-05-21T10:00:00Z", "step_down")
    f.respond(d1_t, "2026-05-21T15:00:00Z", "refused")
    f.allocate(c3, "2026-05-21T23:00:00Z")  # a moment after the end of its 5th working day
    d2_t = f.request(c10["child_id"], "2026-05-22T10:00:00Z", "step_down")
    f.hold(m5, "2026-05-22T14:00:00Z", "2026-05-22T13:00:00Z", "no_further_action",
           [("wmp", True), ("hilltop-gp", True)], same_day=False)
    f.respond(d2_t, "2026-05-26T10:00:00Z", "accepted")  # child X now open to early help
    f.minutes(m5, "2026-05-26T16:00:00Z", on_time=True)

    # June 2026 (C5 arrives at 23:30Z on 31 May: 00:30 on 1 June in London).
    c5 = f.contact("2026-05-31T23:30:00Z", "wmp")
    a_c0 = f.start(c0, "2026-05-31T23:30:00Z", due_at="2025-07-22T22:59:59.999999Z")
    assert c5["decision_due_at"].startswith("2026-06-02T22:59:59")
    u1 = f.request(c10["child_id"], "2026-06-01T09:00:00Z", "step_up")
    d5 = f.decide(c5, "2026-06-01T09:30:00Z", "strategy_discussion", within=(True, True))
    m2 = f.convene(c5, "2026-06-01T10:00:00Z", "2026-06-03T09:00:00Z", ["wmp"],
                   {"health": "No health agency knows the family; the GP registration lapsed."})
    f.approve(d5, "2026-06-01T11:00:00Z")
    f.withdraw(u1, "2026-06-01T12:00:00Z")
    f.feedback(c5, "2026-06-01T12:00:00Z")
    f.allocate(c1, "2026-06-01T13:00:00Z")  # again: the first allocation is the one judged

    c6 = f.contact("2026-06-02T09:00:00Z", "oakfield-primary", "refused")
    d3_t = f.request(c1["child_id"], "2026-06-02T10:00:00Z", "step_down")
    d6 = f.decide(c6, "2026-06-02T11:00:00Z", "information_advice", within=(True, True))
    f.approve(d6, "2026-06-02T11:30:00Z")
    f.feedback(c6, "2026-06-02T11:30:00Z")
    f.hold(m2, "2026-06-03T12:00:00Z", "2026-06-03T09:00:00Z", "assessment", [("wmp", True)],
           same_day=False)
    f.respond(d3_t, "2026-06-05T10:00:00Z", "accepted")  # C1's child now open to early help
    f.minutes(m2, "2026-06-05T10:00:00Z", on_time=False)
    u2 = f.request(c10["child_id"], "2026-06-05T10:30:00Z", "step_up")
    f.respond(u2, "2026-06-08T09:00:00Z", "refused")

    c9 = f.contact("2026-06-08T09:00:00Z", "oakfield-primary", "given", nhs_number=nhs_y)
    assert c9["child_id"] == c3["child_id"]
    f.decide(c9, "2026-06-08T13:00:00Z", "assessment", within=(True, True))
    f.feedback(c9, "2026-06-08T14:00:00Z")
    u4 = f.request(c1["child_id"], "2026-06-09T10:00:00Z", "step_up")
    f.respond(u4, "2026-06-09T16:00:00Z", "accepted")  # C1's child back with social care
    d4_t = f.request(c1["child_id"], "2026-06-10T10:00:00Z", "step_down")
    assert d4_t["response_due_at"].startswith("2026-06-17T22:59:59")
    f.complete(a_c2, "2026-06-10T12:00:00Z", within=True)

    c11 = f.contact("2026-06-10T20:00:00Z", "hilltop-gp")
    f.decide(c11, "2026-06-10T22:00:00Z", "strategy_discussion", within=(True, True))
    m3 = f.convene(c11, "2026-06-10T23:10:00Z", "2026-06-11T08:00:00Z",
                   ["hilltop-gp", "oakfield-primary"],
                   {"police": "No offence alleged; police will be told of the outcome."})
    f.hold(m3, "2026-06-11T09:00:00Z", "2026-06-11T08:00:00Z", "s47_enquiry",
           [("hilltop-gp", True), ("oakfield-primary", False)], same_day=True,
           icpc_due_date="2026-07-02")
    f.allocate(c11, "2026-06-11T10:00:00Z")
    f.start(c11, "2026-06-11T10:00:00Z")
    f.complete(a_c0, "2026-06-15T09:00:00Z", within=False)

    d5_t = f.request(c2["child_id"], "2026-06-15T10:00:00Z", "step_down")
    f.allocate(c9, "2026-06-16T09:00:00Z")
    f.withdraw(d5_t, "2026-06-16T10:00:00Z")

    c12 = f.contact("2026-06-22T09:00:00Z", "oakfield-primary")
    f.decide(c12, "2026-06-22T13:00:00Z", "strategy_discussion", within=(True, True))
    m4 = f.convene(c12, "2026-06-22T14:00:00Z", "2026-06-23T10:00:00Z", ["oakfield-primary"], {
        "police": "Police have no involvement with this family.",
        "health": "The family is not registered with any health service.",
    })
    for meeting, left_out in ((m2, ["health"]), (m3, ["police"]), (m4, ["health", "police"])):
        assert sorted(meeting["not_invited_reasons"]) == left_out

    c7 = f.contact("2026-06-25T10:00:00Z", "hilltop-gp", "given")
    f.feedback(c7, "2026-06-26T09:00:00Z")  # feedback on a contact still awaiting a decision
    u3 = f.request(c10["child_id"], "2026-06-29T10:00:00Z", "step_up")
    assert u3["response_due_at"].startswith("2026-07-06T22:59:59")
    c8 = f.contact("2026-06-30T10:00:00Z", "wmp", "refused")
    assert c8["decision_due_at"].startswith("2026-07-01T22:59:59")
    f.start(c9, "2026-06-30T22:30:00Z")  # 23:30 on 30 June in London

    # 1 July in London: outside every period checked.
    f.contact("2026-06-30T23:30:00Z", "btp")
    f.request(c11["child_id"], "2026-06-30T23:40:00Z", "step_down")
    f.start(c12, "2026-06-30T23:45:00Z")

    assert a_ca["status"] == "open"

    f.at(READ_AT)
    return f


# ---------------------------------------------------------------------------------------------
# The main period: May and June 2026.

MAY_JUNE = figures(
    contacts(
        received=12,  # C1 C4 C3 C2 C10 (May), C5 C6 C9 C11 C12 C7 C8 (June); not CA, CJ, C0
        decided=10,  # all but C7 and C8
        awaiting_decision=2,  # C7, C8
        overdue=1,  # C7 (due end of 26 Jun); C8 is due at the end of 1 Jul, after 11:00
        # first decisions within 24h: C3 (1h, its first, superseded decision), C10, C5, C6, C9,
        # C11, C12; not C1 (95h), C4 (50h), C2 (68h)
        within_24=ratio(7, 10, 70.0),
        # by decision_due_at: all but C4 (C1 across the May bank holiday, C2 Friday -> Monday)
        within_day=ratio(9, 10, 90.0),
        # hours, sorted: 1 1 2 2 4 4 10 50 68 95 -> median between ranks 5 and 6 = (4 + 4) / 2;
        # p90 at position 0.9 x 9 = 8.1: 68 + 0.1 x (95 - 68) = 70.7
        median=4.0, p90=70.7,
        # current decisions: C3's nfa was superseded by assessment
        by_outcome=outcomes(information_advice=1, early_help=1, assessment=3,
                            strategy_discussion=5),
        # given C4 C9 C7; refused C6 C8; not_sought C1 C2 C5 C11 C12; overridden C3 (changed
        # from not_sought) and C10
        by_consent=consent(given=3, refused=2, not_sought=5, overridden=2),
        # current decision signed off: C1, C4, C5, C6 (C3's approval was of its first decision)
        approved=ratio(4, 10, 40.0),
        # decided with feedback: C1 (twice, counted once), C4, C5, C6, C9; not C7 (undecided)
        feedback_given=ratio(5, 10, 50.0),
    ),
    # C1 C3 C2 C10 C5 C9 C11 C12 (assessment or strategy_discussion now); re-referral: C9 only
    referrals(8, ratio(1, 8, 12.5)),
    meetings(
        convened=5,  # M1 M5 M2 M3 M4 (not M0, convened in April)
        held=4,  # all but M4
        held_same_day=ratio(2, 4, 50.0),  # M1, M3 (same London date); not M5, M2
        attendance=ratio(5, 8, 62.5),  # M1 1/3, M5 2/2, M2 1/1, M3 1/2; M4 not held
        left_out=4,  # M2 health, M3 police, M4 police and health
        minutes=ratio(2, 4, 50.0),  # M1, M5 on time; M2 late; M3 never recorded
        s47=2,  # M1, M3
        icpc=2,  # M0 (14 May, convened in April) and M1 (27 May); M3's falls on 2 July
    ),
    transitions(
        # U5 open overdue, U1 withdrawn, U2 refused (1 day), U4 accepted (0 days), U3 open
        step_up=direction(5, 1, 1, 1, open=2, overdue=1, acceptance=ratio(1, 2, 50.0),
                          median=0.5),  # median of 0 and 1
        # D1 refused (0), D2 accepted (1), D3 accepted (3), D5 withdrawn, D4 open overdue
        step_down=direction(5, 2, 1, 1, open=1, overdue=1, acceptance=ratio(2, 3, 66.7),
                            median=1.0),  # median of 0, 1, 3
    ),
    # AC AC2 AC10 (May), A0 (00:30 on 1 June in London) AC11 AC9 (June); not AC12 (1 July).
    # Completed: AC2 within, A0 late; open: AC (overdue since 25 June), AC10, AC11, AC9
    assessments(6, 2, ratio(1, 2, 50.0), open=4, overdue=1),
    # C1 C3 C2 C10 C5 C9 C11 C12; allocated in time: C1 (at the very end of the day), C10,
    # C11; C3, C9 too late, C2, C5, C12 not yet and past due
    allocation(8, ratio(3, 8, 37.5), late=5),
)

MARCH = EMPTY

APRIL = figures(
    contacts(1, 1, 0, 0, ratio(1, 1, 100.0), ratio(1, 1, 100.0), median=1.0, p90=1.0,  # CA, 1h
             by_outcome=outcomes(strategy_discussion=1), by_consent=consent(not_sought=1),
             approved=ratio(0, 1, 0.0), feedback_given=ratio(0, 1, 0.0)),
    referrals(1, ratio(0, 1, 0.0)),
    # M0: held the day after convening, both invitees attended, minutes on time, s47 with the
    # ICPC due in May (so 0 here)
    meetings(1, 1, ratio(0, 1, 0.0), ratio(2, 2, 100.0), 0, ratio(1, 1, 100.0), s47=1, icpc=0),
    # CA's assessment started on 1 May; CA is unallocated, due by the end of 28 April
    allocation_figures=allocation(1, ratio(0, 1, 0.0), late=1),
)

MAY = figures(
    contacts(
        5, 5, 0, 0,  # C1 C4 C3 C2 C10, all decided
        within_24=ratio(2, 5, 40.0),  # C3 (first decision), C10
        within_day=ratio(4, 5, 80.0),  # all but C4
        median=50.0, p90=84.2,  # 1 1 50 68 95: p90 at 3.6 -> 68 + 0.6 x 27
        by_outcome=outcomes(early_help=1, assessment=2, strategy_discussion=2),
        by_consent=consent(given=1, not_sought=2, overridden=2),
        approved=ratio(2, 5, 40.0),  # C1, C4
        feedback_given=ratio(2, 5, 40.0),  # C1, C4
    ),
    referrals(4, ratio(0, 4, 0.0)),  # C1 C3 C2 C10; C10 not a re-referral
    meetings(
        2, 2,  # M1, M5
        held_same_day=ratio(1, 2, 50.0),  # M1
        attendance=ratio(3, 5, 60.0),  # M1 1/3, M5 2/2
        left_out=0,
        minutes=ratio(2, 2, 100.0),
        s47=1,  # M1
        icpc=2,  # due in May: M0 (14 May), M1 (27 May)
    ),
    transitions(
        step_up=direction(1, open=1, overdue=1),  # U5; nothing answered: null median
        step_down=direction(2, 1, 1, acceptance=ratio(1, 2, 50.0), median=0.5),  # D1 0, D2 1
    ),
    assessments(3, 1, ratio(1, 1, 100.0), open=2, overdue=1),  # AC (overdue), AC2, AC10
    allocation(4, ratio(2, 4, 50.0), late=2),  # C1 C10 in time; C3 late, C2 never
)

JUNE = figures(
    contacts(
        7, 5, 2, 1,  # C5 C6 C9 C11 C12 decided; C7 (overdue), C8 awaiting
        within_24=ratio(5, 5, 100.0),
        within_day=ratio(5, 5, 100.0),
        median=4.0, p90=7.6,  # 2 2 4 4 10: p90 at 3.6 -> 4 + 0.6 x 6
        by_outcome=outcomes(information_advice=1, assessment=1, strategy_discussion=3),
        by_consent=consent(given=2, refused=2, not_sought=3),
        approved=ratio(2, 5, 40.0),  # C5, C6
        feedback_given=ratio(3, 5, 60.0),  # C5, C6, C9 (C7's does not count)
    ),
    referrals(4, ratio(1, 4, 25.0)),  # C5 C9 C11 C12; C9 a re-referral
    meetings(
        3, 2,  # M2 M3 M4 (M3 convened 11 June London); M4 not held
        held_same_day=ratio(1, 2, 50.0),  # M3
        attendance=ratio(2, 3, 66.7),  # M2 1/1, M3 1/2
        left_out=4,
        minutes=ratio(0, 2, 0.0),  # M2 late, M3 missing
        s47=1,  # M3
        icpc=0,  # M3's ICPC is due on 2 July
    ),
    transitions(
        # U1 withdrawn, U2 refused (1), U4 accepted (0), U3 open, not overdue
        step_up=direction(4, 1, 1, 1, open=1, overdue=0, acceptance=ratio(1, 2, 50.0),
                          median=0.5),
        # D3 accepted (3), D4 open overdue, D5 withdrawn
        step_down=direction(3, 1, 0, 1, open=1, overdue=1, acceptance=ratio(1, 1, 100.0),
                            median=3.0),
    ),
    assessments(3, 1, ratio(0, 1, 0.0), open=2, overdue=0),  # A0 late; AC11, AC9 open
    allocation(4, ratio(1, 4, 25.0), late=3),  # C11 in time; C9 late, C5 and C12 never
)

HILLTOP = figures(
    contacts(
        3, 2, 1, 1,  # C4 C11 decided; C7 awaiting and overdue
        within_24=ratio(1, 2, 50.0),  # C11
        within_day=ratio(1, 2, 50.0),  # C11
        median=26.0, p90=45.2,  # 2 50: median 26; p90 at 0.9 -> 2 + 0.9 x 48
        by_outcome=outcomes(early_help=1, strategy_discussion=1),
        by_consent=consent(given=2, not_sought=1),
        approved=ratio(1, 2, 50.0),  # C4
        feedback_given=ratio(1, 2, 50.0),  # C4 (C7 undecided)
    ),
    referrals(1, ratio(0, 1, 0.0)),  # C11
    # M3: same London day, 1 of 2 attended, police left out, no minutes, s47 due 2 July
    meetings(1, 1, ratio(1, 1, 100.0), ratio(1, 2, 50.0), 1, ratio(0, 1, 0.0), s47=1, icpc=0),
    transition_figures=None,
    assessment_figures=assessments(1, open=1),  # AC11
    allocation_figures=allocation(1, ratio(1, 1, 100.0)),  # C11
)

OAKFIELD = figures(
    contacts(
        5, 5, 0, 0,  # C3 C10 C6 C9 C12
        within_24=ratio(5, 5, 100.0),  # C3's first decision came in 1h
        within_day=ratio(5, 5, 100.0),
        median=2.0, p90=4.0,  # 1 1 2 4 4: p90 at 3.6 -> 4 + 0.6 x 0
        by_outcome=outcomes(information_advice=1, assessment=3, strategy_discussion=1),
        by_consent=consent(given=1, refused=1, not_sought=1, overridden=2),
        approved=ratio(1, 5, 20.0),  # C6 only
        feedback_given=ratio(2, 5, 40.0),  # C6, C9
    ),
    referrals(4, ratio(1, 4, 25.0)),  # C3 C10 C9 C12; C9 a re-referral
    meetings(1, 0, left_out=2),  # M4, convened, never held: nothing held, null percents
    transition_figures=None,
    assessment_figures=assessments(2, open=2),  # AC10, AC9
    allocation_figures=allocation(4, ratio(1, 4, 25.0), late=3),  # C10; not C3 C9 C12
)

WMP = figures(
    contacts(
        4, 3, 1, 0,  # C1 C2 C5 decided; C8 awaiting, not yet overdue
        within_24=ratio(1, 3, 33.3),  # C5
        within_day=ratio(3, 3, 100.0),
        median=68.0, p90=89.6,  # 10 68 95: p90 at 1.8 -> 68 + 0.8 x 27
        by_outcome=outcomes(strategy_discussion=3),
        by_consent=consent(refused=1, not_sought=3),
        approved=ratio(2, 3, 66.7),  # C1, C5
        feedback_given=ratio(2, 3, 66.7),  # C1, C5
    ),
    referrals(3, ratio(0, 3, 0.0)),
    meetings(
        3, 3,  # M1 M5 M2
        held_same_day=ratio(1, 3, 33.3),  # M1
        attendance=ratio(4, 6, 66.7),  # M1 1/3, M5 2/2, M2 1/1
        left_out=1,  # M2 health
        minutes=ratio(2, 3, 66.7),  # M1, M5
        s47=1,  # M1
        icpc=2,  # M1 (27 May) and M0 (14 May: CA was a wmp contact, convened in April)
    ),
    transition_figures=None,
    # AC (overdue), AC2 (within), A0 (C0's, 2025: late)
    assessment_figures=assessments(3, 2, ratio(1, 2, 50.0), open=1, overdue=1),
    allocation_figures=allocation(3, ratio(1, 3, 33.3), late=2),  # C1; not C2, C5
)


def test_the_period_as_a_whole(dataset):
    assert_ungrouped(dataset.metrics("from=2026-05-01&to=2026-07-01"),
                     "2026-05-01", "2026-07-01", MAY_JUNE)


def test_by_month_with_an_empty_month_and_the_month_before(dataset):
    response = dataset.metrics("from=2026-03-01&to=2026-07-01&group_by=month")
    assert_grouped(response, "month", "2026-03-01", "2026-07-01", [
        ("2026-03", MARCH), ("2026-04", APRIL), ("2026-05", MAY), ("2026-06", JUNE)])
    # The same months in a period of their own give the same figures.
    response = dataset.metrics("from=2026-05-01&to=2026-07-01&group_by=month")
    assert_grouped(response, "month", "2026-05-01", "2026-07-01",
                   [("2026-05", MAY), ("2026-06", JUNE)])


def test_by_source_agency(dataset):
    # btp sent only CJ (1 July in London): no group. Ordered by code. No transitions.
    response = dataset.metrics("from=2026-05-01&to=2026-07-01&group_by=source_agency")
    assert_grouped(response, "source_agency", "2026-05-01", "2026-07-01", [
        ("hilltop-gp", HILLTOP), ("oakfield-primary", OAKFIELD), ("wmp", WMP)])
    for group in response.json["groups"]:
        assert group["transitions"] is None


def test_months_count_only_their_part_of_a_period_of_london_dates(dataset):
    # 15 May to 10 June inclusive. Records fall in by London date: M3 was convened at 23:10Z
    # on 10 June, which is 11 June in London, so it is out; C11 (21:00 London on 10 June) is in.
    response = dataset.metrics("from=2026-05-15&to=2026-06-11&group_by=month")
    assert response.status_code == 200, response.json
    body = response.json
    assert [group["key"] for group in body["groups"]] == ["2026-05", "2026-06"]
    may, june = body["groups"]
    assert may["contacts"]["received"] == 2  # C2 (15 May), C10; not C1, C4, C3
    assert june["contacts"]["received"] == 4  # C5 C6 C9 C11
    assert may["strategy_meetings"]["convened"] == 1  # M5; not M1 (5 May)
    assert june["strategy_meetings"]["convened"] == 1  # M2; not M3
    assert may["strategy_meetings"]["icpc_due_in_period"] == 1  # M1 (27 May); not M0 (14 May)
    assert june["strategy_meetings"]["icpc_due_in_period"] == 0
    assert may["transitions"]["step_up"]["requested"] == 1  # U5
    assert may["transitions"]["step_down"]["requested"] == 2  # D1 D2
    assert june["transitions"]["step_up"]["requested"] == 3  # U1 U2 U4
    assert june["transitions"]["step_down"]["requested"] == 2  # D3 D4
    assert may["assessments"] == assessments(2, 1, ratio(1, 1, 100.0), open=1)  # AC2, AC10
    assert june["assessments"] == assessments(1, 1, ratio(0, 1, 0.0))  # A0; AC11 on 11 June
    assert may["allocation"] == allocation(2, ratio(1, 2, 50.0), late=1)  # C2 late, C10
    assert june["allocation"] == allocation(3, ratio(1, 3, 33.3), late=2)  # C5 C9 late, C11

    whole = dataset.metrics("from=2026-05-15&to=2026-06-11").json
    assert whole["contacts"]["received"] == 6
    assert whole["strategy_meetings"]["convened"] == 2
    assert whole["strategy_meetings"]["icpc_due_in_period"] == 1


def test_overdue_is_judged_at_the_time_of_the_request(dataset):
    dataset.at("2026-07-02T08:00:00Z")  # C8's decision was due by the end of 1 July
    body = dataset.metrics("from=2026-05-01&to=2026-07-01").json
    assert body["contacts"]["overdue"] == 2  # C7, C8
    assert body["transitions"]["step_up"]["overdue"] == 1  # U5; U3 is due by the end of 6 July
    assert body["transitions"]["step_down"]["overdue"] == 1  # D4
    dataset.at("2026-07-07T08:00:00Z")
    body = dataset.metrics("from=2026-05-01&to=2026-07-01").json
    assert body["transitions"]["step_up"]["overdue"] == 2  # U5, U3
    # Overdue from the instant after the due instant, not at it.
    for read_at, contacts_overdue, step_ups_overdue in (
        ("2026-07-01T22:59:59.999999Z", 1, 1),  # C8's due instant: C7; U5
        ("2026-07-01T23:00:00Z", 2, 1),
        ("2026-07-06T22:59:59.999999Z", 2, 1),  # U3's due instant
        ("2026-07-06T23:00:00Z", 2, 2),
    ):
        dataset.at(read_at)
        body = dataset.metrics("from=2026-05-01&to=2026-07-01").json
        assert body["contacts"]["overdue"] == contacts_overdue, read_at
        assert body["transitions"]["step_up"]["overdue"] == step_ups_overdue, read_at


def test_an_assessment_is_overdue_and_a_referral_unallocated_from_the_instant_after_its_due(
    dataset,
):
    # AC is due by the end of Thu 25 June, C12's allocation by the end of Mon 29 June (London
    # 23:59:59.999999, BST); C3 C2 C5 C9 are late whenever read.
    for read_at, overdue, late in (("2026-06-25T22:59:59.999999Z", 0, 4),
                                   ("2026-06-25T23:00:00Z", 1, 4),
                                   ("2026-06-29T22:59:59.999999Z", 1, 4),
                                   ("2026-06-29T23:00:00Z", 1, 5)):
        dataset.at(read_at)
        body = dataset.metrics("from=2026-05-01&to=2026-07-01").json
        assert body["assessments"]["overdue"] == overdue, read_at
        assert body["allocation"]["unallocated_over_5_working_days"] == late, read_at


def test_a_period_with_nothing_in_it_among_records(dataset):
    # February: nothing received, convened, requested or due (C0 is May 2025).
    assert_ungrouped(dataset.metrics("from=2026-02-01&to=2026-03-01"),
                     "2026-02-01", "2026-03-01", EMPTY)
    response = dataset.metrics("from=2026-02-01&to=2026-03-01&group_by=source_agency")
    assert response.status_code == 200, response.json
    assert response.json["groups"] == []
