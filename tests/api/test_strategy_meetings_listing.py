"""Reading strategy meetings: one by id (with its ETag), and the list, most recently convened
first, filtered by status and period, in pages."""

import uuid

import pytest

from tests.helpers import (
    MEETINGS, assert_problem, convene, item_ids, record_outcome, strategy_case, utc,
)


def test_an_unknown_meeting_is_404(auditor):
    assert_problem(auditor.get(f"{MEETINGS}/{uuid.uuid4()}"), 404)


def test_a_meetings_etag_changes_when_its_outcome_is_recorded(practitioner, meeting):
    first = practitioner.get(f"{MEETINGS}/{meeting['id']}")
    unchanged = practitioner.get(f"{MEETINGS}/{meeting['id']}",
                                 headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    record_outcome(practitioner, meeting["id"])
    changed = practitioner.get(f"{MEETINGS}/{meeting['id']}")
    assert changed.headers["ETag"] != first.headers["ETag"]


@pytest.fixture
def three_meetings(practitioner, clock):
    """Convened Wed 18, Thu 19 and Fri 20 November; the Thursday one held."""
    clock.set(utc("2026-11-20T10:00:00Z"))
    case = strategy_case(practitioner, received_at="2026-11-18T08:00:00Z",
                         decided_at="2026-11-18T08:30:00Z")
    ids = {}
    for day in ("18", "19", "20"):
        ids[day] = convene(practitioner, case, convened_at=f"2026-11-{day}T09:00:00Z",
                           scheduled_for=f"2026-11-{day}T09:00:00Z")["id"]
    record_outcome(practitioner, ids["19"], held_at="2026-11-19T09:30:00Z")
    return ids


def test_meetings_are_listed_most_recently_convened_first(auditor, three_meetings):
    listed = auditor.get(MEETINGS)
    assert item_ids(listed) == [three_meetings["20"], three_meetings["19"], three_meetings["18"]]
    assert listed.json["next_cursor"] is None


@pytest.mark.parametrize(("query", "days"), [
    ("status=convened", ["20", "18"]),
    ("status=held", ["19"]),
    ("from=2026-11-19T09:00:00Z", ["20", "19"]),  # from is inclusive
    ("to=2026-11-19T09:00:00Z", ["18"]),  # to is exclusive
    ("from=2026-11-19T00:00:00Z&to=2026-11-20T00:00:00Z", ["19"]),
    ("from=2026-11-19T10:00:00%2B01:00", ["20", "19"]),  # 09:00Z: the offset is honoured
    ("status=convened&from=2026-11-19T00:00:00Z", ["20"]),
    ("from=2026-11-21T00:00:00Z", []),
])
def test_meetings_are_filtered_by_status_and_convened_period(auditor, three_meetings, query, days):
    assert item_ids(auditor.get(f"{MEETINGS}?{query}")) == [three_meetings[d] for d in days]


def test_meetings_are_paged_with_an_opaque_cursor(auditor, three_meetings):
    seen = []
    cursor = None
    for _ in range(3):
        page = auditor.get(f"{MEETINGS}?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        seen += item_ids(page)
        cursor = page.json["next_cursor"]
    assert seen == [three_meetings["20"], three_meetings["19"], three_meetings["18"]]
    assert cursor is None

    first_two = auditor.get(f"{MEETINGS}?limit=2")
    rest = auditor.get(f"{MEETINGS}?limit=2&cursor={first_two.json['next_cursor']}")
    assert item_ids(rest) == [three_meetings["18"]]
    assert rest.json["next_cursor"] is None


def test_meetings_convened_at_the_same_instant_are_all_paged_exactly_once(
    practitioner, auditor, case
):
    made = {convene(practitioner, case)["id"] for _ in range(3)}
    seen, cursor = [], None
    while True:
        page = auditor.get(f"{MEETINGS}?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += item_ids(page)
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize(("query", "field"), [
    ("status=cancelled", "status"),
    ("from=2026-11-19T09:00:00", "from"),
    ("to=yesterday", "to"),
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("cursor=not-a-cursor", "cursor"),
])
def test_a_wrong_list_query_is_rejected_naming_the_parameter(auditor, query, field):
    assert_problem(auditor.get(f"{MEETINGS}?{query}"), 422, field)
