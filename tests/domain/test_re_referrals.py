"""A referral knows whether its child had another referral in the previous 12 months.

"The previous 12 months" runs from the London midnight starting the same calendar date a year
earlier (29 February -> 28 February), up to the instant of this decision. The window is tested
here on both sides of each edge, and across a leap day; tests/api/test_metrics.py shows the
figure built from the flag.

February and early March are GMT in every year used here, so London times read as UTC.
"""

from datetime import UTC, datetime, timedelta

import pytest

from api.caller import Actor
from api.domain.contacts import record_contact
from api.domain.decisions import record_decision
from schemas.contacts import ContactCreateSchema
from tests.helpers import NHS_AMELIA, NHS_OTHER, contact_body

PRACTITIONER = Actor(sub="pat.practitioner", role="practitioner", service="mash")
RATIONALE = "Police report repeated domestic abuse incidents with the child present at home."
OVERRIDDEN = {"status": "overridden", "reason": "Risk of harm: the mother was not told."}
# Each later contact finds the same child by NHS number and date of birth (a local id alone is
# only a possible match).
AMELIA = {"given_name": "Amelia", "family_name": "Hughes", "date_of_birth": "2019-04-02",
          "nhs_number": NHS_AMELIA, "local_child_id": "LCS-100001"}
BEN = {"given_name": "Ben", "family_name": "Hughes", "date_of_birth": "2017-08-14",
       "nhs_number": NHS_OTHER, "local_child_id": "LCS-100002"}


def at(text):
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def referral(clock):
    """referral(decided_at, ...) -> the decision on a new contact received an hour before it, or
    with supersedes=decision, the decision that replaces that one on its contact."""

    def record(decided_at, outcome="strategy_discussion", children=(AMELIA,), supersedes=None):
        decided_at = at(decided_at)
        clock.set(max(clock(), decided_at + timedelta(minutes=5)))
        extra = {}
        if supersedes is None:
            body = contact_body(received_at=(decided_at - timedelta(hours=1)).isoformat(),
                                children=list(children), consent=OVERRIDDEN)
            contact_id = record_contact(PRACTITIONER, ContactCreateSchema().load(body)).id
        else:
            contact_id = supersedes.contact_id
            extra = {"supersedes": supersedes.id,
                     "supersede_reason": "The school sent more detail."}
        return record_decision(PRACTITIONER, contact_id, {
            "outcome": outcome, "rationale": RATIONALE, "decided_at": decided_at, **extra})

    return record


# ---- inside the 12 months, not only near its end ------------------------------------------------


@pytest.mark.parametrize("earlier", [
    "2026-11-19T10:00:00+00:00",  # the day before
    "2026-06-10T09:00:00+00:00",  # five months before
    "2025-12-20T09:00:00+00:00",  # eleven months before
    "2025-11-21T09:00:00+00:00",  # the last day but one of the window
])
def test_a_referral_for_a_child_referred_anywhere_in_the_previous_12_months_is_a_re_referral(
        referral, earlier):
    referral(earlier)
    assert referral("2026-11-20T10:00:00+00:00").re_referral is True


def test_an_earlier_referral_at_the_london_midnight_starting_the_same_date_a_year_before_counts(
        referral):
    # 20 November 2025 is GMT: London midnight is 00:00 UTC.
    referral("2025-11-20T00:00:00+00:00")
    assert referral("2026-11-20T10:00:00+00:00").re_referral is True


def test_an_earlier_referral_a_moment_before_that_london_midnight_does_not_count(referral):
    referral("2025-11-19T23:59:59.999999+00:00")
    assert referral("2026-11-20T10:00:00+00:00").re_referral is False


def test_the_year_before_is_counted_from_the_london_midnight_in_summer_time_too(referral):
    # 10 June 2025 began at 23:00 UTC on 9 June (BST): a referral at 23:30 UTC is inside.
    referral("2025-06-09T23:30:00+00:00")
    assert referral("2026-06-10T09:00:00+00:00").re_referral is True


def test_a_referral_with_no_other_referral_for_its_child_is_not_a_re_referral(referral):
    assert referral("2026-11-20T10:00:00+00:00").re_referral is False


# ---- 29 February --------------------------------------------------------------------------------


LEAP_DAY_EDGES = [
    pytest.param("2028-02-29T10:00:00+00:00", "2027-02-28T00:00:00+00:00", True,
                 id="the year before 29 February starts on 28 February of the year before"),
    pytest.param("2028-02-29T10:00:00+00:00", "2027-02-27T23:59:59.999999+00:00", False,
                 id="a moment before 28 February of the year before 29 February does not count"),
    pytest.param("2029-03-01T10:00:00+00:00", "2028-02-29T23:59:59.999999+00:00", False,
                 id="the year before 1 March 2029 starts on 1 March 2028, leaving the leap day out"),
    pytest.param("2029-03-01T10:00:00+00:00", "2028-03-01T00:00:00+00:00", True,
                 id="the year before 1 March 2029 takes in 1 March 2028"),
    pytest.param("2028-03-01T10:00:00+00:00", "2027-02-28T23:59:59.999999+00:00", False,
                 id="the year before 1 March 2028 leaves out 28 February 2027"),
    pytest.param("2028-03-01T10:00:00+00:00", "2027-03-01T00:00:00+00:00", True,
                 id="the year before 1 March 2028 starts on 1 March 2027, across the leap day"),
]


@pytest.mark.parametrize("later, earlier, counted", LEAP_DAY_EDGES)
def test_the_year_before_a_date_near_29_february_starts_on_the_same_date_or_28_february(
        referral, later, earlier, counted):
    referral(earlier)
    assert referral(later).re_referral is counted


def test_a_referral_on_29_february_counts_for_one_on_28_february_the_next_year(referral):
    referral("2028-02-29T10:00:00+00:00")
    assert referral("2029-02-28T10:00:00+00:00").re_referral is True


# ---- which earlier decisions count ---------------------------------------------------------------


def test_an_earlier_referral_for_another_child_does_not_count(referral):
    referral("2026-10-01T10:00:00+00:00", children=(BEN,))
    assert referral("2026-11-20T10:00:00+00:00").re_referral is False


def test_an_earlier_referral_for_one_of_several_children_counts(referral):
    referral("2026-10-01T10:00:00+00:00", children=(BEN,))
    assert referral("2026-11-20T10:00:00+00:00", children=(AMELIA, BEN)).re_referral is True


def test_an_earlier_decision_that_was_not_a_referral_does_not_count(referral):
    referral("2026-10-01T10:00:00+00:00", outcome="existing_case")
    assert referral("2026-11-20T10:00:00+00:00").re_referral is False


@pytest.mark.parametrize("outcome", ["assessment", "strategy_discussion"])
def test_an_earlier_decision_of_either_referral_outcome_counts(referral, outcome):
    referral("2026-10-01T10:00:00+00:00", outcome=outcome)
    assert referral("2026-11-20T10:00:00+00:00").re_referral is True


def test_an_earlier_referral_superseded_by_a_decision_that_is_not_one_does_not_count(referral):
    first = referral("2026-10-01T10:00:00+00:00")
    referral("2026-10-01T12:00:00+00:00", outcome="existing_case", supersedes=first)
    assert referral("2026-11-20T10:00:00+00:00").re_referral is False


def test_a_referral_that_supersedes_its_own_contacts_referral_is_not_a_re_referral(referral):
    first = referral("2026-11-20T10:00:00+00:00")
    second = referral("2026-11-20T11:00:00+00:00", outcome="assessment", supersedes=first)
    assert second.re_referral is False


def test_a_referral_decided_after_this_one_does_not_count_though_recorded_first(referral):
    referral("2026-11-20T10:00:00+00:00")
    assert referral("2026-11-19T10:00:00+00:00").re_referral is False


def test_a_referral_decided_at_the_same_instant_is_not_one_before_it(referral):
    referral("2026-11-20T10:00:00+00:00")
    assert referral("2026-11-20T10:00:00+00:00").re_referral is False


def test_a_decision_that_is_not_a_referral_carries_no_re_referral_flag(referral):
    referral("2026-10-01T10:00:00+00:00")
    assert referral("2026-11-20T10:00:00+00:00", outcome="existing_case").re_referral is None
