"""Working days as properties: checked over 2020-2030 against a naive count, then a fixed table.

The naive count below asks the `holidays` package itself, day by day, so it shares nothing with
api/timescales.py but the calendar.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.timescales import (
    LONDON,
    deadline_after,
    is_working_day,
    working_days_after,
    working_days_between,
)

# Bounded so the suite stays fast; no example database written into the work tree.
bounded = settings(max_examples=200, deadline=None, database=None)

# Counting 30 working days from late 2030 runs into 2031.
ENGLAND = holidays.country_holidays("GB", subdiv="ENG", years=range(2019, 2032))

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=1, max_value=30)
# Any offset a client might send, to the minute, from UTC-12:00 to UTC+14:00.
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.builds(
    lambda moment, offset: moment.replace(tzinfo=UTC).astimezone(offset),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31, 23, 59, 59)),
    offsets,
)


def naive_is_working_day(day):
    return day.weekday() < 5 and day not in ENGLAND


def naive_working_days_after(day, n):
    while n:
        day += timedelta(days=1)
        if naive_is_working_day(day):
            n -= 1
    return day


# ---- properties ------------------------------------------------------------------------------


@bounded
@given(days, counts)
def test_the_nth_working_day_is_never_a_weekend_or_an_england_bank_holiday(day, n):
    result = working_days_after(day, n)
    assert result.weekday() < 5
    assert result not in ENGLAND
    assert is_working_day(result)


@bounded
@given(days, st.integers(min_value=1, max_value=29))
def test_the_nth_working_day_is_strictly_later_for_each_further_day_counted(day, n):
    assert day < working_days_after(day, n) < working_days_after(day, n + 1)


@bounded
@given(days, counts)
def test_the_nth_working_day_agrees_with_a_naive_day_by_day_count(day, n):
    assert working_days_after(day, n) == naive_working_days_after(day, n)


@bounded
@given(instants, counts)
def test_a_deadline_is_the_last_microsecond_of_a_london_working_day_in_utc(instant, n):
    deadline = deadline_after(instant, n)

    assert deadline.tzinfo is UTC
    in_london = deadline.astimezone(LONDON)
    assert in_london.time() == time(23, 59, 59, 999999)
    assert in_london.date() == naive_working_days_after(instant.astimezone(LONDON).date(), n)
    # One microsecond later it is midnight in London: the day has really ended.
    next_moment = (deadline + timedelta(microseconds=1)).astimezone(LONDON)
    assert next_moment.time() == time(0) and next_moment.date() == in_london.date() + timedelta(1)


@bounded
@given(days, counts)
def test_working_days_between_counts_back_what_working_days_after_counted_on(day, n):
    assert working_days_between(day, working_days_after(day, n)) == n


@bounded
@given(days, st.integers(min_value=0, max_value=45))
def test_working_days_between_counts_working_days_after_the_start_up_to_the_end(day, span):
    end = day + timedelta(days=span)
    counted = working_days_between(day, end)
    assert counted == sum(naive_is_working_day(day + timedelta(k)) for k in range(1, span + 1))
    if counted:
        # ...and counting that many on from the start lands on the last working day by the end.
        reached = working_days_after(day, counted)
        assert reached <= end
        assert not any(naive_is_working_day(reached + timedelta(k))
                       for k in range(1, (end - reached).days + 1))


# ---- a fixed table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        # Christmas 2025: Thu 25 and Fri 26 Dec; New Year's Day Thu 1 Jan 2026.
        (date(2025, 12, 23), 2, date(2025, 12, 29)),
        (date(2025, 12, 24), 1, date(2025, 12, 29)),
        (date(2025, 12, 24), 3, date(2025, 12, 31)),
        (date(2025, 12, 24), 4, date(2026, 1, 2)),
        (date(2025, 12, 31), 1, date(2026, 1, 2)),
        # Christmas 2026: Fri 25 Dec, Boxing Day on the Saturday so Mon 28 Dec is its substitute;
        # New Year's Day Fri 1 Jan 2027.
        (date(2026, 12, 23), 1, date(2026, 12, 24)),
        (date(2026, 12, 24), 1, date(2026, 12, 29)),
        (date(2026, 12, 24), 3, date(2026, 12, 31)),
        (date(2026, 12, 24), 4, date(2027, 1, 4)),
        (date(2026, 12, 26), 1, date(2026, 12, 29)),
        # Easter 2026: Good Friday 3 Apr, Easter Monday 6 Apr.
        (date(2026, 4, 2), 1, date(2026, 4, 7)),
        (date(2026, 4, 1), 15, date(2026, 4, 24)),
        # Easter 2027: Good Friday 26 Mar, Easter Monday 29 Mar.
        (date(2027, 3, 25), 1, date(2027, 3, 30)),
        (date(2027, 3, 25), 2, date(2027, 3, 31)),
        # 2022: the late May holiday moved to Thu 2 June, with Fri 3 June for the platinum
        # jubilee; so Mon 30 May was a working day. The Queen's state funeral, Mon 19 Sep.
        (date(2022, 5, 27), 1, date(2022, 5, 30)),
        (date(2022, 6, 1), 1, date(2022, 6, 6)),
        (date(2022, 9, 16), 1, date(2022, 9, 20)),
        # 2023: early May bank holiday Mon 1 May, the coronation Mon 8 May.
        (date(2023, 5, 5), 1, date(2023, 5, 9)),
        (date(2023, 4, 28), 6, date(2023, 5, 10)),
    ],
)
def test_working_days_over_the_holidays_that_catch_people_out(day, n, expected):
    assert working_days_after(day, n) == expected
    assert working_days_between(day, expected) == n


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received_at", "expected"),
    [
        # Clocks go forward at 01:00 GMT on Sun 29 March 2026.
        # The night before: 23:30 GMT on Saturday; due Monday, by then in BST.
        (utc(2026, 3, 28, 23, 30), utc(2026, 3, 30, 22, 59, 59, 999999)),
        # The night after: 00:30 BST on Monday already; due Tuesday.
        (utc(2026, 3, 29, 23, 30), utc(2026, 3, 31, 22, 59, 59, 999999)),
        # Clocks go back at 02:00 BST on Sun 25 October 2026.
        # The night before: 00:30 BST on Sunday; due Monday, by then in GMT.
        (utc(2026, 10, 24, 23, 30), utc(2026, 10, 26, 23, 59, 59, 999999)),
        # The night after: 23:30 GMT, still Sunday; due Monday, not Tuesday.
        (utc(2026, 10, 25, 23, 30), utc(2026, 10, 26, 23, 59, 59, 999999)),
        # A Thursday night in BST is Friday in London: due Monday, not Friday.
        (utc(2026, 10, 22, 23, 30), utc(2026, 10, 26, 23, 59, 59, 999999)),
    ],
)
def test_a_contact_received_at_half_past_eleven_utc_around_a_clock_change(received_at, expected):
    assert deadline_after(received_at, 1) == expected
