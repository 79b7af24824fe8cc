"""Human references such as C-2026-000123: per prefix and year, gap-free within a transaction."""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..db import session
from ..models import ReferenceCounter


def next_reference(prefix, year):
    increment = (
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1)
        .returning(ReferenceCounter.last)
        .execution_options(synchronize_session=False)
    )
    number = session.scalar(increment)
    if number is None:
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(prefix=prefix, year=year, last=1))
            number = 1
        except IntegrityError:  # another transaction started the series first
            number = session.scalar(increment)
    return f"{prefix}-{year}-{number:06d}"
