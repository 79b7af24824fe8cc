"""A decision's timeliness, stored with it: within 24 hours of receipt, and within 1 working day
(by the end of the next working day in London, bank holidays and the clocks' changes included)."""

from datetime import UTC, datetime, timedelta

from tests.helpers import decided, iso, record_contact


def _timeliness(police, practitioner, clock, received_at, decided_at):
    clock.set(decided_at + timedelta(days=1))
    contact = record_contact(police, received_at=iso(received_at))
    decision = decided(practitioner, contact["id"], decided_at=iso(decided_at))
    return contact, decision


def test_a_decision_an_hour_after_receipt_is_within_24_hours_and_1_working_day(
    police, practitioner, clock
):
    received = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # Wednesday
    _, decision = _timeliness(police, practitioner, clock, received, received + timedelta(hours=1))
    assert decision["within_24_hours"] is True
    assert decision["within_1_working_day"] is True


def test_a_decision_exactly_24_hours_after_receipt_is_within_24_hours(police, practitioner, clock):
    received = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    _, decision = _timeliness(police, practitioner, clock, received, received + timedelta(hours=24))
    assert decision["within_24_hours"] is True
    assert decision["within_1_working_day"] is True


def test_a_decision_a_second_over_24_hours_is_not_within_24_hours(police, practitioner, clock):
    received = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    _, decision = _timeliness(police, practitioner, clock, received,
                              received + timedelta(hours=24, seconds=1))
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is True  # Thursday, the next working day


def test_a_christmas_eve_contact_decided_late_on_the_next_working_day_is_on_time_but_over_24_hours(
    police, practitioner, clock
):
    # Thu 24 Dec 2026; Fri 25 Christmas, weekend, Mon 28 the Boxing Day substitute: Tue 29 is due.
    received = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    decided_at = datetime(2026, 12, 29, 23, 0, tzinfo=UTC)  # 23:00 London (GMT)
    contact, decision = _timeliness(police, practitioner, clock, received, decided_at)
    assert contact["decision_due_at"] == "2026-12-29T23:59:59.999999Z"
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is True


def test_a_christmas_eve_contact_decided_after_the_next_working_day_is_late_on_both_counts(
    police, practitioner, clock
):
    received = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    decided_at = datetime(2026, 12, 30, 0, 0, 30, tzinfo=UTC)  # Wed 30 Dec, just after midnight
    _, decision = _timeliness(police, practitioner, clock, received, decided_at)
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is False


def test_a_friday_contact_decided_on_monday_evening_is_within_1_working_day(
    police, practitioner, clock
):
    received = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday
    _, decision = _timeliness(police, practitioner, clock, received,
                              datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is True


def test_a_friday_contact_decided_on_tuesday_is_not_within_1_working_day(
    police, practitioner, clock
):
    received = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    _, decision = _timeliness(police, practitioner, clock, received,
                              datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC))
    assert decision["within_24_hours"] is False
    assert decision["within_1_working_day"] is False


def test_the_working_day_is_judged_by_the_london_date_of_receipt(police, practitioner, clock):
    # 23:30 UTC on Thu 22 Oct 2026 is 00:30 BST on Friday: the decision is due on Monday 26th
    # (clocks go back on Sunday 25th), not on Friday as the UTC date would have it.
    received = datetime(2026, 10, 22, 23, 30, tzinfo=UTC)
    contact, decision = _timeliness(police, practitioner, clock, received,
                                    datetime(2026, 10, 26, 20, 0, tzinfo=UTC))
    assert contact["decision_due_at"] == "2026-10-26T23:59:59.999999Z"
    assert decision["within_1_working_day"] is True
    assert decision["within_24_hours"] is False
