"""Working days and deadlines: Europe/London dates, England's bank holidays, UTC deadlines."""

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from api.db import session
from api.models import Child
from api.timescales import (
    a_year_before,
    configured_deadline_after,
    deadline_after,
    end_of_london_day,
    information_due_at,
    is_working_day,
    london_date,
    now,
    rag_decision_due_at,
    start_of_london_day,
    twelve_months_before,
    working_days_after,
    working_days_between,
    working_hours_after,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# ---- working days ---------------------------------------------------------------------------


def test_one_working_day_after_a_friday_is_the_monday():
    assert working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 23)


@pytest.mark.parametrize("weekend_day", [date(2026, 11, 21), date(2026, 11, 22)])
def test_one_working_day_after_a_saturday_or_sunday_is_the_monday(weekend_day):
    assert working_days_after(weekend_day, 1) == date(2026, 11, 23)


def test_working_days_are_counted_strictly_after_the_day_itself():
    assert working_days_after(date(2026, 11, 23), 1) == date(2026, 11, 24)
    assert working_days_after(date(2026, 11, 23), 5) == date(2026, 11, 30)


def test_saturday_and_sunday_are_not_working_days():
    assert is_working_day(date(2026, 11, 20))
    assert not is_working_day(date(2026, 11, 21))
    assert not is_working_day(date(2026, 11, 22))


def test_zero_working_days_is_refused():
    with pytest.raises(ValueError):
        working_days_after(date(2026, 11, 20), 0)


def test_the_queens_state_funeral_on_19_september_2022_is_not_a_working_day():
    assert not is_working_day(date(2022, 9, 19))
    assert working_days_after(date(2022, 9, 16), 1) == date(2022, 9, 20)


def test_the_coronation_bank_holiday_on_8_may_2023_is_not_a_working_day():
    assert not is_working_day(date(2023, 5, 8))
    assert working_days_after(date(2023, 5, 5), 1) == date(2023, 5, 9)


def test_christmas_2026_skips_christmas_day_the_weekend_and_the_boxing_day_substitute():
    # 25 Dec 2026 is a Friday; Boxing Day falls on the Saturday, so Monday 28 Dec is its substitute.
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))
    assert working_days_after(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_a_contact_on_christmas_eve_2026_is_due_at_the_end_of_tuesday_29_december():
    assert deadline_after(utc(2026, 12, 24, 16, 0), 1) == datetime(
        2026, 12, 29, 23, 59, 59, 999999, tzinfo=UTC
    )


def test_counting_runs_across_the_new_year_into_next_years_bank_holidays():
    # 1 Jan 2027 is a Friday and a bank holiday.
    assert working_days_after(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_christmas_2027_has_two_substitute_days():
    # 25 and 26 Dec 2027 fall on a weekend: Monday 27 and Tuesday 28 are the substitutes.
    assert working_days_after(date(2027, 12, 24), 1) == date(2027, 12, 29)


def test_fifteen_working_days_across_easter_2026_skip_good_friday_and_easter_monday():
    # ICPC: 15 working days after a strategy discussion on Wed 1 April 2026.
    assert working_days_after(date(2026, 4, 1), 15) == date(2026, 4, 24)
    assert deadline_after(utc(2026, 4, 1, 11, 0), 15) == utc(2026, 4, 24, 22, 59, 59, 999999)


def test_a_scottish_only_holiday_is_a_working_day_in_england():
    # St Andrew's Day, Mon 30 Nov 2026, and the 2 January holiday are Scotland's alone.
    assert is_working_day(date(2026, 11, 30))
    assert is_working_day(date(2026, 1, 2))
    assert working_days_after(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert working_days_after(date(2025, 12, 31), 1) == date(2026, 1, 2)


def test_the_subdivision_decides_which_holidays_count():
    # The same Friday gives a different answer for Scotland: the parameter is really used.
    assert not is_working_day(date(2026, 11, 30), subdivision="SCT")
    assert working_days_after(date(2026, 11, 27), 1, subdivision="SCT") == date(2026, 12, 1)


def test_working_days_between_two_dates_count_the_subdivisions_holidays():
    # Monday 30 November 2026 is St Andrew's Day: a bank holiday in Scotland, not in England.
    assert working_days_between(date(2026, 11, 27), date(2026, 12, 1)) == 2
    assert working_days_between(date(2026, 11, 27), date(2026, 12, 1), subdivision="SCT") == 1


def test_a_configured_deadline_follows_the_configured_subdivisions_holidays(app, monkeypatch):
    monkeypatch.setitem(app.config, "HOLIDAY_SUBDIVISION", "SCT")
    # Received on Friday 27 November 2026: in Scotland Monday 30th is not a working day.
    due = configured_deadline_after(utc(2026, 11, 27, 10, 0), 1)
    assert due == utc(2026, 12, 1, 23, 59, 59, 999999)


# ---- London dates and deadlines -------------------------------------------------------------


def test_half_past_eleven_utc_in_summer_is_already_the_next_day_in_london():
    assert london_date(utc(2026, 6, 14, 23, 30)) == date(2026, 6, 15)


def test_a_contact_just_after_midnight_in_british_summer_time_counts_from_the_london_monday():
    # 23:30Z on Sunday 14 June 2026 is 00:30 BST on Monday 15 June: due at the end of Tue 16 June.
    assert deadline_after(utc(2026, 6, 14, 23, 30), 1) == utc(2026, 6, 16, 22, 59, 59, 999999)


def test_the_offset_a_timestamp_was_sent_with_does_not_change_its_london_date():
    sent_in_cest = datetime(2026, 6, 15, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert deadline_after(sent_in_cest, 1) == utc(2026, 6, 16, 22, 59, 59, 999999)
    sent_in_new_york = datetime(2026, 11, 20, 18, 30, tzinfo=timezone(timedelta(hours=-5)))
    # 23:30Z on Friday 20 November is still Friday in London (GMT).
    assert deadline_after(sent_in_new_york, 1) == utc(2026, 11, 23, 23, 59, 59, 999999)


def test_half_past_eleven_utc_in_winter_is_still_the_same_day_in_london():
    assert london_date(utc(2026, 11, 20, 23, 30)) == date(2026, 11, 20)
    assert deadline_after(utc(2026, 11, 20, 23, 30), 1) == utc(2026, 11, 23, 23, 59, 59, 999999)


def test_the_end_of_a_london_day_follows_the_clock_change_in_spring_and_autumn():
    # Clocks go forward on Sun 29 March 2026 and back on Sun 25 October 2026.
    assert end_of_london_day(date(2026, 3, 28)) == utc(2026, 3, 28, 23, 59, 59, 999999)
    assert end_of_london_day(date(2026, 3, 30)) == utc(2026, 3, 30, 22, 59, 59, 999999)
    assert end_of_london_day(date(2026, 10, 24)) == utc(2026, 10, 24, 22, 59, 59, 999999)
    assert end_of_london_day(date(2026, 10, 26)) == utc(2026, 10, 26, 23, 59, 59, 999999)


def test_a_deadline_over_the_autumn_clock_change_ends_at_midnight_gmt():
    # Received on Friday 23 Oct 2026 in BST; due Monday 26 Oct, by then in GMT.
    assert deadline_after(utc(2026, 10, 23, 12, 0), 1) == utc(2026, 10, 26, 23, 59, 59, 999999)


def test_a_deadline_is_returned_aware_in_utc():
    deadline = deadline_after(datetime(2026, 6, 15, 9, 0, tzinfo=timezone(timedelta(hours=1))), 1)
    assert deadline.tzinfo is UTC
    assert deadline.utcoffset() == timedelta(0)


@pytest.fixture
def server_clock_in_london(monkeypatch):
    """The process's local time zone set to Europe/London, as on a server configured so."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_start_of_a_london_day_is_given_in_utc_whatever_the_servers_time_zone(
        server_clock_in_london):
    start = start_of_london_day(date(2026, 6, 10))
    assert start == utc(2026, 6, 9, 23, 0)
    assert start.utcoffset() == timedelta(0)


@pytest.mark.parametrize("due_at", [
    lambda asked: working_hours_after(asked, 2),
    lambda asked: rag_decision_due_at(asked, "red"),
    lambda asked: information_due_at(asked, "red"),
], ids=["working hours", "a red contact's decision", "a red contact's information"])
def test_a_due_instant_is_given_in_utc_whatever_the_servers_time_zone(
        server_clock_in_london, due_at):
    # In June London is an hour ahead of UTC, and this instant was sent two hours ahead.
    due = due_at(datetime(2026, 6, 10, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    assert due.tzinfo is UTC


# ---- a year before (the re-referral window) ----------------------------------------------------


@pytest.mark.parametrize("day, year_before", [
    (date(2026, 11, 20), date(2025, 11, 20)),
    (date(2028, 2, 29), date(2027, 2, 28)),  # no 29 February in 2027
    (date(2029, 2, 28), date(2028, 2, 28)),
    (date(2029, 3, 1), date(2028, 3, 1)),  # not 29 February 2028: 366 days back
    (date(2028, 3, 1), date(2027, 3, 1)),  # across the leap day: 366 days back
    (date(2027, 1, 1), date(2026, 1, 1)),
])
def test_a_year_before_is_the_same_calendar_date_and_29_february_falls_back_to_28_february(
        day, year_before):
    assert a_year_before(day) == year_before


def test_twelve_months_before_starts_at_the_london_midnight_of_that_date():
    # 23:30Z on 9 June 2026 is already 10 June in London (BST): a year before starts at
    # 00:00 BST on 10 June 2025, 23:00Z on 9 June.
    assert twelve_months_before(utc(2026, 6, 9, 23, 30)) == utc(2025, 6, 9, 23, 0)
    assert twelve_months_before(utc(2028, 2, 29, 18, 0)) == utc(2027, 2, 28, 0, 0)


# ---- the injected clock ---------------------------------------------------------------------


def test_now_returns_the_injected_clock_in_utc(clock):
    clock.set(datetime(2026, 6, 15, 10, 0, tzinfo=timezone(timedelta(hours=1))))
    assert now() == utc(2026, 6, 15, 9, 0)
    assert now().tzinfo is UTC


def test_now_refuses_a_clock_that_returns_a_naive_datetime(clock):
    clock.set(datetime(2026, 6, 15, 10, 0))
    with pytest.raises(ValueError, match="aware"):
        now()


# ---- the UTC timestamp column type ----------------------------------------------------------


def _child(reference, created_at):
    return Child(
        reference=reference, given_name="Test", family_name="Child",
        date_of_birth=date(2020, 1, 1), sex="unknown", created_at=created_at,
    )


def test_a_naive_timestamp_is_refused_by_the_database_layer_and_nothing_is_saved():
    session.add(_child("CH-NAIVE-1", datetime(2026, 11, 20, 10, 0)))
    with pytest.raises(StatementError, match="naive datetime refused"):
        session.flush()
    session.rollback()
    saved = session.scalar(select(func.count()).select_from(Child).where(Child.reference == "CH-NAIVE-1"))
    assert saved == 0


def test_a_timestamp_with_an_offset_is_stored_and_read_back_as_the_same_instant_in_utc():
    sent = datetime(2026, 6, 15, 0, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    session.add(_child("CH-AWARE-1", sent))
    session.flush()
    session.expire_all()
    stored = session.scalar(select(Child.created_at).where(Child.reference == "CH-AWARE-1"))
    assert stored == utc(2026, 6, 14, 23, 30, 0, 123456)
    assert stored.tzinfo is UTC
