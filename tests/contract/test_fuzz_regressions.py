"""Faults contract fuzzing found, kept as plain tests without schemathesis.

The OpenAPI document has no catch-all `default` response, so a status code it does not list for
an operation is a broken promise to partner systems that switch on it; and no request a client
sends may end in a 5xx.
"""

import json
import uuid

import pytest

from tests.contract.case_seed import seed_case
from tests.helpers import assert_problem, contact_body


def documented(spec, method, path):
    return set(spec["paths"][path][method.lower()]["responses"])


def assert_documented(spec, method, path, response, status):
    assert_problem(response, status)
    assert str(status) in documented(spec, method, path), (
        f"{method} {path} answers {status}, which its documented responses do not list"
    )


def test_no_operation_hides_its_errors_behind_a_default_response(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                assert "default" not in operation["responses"], (method, path)


def test_every_operation_documents_that_the_database_may_be_unavailable(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                assert "503" in operation["responses"], (method, path)


def test_convening_a_meeting_on_an_unknown_contact_is_a_documented_404(spec, api_as):
    practitioner = api_as("practitioner")
    response = practitioner.post("/api/v1/strategy-meetings", json={
        "contact_id": str(uuid.uuid4()), "children": [str(uuid.uuid4())], "chair": "Mark Evans",
        "convened_at": "2026-11-20T09:00:00Z", "scheduled_for": "2026-11-20T11:00:00Z",
        "invited": [],
    })
    assert_documented(spec, "POST", "/api/v1/strategy-meetings", response, 404)


def test_convening_a_meeting_before_a_strategy_discussion_is_a_documented_409(spec, api_as):
    police, practitioner = api_as("agency"), api_as("practitioner")
    contact = police.post("/api/v1/contacts", json=contact_body()).json
    response = practitioner.post("/api/v1/strategy-meetings", json={
        "contact_id": contact["id"], "children": [contact["children"][0]["id"]],
        "chair": "Mark Evans", "convened_at": "2026-11-20T09:30:00Z",
        "scheduled_for": "2026-11-20T11:00:00Z", "invited": [],
    })
    assert_documented(spec, "POST", "/api/v1/strategy-meetings", response, 409)


def test_reading_the_decisions_of_an_unknown_contact_is_a_documented_404(spec, api_as):
    response = api_as("auditor").get(f"/api/v1/contacts/{uuid.uuid4()}/decisions")
    assert_documented(spec, "GET", "/api/v1/contacts/{contact_id}/decisions", response, 404)


def test_answering_a_transition_twice_is_a_documented_409(spec, app, api_as):
    seeded = seed_case(app)
    manager = api_as("manager", service="early_help")
    path = f"/api/v1/transitions/{seeded['transition_id']}/response"
    assert manager.post(path, json={"decision": "accepted"}).status_code == 201
    again = manager.post(path, json={"decision": "accepted"})
    assert_documented(spec, "POST", "/api/v1/transitions/{transition_id}/response", again, 409)


def test_a_body_that_is_not_json_is_a_documented_415(spec, api_as):
    response = api_as("agency").post(
        "/api/v1/contacts", data="received_at=now", headers={"Content-Type": "text/plain"}
    )
    assert_documented(spec, "POST", "/api/v1/contacts", response, 415)


def test_a_body_that_is_not_well_formed_json_is_a_documented_400(spec, api_as):
    response = api_as("agency").post(
        "/api/v1/contacts", data='{"received_at": ', headers={"Content-Type": "application/json"}
    )
    assert_documented(spec, "POST", "/api/v1/contacts", response, 400)


def test_monthly_figures_for_a_period_inside_one_month_are_one_group(api_as):
    # Was a 503: the month buckets became a CASE with no WHEN, which no database accepts.
    response = api_as("manager").get(
        "/api/v1/metrics/timeliness?from=2026-11-01&to=2026-11-12&group_by=month"
    )
    assert response.status_code == 200, response.json
    assert [group["key"] for group in response.json["groups"]] == ["2026-11"]


def test_a_nul_character_in_a_body_field_is_a_422_naming_the_field(api_as):
    # Was a 500 on PostgreSQL, whose text cannot hold U+0000 (and stored as sent on SQLite).
    body = contact_body()
    body["children"][0]["given_name"] = "Ame\x00lia"
    response = api_as("agency").post("/api/v1/contacts", json=body)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {
        "children[0].given_name": ["Must not contain the NUL character (U+0000)."]
    }


def test_a_nul_character_in_a_query_argument_is_a_422_naming_it(api_as):
    response = api_as("auditor").get("/api/v1/contacts?source_agency=wm%00p")
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {
        "source_agency": ["Must not contain the NUL character (U+0000)."]
    }


@pytest.mark.parametrize("instant", [
    "0001-01-01T00:00:00+01:00",  # no UTC time a datetime can hold
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00Z",  # no Europe/London time, no deadline
])
def test_a_timestamp_beyond_the_calculable_years_is_a_422_naming_it(api_as, instant):
    # Was a 500: converting to UTC or to London time overflowed.
    recorded = api_as("agency").post("/api/v1/contacts", json=contact_body(received_at=instant))
    assert recorded.status_code == 422, recorded.json
    assert recorded.json["errors"] == {
        "received_at": ["Must be between 1900-01-01T00:00:00Z and 2999-12-31T23:59:59Z."]
    }
    listed = api_as("auditor").get("/api/v1/contacts", query_string={"received_from": instant})
    assert listed.status_code == 422, listed.json
    assert list(listed.json["errors"]) == ["received_from"]


def test_a_period_ending_in_the_year_9999_is_a_422_not_a_500(api_as):
    # Was a 500: the month after December 9999 cannot be built.
    response = api_as("manager").get(
        "/api/v1/metrics/timeliness?from=9999-12-30&to=9999-12-31&group_by=month"
    )
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {"from": ["Must be between 1900-01-01 and 2999-12-31."],
                                       "to": ["Must be between 1900-01-01 and 2999-12-31."]}


def test_a_lone_surrogate_in_a_body_field_is_a_422_naming_the_field(api_as):
    # Was a 500: JSON's "\ud800" escape decodes to a string neither database can encode.
    body = json.dumps(contact_body(source_reference="PPN-1")).replace("PPN-1", "PPN-\\ud800")
    response = api_as("agency").post(
        "/api/v1/contacts", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == ["source_reference"]


@pytest.mark.parametrize("key", [None, "retry-1"])
def test_json_nested_too_deeply_to_parse_is_a_400_with_or_without_idempotency_key(api_as, key):
    # Was a 500: Python's parser gives up with RecursionError, which nothing turned into a 400.
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    response = api_as("agency").post(
        "/api/v1/contacts", data="[" * 50_000 + "]" * 50_000, headers=headers
    )
    assert response.status_code == 400, response.json
    assert response.json["type"].endswith("malformed-json")


def test_a_csv_export_names_its_charset_once(api_as):
    # Was "text/csv; charset=utf-8; charset=utf-8".
    response = api_as("auditor").get(
        "/api/v1/exports/decisions?from=2026-11-01&to=2026-12-01", headers={"Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_body_over_the_size_limit_is_a_documented_413(spec, api_as):
    body = contact_body(concerns={"categories": ["neglect"], "summary": "x" * 300_000})
    response = api_as("agency").post("/api/v1/contacts", json=body)
    assert_documented(spec, "POST", "/api/v1/contacts", response, 413)
