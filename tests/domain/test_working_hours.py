"""Working hours (09:00-17:00 London wall-clock on working days): a fixed table across weekends,
bank holidays and both clock changes, the out-of-hours starts, then properties against a naive
minute-by-minute count."""

from datetime import UTC, datetime, time, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.timescales import LONDON, configured_working_hours_after, working_hours_after


def london(*parts):
    return datetime(*parts, tzinfo=LONDON)


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(("start", "hours", "due"), [
    # Inside the working day, within it.
    (london(2026, 11, 18, 10, 0), 4, london(2026, 11, 18, 14, 0)),
    (london(2026, 11, 18, 9, 0), 8, london(2026, 11, 18, 17, 0)),  # the end of a day is kept
    # Carried into the next working day.
    (london(2026, 11, 18, 15, 0), 4, london(2026, 11, 19, 11, 0)),
    # Across a weekend: Friday 15:30 + 4 = Monday 11:30.
    (london(2026, 11, 20, 15, 30), 4, london(2026, 11, 23, 11, 30)),
    # Before 09:00: counts from 09:00 that day.
    (london(2026, 11, 18, 7, 45), 4, london(2026, 11, 18, 13, 0)),
    # After 17:00 and exactly at 17:00: from 09:00 the next working day.
    (london(2026, 11, 18, 18, 30), 4, london(2026, 11, 19, 13, 0)),
    (london(2026, 11, 18, 17, 0), 4, london(2026, 11, 19, 13, 0)),
    (london(2026, 11, 18, 16, 59), 1, london(2026, 11, 19, 9, 59)),
    # On a Saturday (and a Sunday): from 09:00 on Monday.
    (london(2026, 11, 21, 11, 0), 4, london(2026, 11, 23, 13, 0)),
    (london(2026, 11, 22, 23, 59), 8, london(2026, 11, 23, 17, 0)),
    # Bank holidays: Christmas 2026 is a Friday, Boxing Day a Saturday (substitute Monday 28th).
    (london(2026, 12, 24, 16, 0), 4, london(2026, 12, 29, 12, 0)),
    (london(2026, 12, 25, 10, 0), 1, london(2026, 12, 29, 10, 0)),
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
    (london(2027, 3, 25, 16, 0), 2, london(2027, 3, 30, 10, 0)),
    # Whole days: 24 working hours is three working days.
    (london(2026, 11, 18, 9, 0), 24, london(2026, 11, 20, 17, 0)),
    (london(2026, 11, 18, 12, 0), 16, london(2026, 11, 20, 12, 0)),
    # Fractions of an hour.
    (london(2026, 11, 18, 16, 30), 0.75, london(2026, 11, 19, 9, 15)),
])
def test_working_hours_table(start, hours, due):
    assert working_hours_after(start, hours) == due.astimezone(UTC)


def test_the_spring_clock_change_counts_london_wall_clock_hours():
    # Clocks go forward at 01:00 GMT on Sunday 29 March 2026. Friday 27th 15:00 GMT (15:00
    # London) + 4 working hours = Monday 30th 11:00 BST, which is 10:00 UTC.
    assert working_hours_after(utc(2026, 3, 27, 15, 0), 4) == utc(2026, 3, 30, 10, 0)
    # Saturday night, in UTC across the change: still Monday 09:00 BST (08:00 UTC) + 2.
    assert working_hours_after(utc(2026, 3, 28, 23, 30), 2) == utc(2026, 3, 30, 10, 0)


def test_the_autumn_clock_change_counts_london_wall_clock_hours():
    # Clocks go back at 01:00 UTC on Sunday 25 October 2026. Friday 23rd 16:00 BST (15:00 UTC)
    # + 4 = Monday 26th 12:00 GMT = 12:00 UTC.
    assert working_hours_after(utc(2026, 10, 23, 15, 0), 4) == utc(2026, 10, 26, 12, 0)
    # 08:30 UTC on Friday 23rd is 09:30 BST: inside the day.
    assert working_hours_after(utc(2026, 10, 23, 8, 30), 1) == utc(2026, 10, 23, 9, 30)
    # 08:30 UTC on Monday 26th is 08:30 GMT: before opening.
    assert working_hours_after(utc(2026, 10, 26, 8, 30), 1) == utc(2026, 10, 26, 10, 0)


def test_an_instant_with_any_offset_is_read_in_london():
    # 08:00 in New York on a Wednesday is 13:00 London.
    from zoneinfo import ZoneInfo
    start = datetime(2026, 11, 18, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    assert working_hours_after(start, 2) == london(2026, 11, 18, 15, 0).astimezone(UTC)


def test_other_working_hours_can_be_configured():
    start = london(2026, 11, 18, 8, 30)
    assert working_hours_after(start, 2, opens=time(8), closes=time(16)) == \
        london(2026, 11, 18, 10, 30).astimezone(UTC)
    assert working_hours_after(london(2026, 11, 18, 15, 30), 1, opens=time(8), closes=time(16)) == \
        london(2026, 11, 19, 8, 30).astimezone(UTC)


# St Andrew's Day, Monday 30 November 2026, is a bank holiday in Scotland, not in England.
@pytest.mark.parametrize(("start", "hours", "in_scotland", "in_england"), [
    # Starting on the holiday: from 09:00 on the next Scottish working day.
    (london(2026, 11, 30, 10, 0), 1, london(2026, 12, 1, 10, 0), london(2026, 11, 30, 11, 0)),
    # Out of hours on the Friday before: the next opening is after the holiday.
    (london(2026, 11, 27, 18, 0), 1, london(2026, 12, 1, 10, 0), london(2026, 11, 30, 10, 0)),
    # Carried over the weekend and the holiday from inside Friday's hours.
    (london(2026, 11, 27, 16, 0), 2, london(2026, 12, 1, 10, 0), london(2026, 11, 30, 10, 0)),
])
def test_working_hours_skip_the_subdivisions_own_bank_holidays(start, hours, in_scotland, in_england):
    assert working_hours_after(start, hours, "GB", "SCT") == in_scotland.astimezone(UTC)
    assert working_hours_after(start, hours, "GB", "ENG") == in_england.astimezone(UTC)


def test_configured_working_hours_follow_the_configured_day_and_subdivision(app, monkeypatch):
    monkeypatch.setitem(app.config, "HOLIDAY_SUBDIVISION", "SCT")
    monkeypatch.setitem(app.config, "WORKING_DAY_OPENS", "08:00")
    monkeypatch.setitem(app.config, "WORKING_DAY_CLOSES", "16:00")
    # Friday 27 November 2026 15:30: half an hour before closing, then the weekend and St
    # Andrew's Day; the other half hour from 08:00 on Tuesday.
    assert configured_working_hours_after(london(2026, 11, 27, 15, 30), 1) == \
        london(2026, 12, 1, 8, 30).astimezone(UTC)
    # Before the configured opening: counted from 08:00.
    assert configured_working_hours_after(london(2026, 12, 1, 7, 0), 2) == \
        london(2026, 12, 1, 10, 0).astimezone(UTC)


@pytest.mark.parametrize("hours", [0, -1, True, "4"])
def test_hours_must_be_a_positive_number(hours):
    with pytest.raises(ValueError):
        working_hours_after(london(2026, 11, 18, 10, 0), hours)


@pytest.mark.parametrize(("opens", "closes"), [(time(9), time(9)), (time(17), time(9))])
def test_a_working_day_must_open_before_it_closes(opens, closes):
    # A day that opens as it closes has no working hours: refused, not counted for ever.
    with pytest.raises(ValueError, match="open before it closes"):
        working_hours_after(london(2026, 11, 18, 10, 0), 1, opens=opens, closes=closes)


# ---- properties --------------------------------------------------------------------------------

ENGLAND = holidays.country_holidays("GB", subdiv="ENG", years=range(2019, 2032))
bounded = settings(max_examples=150, deadline=None, database=None)
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 1)).map(
    lambda moment: moment.replace(second=0, microsecond=0, tzinfo=UTC))


def _in_hours(local):
    return (local.weekday() < 5 and local.date() not in ENGLAND
            and time(9) <= local.time() < time(17))


def naive_working_hours_after(instant, hours):
    """Step a minute at a time in London wall-clock time, counting minutes inside working hours."""
    local = instant.astimezone(LONDON).replace(tzinfo=None)
    minutes = hours * 60
    while True:
        if minutes == 0 and _in_hours(local - timedelta(minutes=1)):
            return local.replace(tzinfo=LONDON).astimezone(UTC)
        if _in_hours(local):
            minutes -= 1
        local += timedelta(minutes=1)
        if minutes == 0:
            return local.replace(tzinfo=LONDON).astimezone(UTC)


@settings(max_examples=40, deadline=None, database=None)
@given(instants, st.integers(min_value=1, max_value=20))
def test_agrees_with_a_minute_by_minute_count(instant, hours):
    assert working_hours_after(instant, hours) == naive_working_hours_after(instant, hours)


@bounded
@given(instants, st.integers(min_value=1, max_value=40))
def test_the_due_time_is_inside_working_hours_or_at_closing(instant, hours):
    due = working_hours_after(instant, hours).astimezone(LONDON)
    assert due.weekday() < 5 and due.date() not in ENGLAND
    assert time(9) < due.time() <= time(17)
    assert due > instant


@bounded
@given(instants, st.integers(min_value=1, max_value=20), st.integers(min_value=1, max_value=20))
def test_hours_add_up(instant, a, b):
    assert working_hours_after(working_hours_after(instant, a), b) == \
        working_hours_after(instant, a + b)


@bounded
@given(instants, st.integers(min_value=1, max_value=8))
def test_eight_hours_more_is_one_working_day_later(instant, hours):
    # Outside a clock change's night, the same wall-clock time on the next working day.
    due = working_hours_after(instant, hours).astimezone(LONDON)
    later = working_hours_after(instant, hours + 8).astimezone(LONDON)
    assert later.time() == due.time()
    assert later.date() > due.date()
    assert all(not (d.weekday() < 5 and d not in ENGLAND)
               for d in (due.date() + timedelta(days=k) for k in range(1, (later.date() - due.date()).days)))
