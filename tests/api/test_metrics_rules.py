"""Timeliness metrics, one rule at a time on a small front door of its own: percentiles between
ranks, percents to one decimal, the agencies that make groups, an empty database."""

from tests.helpers import (
    EMPTY, NO_RATIO, allocation, assert_grouped, assert_ungrouped, assessments, consent, contacts,
    direction, figures, meetings, outcomes, ratio, referrals, transitions,
)


def test_percentiles_interpolate_between_ranks(front_door):
    f = front_door
    # Mon 2 Nov 2026 (GMT), decided after 1, 2, 4 and 10 hours.
    for agency, hours, outcome in (("wmp", 1, "nfa"), ("btp", 2, "information_advice"),
                                   ("housing", 4, "universal_services"),
                                   ("nspcc", 10, "existing_case")):
        contact = f.contact("2026-11-02T08:00:00Z", agency)
        f.decide(contact, f"2026-11-02T{8 + hours:02d}:00:00Z", outcome, within=(True, True))
    f.at("2026-11-20T10:00:00Z")
    assert_ungrouped(f.metrics("from=2026-11-01&to=2026-12-01"), "2026-11-01", "2026-12-01",
                     figures(
                         contacts(4, 4, 0, 0, ratio(4, 4, 100.0), ratio(4, 4, 100.0),
                                  # 1 2 4 10: median (2 + 4) / 2 = 3; p90 at 0.9 x 3 = 2.7:
                                  # 4 + 0.7 x (10 - 4) = 8.2
                                  median=3.0, p90=8.2,
                                  by_outcome=outcomes(nfa=1, information_advice=1,
                                                      universal_services=1, existing_case=1),
                                  by_consent=consent(not_sought=4),
                                  approved=ratio(0, 4, 0.0), feedback_given=ratio(0, 4, 0.0)),
                         # existing_case is not a referral
                         referrals(0, NO_RATIO),
                     ))


def test_percent_is_rounded_to_one_decimal(front_door):
    f = front_door
    first = f.contact("2026-11-02T08:00:00Z", "wmp")
    second = f.contact("2026-11-02T08:30:00Z", "wmp")
    third = f.contact("2026-11-02T09:00:00Z", "wmp")
    approved = f.decide(first, "2026-11-02T09:00:00Z", "nfa", within=(True, True))  # 1h
    f.decide(second, "2026-11-02T10:30:00Z", "nfa", within=(True, True))  # 2h
    # 30h: not within 24 hours, but by the end of Tue 3 Nov
    f.decide(third, "2026-11-03T15:00:00Z", "nfa", within=(False, True))
    f.approve(approved, "2026-11-03T16:00:00Z")
    f.at("2026-11-20T10:00:00Z")
    contact_figures = f.metrics("from=2026-11-01&to=2026-12-01").json["contacts"]
    assert contact_figures["decided_within_24_hours"] == ratio(2, 3, 66.7)  # 66.666...
    assert contact_figures["approved"] == ratio(1, 3, 33.3)  # 33.333...
    assert contact_figures["decided_within_1_working_day"] == ratio(3, 3, 100.0)
    # 1 2 30: median 2; p90 at 0.9 x 2 = 1.8: 2 + 0.8 x 28 = 24.4
    assert contact_figures["hours_to_first_decision"] == {"median": 2.0, "p90": 24.4}


def test_source_agency_groups_are_the_agencies_with_contacts_received_in_the_period(front_door):
    f = front_door
    # btp's contact came on 30 April; its meeting is convened, held (s47) in May. wmp sent one
    # contact in May. Only wmp is a group; the meeting still counts in the period as a whole.
    earlier = f.contact("2026-04-30T09:00:00Z", "btp")
    f.decide(earlier, "2026-04-30T10:00:00Z", "strategy_discussion", within=(True, True))
    meeting = f.convene(earlier, "2026-05-01T09:00:00Z", "2026-05-01T11:00:00Z",
                        ["btp", "hilltop-gp"])
    # 15 working days after Fri 1 May, skipping Mon 4 and Mon 25 May: Tue 26 May
    f.hold(meeting, "2026-05-01T12:00:00Z", "2026-05-01T11:00:00Z", "s47_enquiry",
           [("btp", True), ("hilltop-gp", True)], same_day=True, icpc_due_date="2026-05-26")
    f.contact("2026-05-11T09:00:00Z", "wmp")
    f.at("2026-05-11T12:00:00Z")

    whole = f.metrics("from=2026-05-01&to=2026-06-01").json
    assert whole["contacts"]["received"] == 1
    assert whole["strategy_meetings"] == meetings(1, 1, ratio(1, 1, 100.0), ratio(2, 2, 100.0), 0,
                                                  ratio(0, 1, 0.0), s47=1, icpc=1)
    response = f.metrics("from=2026-05-01&to=2026-06-01&group_by=source_agency")
    assert_grouped(response, "source_agency", "2026-05-01", "2026-06-01", [
        ("wmp", figures(contacts(1, 0, 1, 0, by_consent=consent(not_sought=1)),
                        transition_figures=None)),
    ])


def test_an_empty_database_gives_zeros_and_null_percents(front_door):
    assert_ungrouped(front_door.metrics("from=2026-01-01&to=2026-02-01"),
                     "2026-01-01", "2026-02-01", EMPTY)
    response = front_door.metrics("from=2025-12-01&to=2026-02-01&group_by=month")
    assert_grouped(response, "month", "2025-12-01", "2026-02-01",
                   [("2025-12", EMPTY), ("2026-01", EMPTY)])


def test_a_record_at_london_midnight_counts_in_the_period_and_the_month_it_starts(front_door):
    """Two referrals, each received, decided, its assessment started and a step-down asked for at
    a London midnight of summer time: 00:00 on 1 June (23:00Z on 31 May) and 00:00 on 1 July
    (23:00Z on 30 June)."""
    f = front_door
    for midnight in ("2026-05-31T23:00:00Z", "2026-06-30T23:00:00Z"):
        contact = f.contact(midnight, "wmp", "overridden")
        f.decide(contact, midnight, "assessment", within=(True, True))
        f.start(contact, midnight)
        f.request(contact["child_id"], midnight, "step_down")
    f.at("2026-07-01T10:00:00Z")

    def one(late):
        return figures(
            contacts(1, 1, 0, 0, ratio(1, 1, 100.0), ratio(1, 1, 100.0), median=0.0, p90=0.0,
                     by_outcome=outcomes(assessment=1), by_consent=consent(overridden=1),
                     approved=ratio(0, 1, 0.0), feedback_given=ratio(0, 1, 0.0)),
            referrals(1, ratio(0, 1, 0.0)),
            transition_figures=transitions(step_down=direction(1, open=1, overdue=late)),
            assessment_figures=assessments(1, open=1),
            allocation_figures=allocation(1, ratio(0, 1, 0.0), late=late))

    # Unallocated and unanswered: June's were due by the end of Mon 8 June; July's on 8 July.
    june, july = one(late=1), one(late=0)
    # June is from its first instant, and July's first instant is not in it.
    assert_ungrouped(f.metrics("from=2026-06-01&to=2026-07-01"), "2026-06-01", "2026-07-01", june)
    assert_ungrouped(f.metrics("from=2026-07-01&to=2026-08-01"), "2026-07-01", "2026-08-01", july)
    # A period inside one month, by month: the one month holds the records.
    assert_grouped(f.metrics("from=2026-06-01&to=2026-07-01&group_by=month"), "month",
                   "2026-06-01", "2026-07-01", [("2026-06", june)])
    # Each record in the month its midnight starts, not the month before.
    assert_grouped(f.metrics("from=2026-05-01&to=2026-08-01&group_by=month"), "month",
                   "2026-05-01", "2026-08-01",
                   [("2026-05", EMPTY), ("2026-06", june), ("2026-07", july)])


def test_an_icpc_due_on_the_first_of_a_month_counts_in_that_month_and_a_period_from_it(
    front_door,
):
    """Two s47 strategy meetings in November 2026 (Greenwich time, so London midnight is UTC
    midnight): their conferences are due 15 working days after, on Mon 23 November and on
    Tue 1 December, the first day of the next month. A third meeting is convened at the very
    start of 1 December."""
    f = front_door
    for day, icpc_due in (("2026-11-02", "2026-11-23"), ("2026-11-10", "2026-12-01")):
        contact = f.contact(f"{day}T08:00:00Z", "wmp")
        f.decide(contact, f"{day}T09:00:00Z", "strategy_discussion", within=(True, True))
        meeting = f.convene(contact, f"{day}T09:30:00Z", f"{day}T11:00:00Z",
                            ["wmp", "hilltop-gp"])
        f.hold(meeting, f"{day}T12:00:00Z", f"{day}T11:00:00Z", "s47_enquiry",
               [("wmp", True), ("hilltop-gp", True)], same_day=True, icpc_due_date=icpc_due)
    contact = f.contact("2026-11-30T15:00:00Z", "wmp")
    f.decide(contact, "2026-11-30T16:00:00Z", "strategy_discussion", within=(True, True))
    f.convene(contact, "2026-12-01T00:00:00Z", "2026-12-01T10:00:00Z", ["wmp", "hilltop-gp"])
    f.at("2026-12-10T10:00:00Z")
    convened = [f.metrics(f"from={first}&to={last}").json["strategy_meetings"]["convened"]
                for first, last in (("2026-11-01", "2026-12-01"), ("2026-12-01", "2027-01-01"))]
    assert convened == [2, 1]

    def due(query):
        body = f.metrics(query).json
        if "groups" in body:
            return [(group["key"], group["strategy_meetings"]["icpc_due_in_period"])
                    for group in body["groups"]]
        return body["strategy_meetings"]["icpc_due_in_period"]

    assert due("from=2026-11-01&to=2026-12-01") == 1  # 23 November; 1 December is not in it
    assert due("from=2026-12-01&to=2027-01-01") == 1  # 1 December
    assert due("from=2026-11-01&to=2027-01-01&group_by=month") == [("2026-11", 1), ("2026-12", 1)]
    assert due("from=2026-11-01&to=2027-01-01&group_by=source_agency") == [("wmp", 2)]
