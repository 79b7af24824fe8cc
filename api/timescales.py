"""Working days and deadlines, judged in Europe/London with England's bank holidays.

"N working days after D" is the N-th working day strictly after the London date of D; the
deadline falls at the end of that London day (its last microsecond, expressed in UTC).
"""

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from flask import current_app

LONDON = ZoneInfo("Europe/London")
END_OF_DAY = time(23, 59, 59, 999999)


def now():
    """The current instant, in UTC, from the app's injected clock."""
    value = current_app.config["CLOCK"]()
    if value.tzinfo is None:
        raise ValueError("the configured CLOCK must return an aware datetime")
    return value.astimezone(UTC)


def london_date(instant):
    return instant.astimezone(LONDON).date()


@lru_cache(maxsize=64)
def _bank_holidays(year, country, subdivision):
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def is_working_day(day, country="GB", subdivision="ENG"):
    return day.weekday() < 5 and day not in _bank_holidays(day.year, country, subdivision)


def working_days_after(day, n, country="GB", subdivision="ENG"):
    """The n-th working day strictly after `day` (a date)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day, country, subdivision):
            counted += 1
    return day


def working_days_between(start, end, country="GB", subdivision="ENG"):
    """Working days d with start < d <= end (dates): 0 when answered the same day."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, country, subdivision):
            count += 1
    return count


def start_of_london_day(day):
    """London midnight starting `day`, in UTC (periods are London dates: from inclusive)."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def a_year_before(day):
    """The same calendar date a year earlier (29 February -> 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def twelve_months_before(instant):
    """London midnight starting the same calendar date a year earlier (29 Feb -> 28 Feb)."""
    return start_of_london_day(a_year_before(london_date(instant)))


def end_of_london_day(day):
    return datetime.combine(day, END_OF_DAY, tzinfo=LONDON).astimezone(UTC)


def deadline_after(instant, working_days, country="GB", subdivision="ENG"):
    """End of the `working_days`-th working day after the London date of `instant`, in UTC."""
    day = working_days_after(london_date(instant), working_days, country, subdivision)
    return end_of_london_day(day)


def configured_deadline_after(instant, working_days):
    config = current_app.config
    return deadline_after(
        instant, working_days, config["HOLIDAY_COUNTRY"], config["HOLIDAY_SUBDIVISION"]
    )

