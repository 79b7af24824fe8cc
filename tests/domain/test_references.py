"""Human references (C-2026-000123): per prefix and year, counting up within the series."""

from sqlalchemy import insert, select

from api.db import session
from api.domain import references
from api.domain.references import next_reference
from api.models import ReferenceCounter


def test_a_new_series_starts_at_1_and_counts_up():
    assert next_reference("Q", 2031) == "Q-2031-000001"
    assert next_reference("Q", 2031) == "Q-2031-000002"
    assert next_reference("Q", 2032) == "Q-2032-000001"


def test_a_series_started_by_another_transaction_meanwhile_is_continued_not_restarted(monkeypatch):
    """The series is not there when this transaction looks, and is there when it goes to start
    it (another transaction took its first numbers in between): the insert conflicts, and the
    number is the next one of the series as the other transaction left it."""

    class SeriesStartedMeanwhile:
        def __getattr__(self, name):
            return getattr(session, name)

        def begin_nested(self):
            # What the other transaction committed just before our insert: numbers 1 to 4.
            session.execute(insert(ReferenceCounter).values(prefix="Q", year=2031, last=4))
            monkeypatch.setattr(references, "session", session)
            return session.begin_nested()

    monkeypatch.setattr(references, "session", SeriesStartedMeanwhile())
    assert next_reference("Q", 2031) == "Q-2031-000005"
    assert session.scalar(select(ReferenceCounter.last).where(
        ReferenceCounter.prefix == "Q", ReferenceCounter.year == 2031)) == 5
    assert next_reference("Q", 2031) == "Q-2031-000006"
