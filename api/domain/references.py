"""Human references such as C-2026-000123: per prefix and year, gap-free within a transaction."""

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from ..db import session
from ..models import ReferenceCounter

_COUNTERS = ReferenceCounter.__table__
# Built once and run on the session's connection: every contact, child, meeting and transition
# takes a number, and building the statement cost more than running it.
_INCREMENT = (
    update(_COUNTERS)
    .where(_COUNTERS.c.prefix == bindparam("series"), _COUNTERS.c.year == bindparam("series_year"))
    .values(last=_COUNTERS.c.last + 1)
    .returning(_COUNTERS.c.last)
)
_START = insert(_COUNTERS).values(
    prefix=bindparam("series"), year=bindparam("series_year"), last=1
)


def next_reference(prefix, year):
    series = {"series": prefix, "series_year": year}
    number = session.connection().execute(_INCREMENT, series).scalar()
    if number is None:
        try:
            with session.begin_nested():
                session.connection().execute(_START, series)
            number = 1
        except IntegrityError:  # another transaction started the series first
            number = session.connection().execute(_INCREMENT, series).scalar()
    return f"{prefix}-{year}-{number:06d}"
