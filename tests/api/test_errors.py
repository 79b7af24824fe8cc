"""Every error is RFC 9457 application/problem+json, and no error leaves a half-written record."""

import json
import logging

import pytest

from api.domain import agencies as agency_rules
from api.routes import contacts as contact_routes
from tests.helpers import assert_problem, contact_body


# ---- 404, 405 -------------------------------------------------------------------------------


# (`/` sends a browser to the console: tests/api/test_console_route.py.)
@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing", "/api/v2/agencies", "/no-such-page",
             "/api/v1/contacts/not-a-uuid"]
)
def test_an_unknown_path_is_a_404_problem(police, path):
    assert_problem(police.get(path), 404)


def test_an_unknown_path_is_a_404_problem_even_without_a_token(anonymous):
    assert_problem(anonymous.get("/api/v1/no-such-thing"), 404)


def test_a_contact_that_does_not_exist_is_a_404_problem(police):
    response = police.get("/api/v1/contacts/00000000-0000-4000-8000-000000000000")

    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/agencies", "GET"),
        ("PUT", "/api/v1/agencies", "GET"),
        ("POST", "/api/v1/health", "GET"),
        ("GET", "/api/v1/auth/token", "POST"),
        ("PATCH", "/api/v1/contacts", "POST"),
    ],
)
def test_a_wrong_method_is_a_405_problem_that_says_what_is_allowed(police, method, path, allowed):
    response = police.open(path, method)

    assert_problem(response, 405)
    methods = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed in methods
    assert method not in methods


# ---- 400, 415, 413 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b'{"received_at": ', b"{'single': 'quotes'}", b"not json at all", b"\xff\xfe\x00{"],
    ids=["truncated", "single quotes", "plain words", "not utf-8"],
)
def test_malformed_json_is_a_400_problem(police, rows, raw):
    before = rows()

    response = police.post(
        "/api/v1/contacts", data=raw, headers={"Content-Type": "application/json"}
    )

    problem = assert_problem(response, 400)
    assert problem["type"].endswith("malformed-json")
    assert rows() == before


def test_malformed_json_to_the_token_endpoint_is_a_400_problem(anonymous):
    response = anonymous.post(
        "/api/v1/auth/token", data=b'{"username": "x",',
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("kwargs"),
    [
        {"data": json.dumps(contact_body()), "headers": {"Content-Type": "text/plain"}},
        {"data": {"received_at": "2026-11-20T09:00:00Z", "source_agency": "wmp"}},
        {"data": "<contact/>", "headers": {"Content-Type": "application/xml"}},
        {"data": json.dumps(contact_body())},  # no Content-Type at all
    ],
    ids=["text/plain", "form", "xml", "no content type"],
)
def test_a_body_that_is_not_json_is_a_415_problem(police, rows, kwargs):
    before = rows()

    response = police.post("/api/v1/contacts", **kwargs)

    problem = assert_problem(response, 415)
    assert "application/json" in problem["detail"]
    assert rows() == before


def test_a_token_request_sent_as_a_form_is_a_415_problem(anonymous):
    response = anonymous.post("/api/v1/auth/token", data={"username": "x", "password": "y"})

    assert_problem(response, 415)


def oversized_contact():
    body = contact_body(
        concerns={"categories": ["neglect"], "summary": "The child was seen alone. " * 80}
    )
    raw = json.dumps(body)
    assert len(raw.encode()) > 2000
    return raw


@pytest.mark.parametrize("idempotency_key", [None, "oversized-1"])
def test_a_body_over_the_size_limit_is_a_413_problem_and_records_nothing(
    app, police, rows, monkeypatch, idempotency_key
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    headers = {"Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    before = rows()

    response = police.post("/api/v1/contacts", data=oversized_contact(), headers=headers)

    assert_problem(response, 413)
    assert rows() == before


def test_a_body_within_the_size_limit_is_accepted(app, police, monkeypatch):
    # The control for the 413 case: the same limit lets a normal contact through.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4000)

    response = police.post("/api/v1/contacts", json=contact_body())

    assert response.status_code == 201, response.json


def test_a_token_request_over_the_size_limit_is_a_413_problem(app, anonymous, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)

    response = anonymous.post(
        "/api/v1/auth/token", json={"username": "x" * 1500, "password": "y" * 1500}
    )

    assert_problem(response, 413)


# ---- 422 ------------------------------------------------------------------------------------


def assert_field_errors(problem):
    errors = problem["errors"]
    assert isinstance(errors, dict) and errors
    for field, messages in errors.items():
        assert isinstance(field, str)
        assert isinstance(messages, list) and messages, field
        assert all(isinstance(message, str) and message for message in messages), field
    return errors


def test_an_invalid_contact_is_a_422_problem_naming_each_field_with_its_reasons(police, rows):
    body = contact_body(channel="pigeon", received_at="2026-11-20T09:00:00")
    body["children"][0]["sex"] = "dragon"
    del body["source_agency"]
    before = rows()

    response = police.post("/api/v1/contacts", json=body)

    problem = assert_problem(response, 422)
    assert problem["type"].endswith("validation")
    errors = assert_field_errors(problem)
    assert {"channel", "received_at", "source_agency", "children[0].sex"} <= set(errors)
    assert "offset" in " ".join(errors["received_at"])
    for field in ("channel", "received_at", "source_agency", "children[0].sex"):
        assert field in problem["detail"]
    assert rows() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [("null", "body"), ("[]", "body"), ('"a string"', "body"), ("{}", "received_at")],
)
def test_a_json_body_of_the_wrong_shape_is_a_422_problem(police, body, field):
    response = police.post(
        "/api/v1/contacts", data=body, headers={"Content-Type": "application/json"}
    )

    assert field in assert_field_errors(assert_problem(response, 422))


def test_an_unknown_field_in_a_body_is_a_422_problem_naming_it(police):
    response = police.post("/api/v1/contacts", json=contact_body(favourite_colour="blue"))

    assert "favourite_colour" in assert_field_errors(assert_problem(response, 422))


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=501", "limit"), ("limit=lots", "limit"),
     ("colour=blue", "colour"), ("cursor=not-a-cursor", "cursor")],
)
def test_a_bad_query_parameter_is_a_422_problem_naming_it(police, query, field):
    response = police.get(f"/api/v1/agencies?{query}")

    assert field in assert_field_errors(assert_problem(response, 422))


# ---- 500 ------------------------------------------------------------------------------------


def test_an_unexpected_error_is_a_generic_500_problem_and_the_write_is_undone(
    police, rows, monkeypatch, caplog
):
    real_record_contact = contact_routes.contacts.record_contact
    written = []

    def record_then_fail(actor, data):
        contact = real_record_contact(actor, data)  # the contact and its audit event are flushed
        written.append(contact.id)
        raise RuntimeError("secret internals")

    monkeypatch.setattr(contact_routes.contacts, "record_contact", record_then_fail)
    before = rows()

    with caplog.at_level(logging.ERROR, logger="api.errors"):
        response = police.post("/api/v1/contacts", json=contact_body())

    problem = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    assert problem["detail"] == "An unexpected error occurred. It has been logged."
    assert written, "the failure should come after a real write, so there is something to undo"
    assert rows() == before
    assert any("secret internals" in str(record.exc_info[1]) for record in caplog.records
               if record.exc_info)


def test_after_an_unexpected_error_the_next_request_succeeds(police, monkeypatch):
    def fail(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(contact_routes.contacts, "record_contact", fail)
    assert_problem(police.post("/api/v1/contacts", json=contact_body()), 500)
    monkeypatch.undo()

    response = police.post("/api/v1/contacts", json=contact_body())

    assert response.status_code == 201, response.json


def test_an_unexpected_error_on_a_read_is_a_generic_500_problem(api_as, monkeypatch):
    def fail(*_args, **_kwargs):
        raise KeyError("secret internals")

    monkeypatch.setattr(agency_rules, "list_agencies", fail)

    response = api_as("practitioner").get("/api/v1/agencies")

    assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)


# ---- the shape holds across a sequence of requests ------------------------------------------


def test_several_requests_in_a_row_each_get_their_own_answer(api_as, anonymous):
    # Errors handled by the JWT library leave no transaction behind to trip the next request.
    auditor = api_as("auditor")
    assert anonymous.get("/api/v1/agencies").status_code == 401
    assert auditor.get("/api/v1/agencies").status_code == 200
    garbage = {"Authorization": "Bearer x"}
    assert anonymous.get("/api/v1/agencies", headers=garbage).status_code == 401
    assert auditor.get("/api/v1/agencies").status_code == 200
    assert auditor.get("/api/v1/audit/verify").status_code == 200
    assert auditor.get("/api/v1/audit/events").status_code == 200
