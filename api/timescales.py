"""Working days and deadlines, judged in Europe/London with England's bank holidays.

"N working days after D" is the N-th working day strictly after the London date of D; the
deadline falls at the end of that London day (its last microsecond, expressed in UTC).

"N working hours after T" counts only the working hours (by default 09:00-17:00 London wall-clock
time) of working days: a start out of hours counts from the next opening (09:00 that day if
before it, else 09:00 on the next working day; exactly 17:00 is out of hours). Wall-clock hours:
the clocks change at night, never inside the working day, so an hour counted is an hour elapsed.
"""

from datetime import UTC, datetime, time, timedelta
from numbers import Real
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


OPENS, CLOSES = time(9), time(17)


def _next_opening(local, opens, closes, country, subdivision):
    """The London wall-clock instant (naive) from which working hours count for `local`."""
    day = local.date()
    if is_working_day(day, country, subdivision):
        if local.time() < opens:
            return datetime.combine(day, opens)
        if local.time() < closes:
            return local
    return datetime.combine(working_days_after(day, 1, country, subdivision), opens)


def working_hours_after(instant, hours, country="GB", subdivision="ENG", opens=OPENS,
                        closes=CLOSES):
    """The instant (UTC) `hours` working hours after `instant`: counted from 09:00 on the next
    working day when `instant` is out of hours; the end of a working day is kept (17:00), not
    rolled to the next morning."""
    if not isinstance(hours, Real) or isinstance(hours, bool) or hours <= 0:
        raise ValueError("hours must be a positive number")
    if not opens < closes:
        raise ValueError("the working day must open before it closes")
    local = instant.astimezone(LONDON).replace(tzinfo=None)
    position = _next_opening(local, opens, closes, country, subdivision)
    remaining = timedelta(hours=hours)
    while True:
        closing = datetime.combine(position.date(), closes)
        if remaining <= closing - position:
            return (position + remaining).replace(tzinfo=LONDON).astimezone(UTC)
        remaining -= closing - position
        position = datetime.combine(
            working_days_after(position.date(), 1, country, subdivision), opens)


def configured_working_hours_after(instant, hours):
    config = current_app.config
    return working_hours_after(
        instant, hours, config["HOLIDAY_COUNTRY"], config["HOLIDAY_SUBDIVISION"],
        time.fromisoformat(config["WORKING_DAY_OPENS"]),
        time.fromisoformat(config["WORKING_DAY_CLOSES"]),
    )


def rag_decision_due_at(received_at, rating):
    """When a contact received at `received_at` and rated `rating` (None: unrated) must be
    decided: red a number of clock hours after receipt, amber and green working days after it
    (the end of that London day), unrated the statutory working days."""
    config = current_app.config
    if rating == "red":
        return received_at.astimezone(UTC) + timedelta(hours=config["RAG_RED_HOURS"])
    days = {"amber": config["RAG_AMBER_WORKING_DAYS"], "green": config["RAG_GREEN_WORKING_DAYS"],
            None: config["DECISION_WORKING_DAYS"]}[rating]
    return configured_deadline_after(received_at, days)


def information_due_at(asked_at, rating):
    """When an information request asked at `asked_at` about a contact rated `rating` (None:
    unrated, as amber) must be answered: red clock hours, amber working hours, green working days."""
    config = current_app.config
    if rating == "red":
        return asked_at.astimezone(UTC) + timedelta(hours=config["INFORMATION_RED_HOURS"])
    if rating == "green":
        return configured_deadline_after(asked_at, config["INFORMATION_GREEN_WORKING_DAYS"])
    return configured_working_hours_after(asked_at, config["INFORMATION_AMBER_WORKING_HOURS"])


def statutory_decision_due_at(received_at):
    return configured_deadline_after(received_at, current_app.config["DECISION_WORKING_DAYS"])
