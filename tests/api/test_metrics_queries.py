"""GET /api/v1/metrics/timeliness: the queries it refuses (422 naming the field, a period of more
than ten years) and who may read the metrics."""

import pytest

from tests.helpers import METRICS, assert_problem


@pytest.mark.parametrize(("query", "field"), [
    ("to=2026-02-01", "from"),
    ("from=2026-01-01", "to"),
    ("", "from"),
    ("from=2026-13-01&to=2026-02-01", "from"),
    ("from=yesterday&to=2026-02-01", "from"),
    ("from=2026-01-01&to=2026-02-30", "to"),
    ("from=2026-01-01T00:00:00Z&to=2026-02-01", "from"),
    ("from=2026-02-01&to=2026-01-01", "to"),
    ("from=2026-01-01&to=2026-02-01&group_by=week", "group_by"),
    ("from=2026-01-01&to=2026-02-01&group_by=", "group_by"),
])
def test_invalid_queries_are_422_naming_the_field(front_door, query, field):
    response = front_door.metrics(query)
    assert response.status_code == 422, response.json
    assert_problem(response, 422)
    assert field in response.json["errors"], response.json


def test_a_period_that_ends_where_it_starts_is_refused_saying_why(front_door):
    # to must be after from
    assert_problem(front_door.metrics("from=2026-02-01&to=2026-02-01"), 422, "to",
                   says="Must be after from (the period is from inclusive, to exclusive).")


def test_a_period_of_more_than_ten_years_is_refused(front_door):
    assert front_door.metrics("from=2016-01-01&to=2026-01-01").status_code == 200
    response = front_door.metrics("from=2015-01-01&to=2026-01-01")
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) & {"from", "to"}, response.json
    # The limit is 3660 days: 8 January 2026 is 3660 days after 1 January 2016, the 9th 3661.
    assert front_door.metrics("from=2016-01-01&to=2026-01-08").status_code == 200
    assert_problem(front_door.metrics("from=2016-01-01&to=2026-01-09"), 422, "to",
                   says="The period may be at most ten years.")


@pytest.mark.parametrize(("role", "claims", "status"), [
    ("practitioner", {"service": "mash"}, 200),
    ("practitioner", {"service": "early_help"}, 200),
    ("manager", {"service": "social_care"}, 200),
    ("auditor", {}, 200),
    ("agency", {"agency": "wmp"}, 403),
    ("admin", {}, 403),
])
def test_who_may_read_the_metrics(api_as, role, claims, status):
    response = api_as(role, **claims).get(f"{METRICS}?from=2026-01-01&to=2026-02-01")
    assert response.status_code == status, response.json
    if status != 200:
        assert_problem(response, status)


def test_no_token_is_401(anonymous):
    response = anonymous.get(f"{METRICS}?from=2026-01-01&to=2026-02-01")
    assert response.status_code == 401, response.json
    assert_problem(response, 401)
