"""A decision's timeliness, stored with it: within 24 hours of receipt, and within 1 working day
(by the end of the next working day in London, bank holidays and the clocks' changes included)."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import decided, iso, record_contact

WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# Thu 24 Dec 2026; Fri 25 Christmas, weekend, Mon 28 the Boxing Day substitute: Tue 29 is due.
CHRISTMAS_EVE = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
# 23:30 UTC on Thu 22 Oct 2026 is 00:30 BST on Friday: the decision is due on Monday 26th
# (clocks go back on Sunday 25th), not on Friday as the UTC date would have it.
LATE_THURSDAY_UTC = datetime(2026, 10, 22, 23, 30, tzinfo=UTC)

TIMELINESS = [
    pytest.param(WEDNESDAY, WEDNESDAY + timedelta(hours=1), "2026-11-19T23:59:59.999999Z",
                 True, True,
                 id="a decision an hour after receipt is within 24 hours and 1 working day"),
    pytest.param(WEDNESDAY, WEDNESDAY + timedelta(hours=24), "2026-11-19T23:59:59.999999Z",
                 True, True, id="a decision exactly 24 hours after receipt is within 24 hours"),
    # Thursday is the next working day.
    pytest.param(WEDNESDAY, WEDNESDAY + timedelta(hours=24, seconds=1),
                 "2026-11-19T23:59:59.999999Z", False, True,
                 id="a decision a second over 24 hours is not within 24 hours"),
    # 23:00 London (GMT) on Tuesday 29th.
    pytest.param(CHRISTMAS_EVE, datetime(2026, 12, 29, 23, 0, tzinfo=UTC),
                 "2026-12-29T23:59:59.999999Z", False, True,
                 id="a Christmas Eve contact decided late on the next working day is on time "
                    "but over 24 hours"),
    # Wednesday 30th, just after midnight.
    pytest.param(CHRISTMAS_EVE, datetime(2026, 12, 30, 0, 0, 30, tzinfo=UTC),
                 "2026-12-29T23:59:59.999999Z", False, False,
                 id="a Christmas Eve contact decided after the next working day is late on both "
                    "counts"),
    pytest.param(FRIDAY, datetime(2026, 11, 23, 23, 30, tzinfo=UTC),
                 "2026-11-23T23:59:59.999999Z", False, True,
                 id="a Friday contact decided on Monday evening is within 1 working day"),
    pytest.param(FRIDAY, datetime(2026, 11, 23, 23, 59, 59, 999999, tzinfo=UTC),
                 "2026-11-23T23:59:59.999999Z", False, True,
                 id="a decision in the last microsecond of the next working day is within 1 working "
                 "day"),
    pytest.param(FRIDAY, datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC),
                 "2026-11-23T23:59:59.999999Z", False, False,
                 id="a Friday contact decided on Tuesday is not within 1 working day"),
    pytest.param(LATE_THURSDAY_UTC, datetime(2026, 10, 26, 20, 0, tzinfo=UTC),
                 "2026-10-26T23:59:59.999999Z", False, True,
                 id="the working day is judged by the London date of receipt"),
]


@pytest.mark.parametrize("received_at, decided_at, due_at, within_24_hours, within_1_working_day",
                         TIMELINESS)
def test_a_decisions_timeliness_is_judged_against_its_contacts_receipt(
    police, practitioner, clock, received_at, decided_at, due_at, within_24_hours,
    within_1_working_day,
):
    clock.set(decided_at + timedelta(days=1))
    contact = record_contact(police, received_at=iso(received_at))
    decision = decided(practitioner, contact["id"], decided_at=iso(decided_at))

    assert contact["decision_due_at"] == due_at
    assert decision["within_24_hours"] is within_24_hours
    assert decision["within_1_working_day"] is within_1_working_day
