"""Who may convene, hold, minute and read strategy meetings: practitioners and managers of any
service; auditors read only; agencies and admins nothing; no one without a token."""

import pytest

from tests.helpers import (
    MEETINGS, assert_problem, convene, item_ids, meeting_body, outcome_body, record_outcome,
)


ENDPOINT_NAMES = ["convene", "list", "read", "outcome", "minutes"]


def _endpoints(meeting_id):
    return [
        ("POST", MEETINGS),
        ("GET", MEETINGS),
        ("GET", f"{MEETINGS}/{meeting_id}"),
        ("POST", f"{MEETINGS}/{meeting_id}/outcome"),
        ("POST", f"{MEETINGS}/{meeting_id}/minutes"),
    ]


def _body_for(path, case):
    if path == MEETINGS:
        return meeting_body(case)
    if path.endswith("/outcome"):
        return outcome_body()
    return {"minutes_recorded_at": "2026-11-20T09:45:00Z"}


@pytest.mark.parametrize("claims", [
    {"role": "agency", "agency": "wmp"},  # the very agency that made the contact
    {"role": "agency", "agency": "oakfield-primary"},
    {"role": "admin"},
], ids=["referring-agency", "other-agency", "admin"])
@pytest.mark.parametrize("endpoint", range(5), ids=ENDPOINT_NAMES)
def test_agencies_and_admins_may_not_touch_strategy_meetings(
    api_as, practitioner, case, meeting, trail, claims, endpoint
):
    outsider = api_as(**claims)
    method, path = _endpoints(meeting["id"])[endpoint]
    before = trail.length()
    body = _body_for(path, case) if method == "POST" else None
    assert_problem(outsider.open(path, method, json=body), 403)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json == meeting


@pytest.mark.parametrize("endpoint", [0, 3, 4], ids=["convene", "outcome", "minutes"])
def test_an_auditor_may_not_write(auditor, practitioner, case, meeting, trail, endpoint):
    method, path = _endpoints(meeting["id"])[endpoint]
    before = trail.length()
    assert_problem(auditor.post(path, json=_body_for(path, case)), 403)
    assert trail.length() == before
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json == meeting


def test_an_auditor_reads_the_list_and_each_meeting(auditor, meeting):
    assert item_ids(auditor.get(MEETINGS)) == [meeting["id"]]
    assert auditor.get(f"{MEETINGS}/{meeting['id']}").json == meeting


@pytest.mark.parametrize("endpoint", range(5), ids=ENDPOINT_NAMES)
def test_without_a_token_every_strategy_meeting_route_is_401(anonymous, case, meeting, endpoint):
    method, path = _endpoints(meeting["id"])[endpoint]
    body = _body_for(path, case) if method == "POST" else None
    refused = anonymous.open(path, method, json=body)
    assert_problem(refused, 401)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("claims", [
    {"role": "practitioner", "sub": "erin", "service": "early_help"},
    {"role": "practitioner", "sub": "sam", "service": "social_care"},
    {"role": "manager", "sub": "mark", "service": "mash"},
    {"role": "manager", "sub": "sara", "service": "social_care"},
], ids=["eh-practitioner", "sc-practitioner", "mash-manager", "sc-manager"])
def test_practitioners_and_managers_convene_hold_and_minute_meetings(api_as, case, clock, claims):
    staff = api_as(**claims)
    meeting = convene(staff, case)
    assert meeting["recorded_by"] == claims["sub"]
    record_outcome(staff, meeting["id"])
    clock.advance(hours=1)
    minuted = staff.post(f"{MEETINGS}/{meeting['id']}/minutes",
                         json={"minutes_recorded_at": "2026-11-20T10:30:00Z"})
    assert minuted.status_code == 201, minuted.json
    assert staff.get(MEETINGS).status_code == 200
    assert staff.get(f"{MEETINGS}/{meeting['id']}").status_code == 200
