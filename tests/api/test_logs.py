"""Structured logs: one JSON object a line, a request id on every line of a request (and in its
X-Request-ID header and problem bodies), and no personal data, ever."""

import json
import uuid

import pytest
from sqlalchemy import text

from api.db import session
from api.routes import contacts as contact_routes
from tests.helpers import assert_problem, contact_body

CONTACTS = "/api/v1/contacts"


def lines_of(lines, request_id):
    return [line for line in lines if line["request_id"] == request_id]


def test_a_request_has_one_summary_line_with_its_route_status_timing_and_actor(police, log_lines):
    contact_id = police.post(CONTACTS, json=contact_body()).get_json()["id"]

    response = police.get(f"{CONTACTS}/{contact_id}?colour=ignored-by-the-log")

    request_id = response.headers["X-Request-ID"]
    [summary] = [line for line in lines_of(log_lines(), request_id)
                 if line["logger"] == "api.requests"]
    assert summary["method"] == "GET"
    assert summary["route"] == "/api/v1/contacts/<uuid:contact_id>"  # the template, not the path
    assert summary["status"] == response.status_code
    assert isinstance(summary["duration_ms"], float) and summary["duration_ms"] >= 0
    assert (summary["actor_sub"], summary["actor_role"]) == ("wmp-case-system", "agency")
    assert summary["level"] == "INFO"
    assert contact_id not in json.dumps(summary) and "colour" not in json.dumps(summary)


def test_every_line_of_a_request_carries_its_id_and_requests_get_different_ids(
    police, log_lines, monkeypatch
):
    def fail(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(contact_routes.contacts, "record_contact", fail)
    failed = police.post(CONTACTS, json=contact_body())
    monkeypatch.undo()
    succeeded = police.get(CONTACTS)

    failed_id, other_id = failed.headers["X-Request-ID"], succeeded.headers["X-Request-ID"]
    assert failed_id != other_id
    uuid.UUID(failed_id)
    lines = log_lines()
    # The 500 wrote two lines (the error, then the summary), both under the request's id.
    assert [line["logger"] for line in lines_of(lines, failed_id)] == ["api.errors", "api.requests"]
    assert assert_problem(failed, 500)["request_id"] == failed_id
    assert [line["status"] for line in lines_of(lines, other_id)] == [200]
    request_lines = [line for line in lines if line["logger"].startswith("api.")]
    assert all(line["request_id"] in (failed_id, other_id) for line in request_lines)


def test_a_valid_incoming_request_id_is_kept(police, log_lines):
    incoming = "partner-trace.2026-11-20:0042_a"

    response = police.get(CONTACTS, headers={"X-Request-ID": incoming})

    assert response.headers["X-Request-ID"] == incoming
    assert [line["status"] for line in lines_of(log_lines(), incoming)] == [200]


@pytest.mark.parametrize("incoming", [
    "", "has spaces", "x" * 129, "<script>alert(1)</script>", "Amelia Hughes 9434765919",
    "line\u00e9break",
])
def test_an_invalid_incoming_request_id_is_replaced_with_one_of_ours(police, incoming):
    response = police.get(CONTACTS, headers={"X-Request-ID": incoming})

    assert response.headers["X-Request-ID"] != incoming
    uuid.UUID(response.headers["X-Request-ID"])


def test_a_problem_body_names_the_request_id_of_its_response(anonymous):
    response = anonymous.get(CONTACTS)

    problem = assert_problem(response, 401)
    assert problem["request_id"] == response.headers["X-Request-ID"]


# ---- no personal data in the logs -----------------------------------------------------------

GIVEN, FAMILY, NHS = "Perpetua", "Wolstenholme-Ackroyd", "9434765919"
DATE_OF_BIRTH = "2018-07-14"
REFERRER, PHONE, EMAIL = "Ottoline Brackenbury", "07700 900123", "o.brackenbury@school.example"
SUMMARY = "Perpetua disclosed bruising from her uncle Bartholomew Quince at the weekend."
PERSONAL = [GIVEN, FAMILY, NHS, "943 476 5919", DATE_OF_BIRTH, REFERRER, PHONE, EMAIL, SUMMARY,
            "Bartholomew", "Quince", "bruising"]


def recognisable_contact(**overrides):
    return contact_body(
        referrer={"name": REFERRER, "role": "Designated safeguarding lead", "phone": PHONE,
                  "email": EMAIL},
        children=[{"given_name": GIVEN, "family_name": FAMILY, "date_of_birth": DATE_OF_BIRTH,
                   "sex": "female", "nhs_number": NHS}],
        concerns={"categories": ["physical_abuse"], "summary": SUMMARY},
        **overrides,
    )


def test_no_personal_data_reaches_the_logs_on_success_or_on_any_error_path(
    api_as, police, log_lines, caplog, monkeypatch
):
    practitioner = api_as("practitioner", sub="priya.mash")
    statuses = []

    def post(body, **kwargs):
        response = police.post(CONTACTS, json=body, **kwargs)
        statuses.append(response.status_code)
        return response

    # Success: recorded, read back, listed, and its child's chronology read.
    created = post(recognisable_contact(), headers={"Idempotency-Key": "pii-1"}).get_json()
    post(recognisable_contact(), headers={"Idempotency-Key": "pii-1"})  # a replay
    practitioner.get(f"{CONTACTS}/{created['id']}")
    practitioner.get(CONTACTS, query_string={"source_agency": "wmp"})
    practitioner.get(f"/api/v1/children/{created['children'][0]['id']}/chronology")
    # 422: the same values in a body that fails validation.
    post(recognisable_contact(channel="pigeon", received_at="2026-11-20T09:00:00"))
    # 422: the same Idempotency-Key with another body.
    post(recognisable_contact(source_reference="PPN-OTHER"), headers={"Idempotency-Key": "pii-1"})

    # 500: a fault whose message carries the data (as a careless f-string would).
    def fail_quoting(actor, data):
        child = data["children"][0]
        raise RuntimeError(f"could not file {child['given_name']} {child['family_name']} "
                           f"{child['nhs_number']}: {data['concerns']['summary']}")

    monkeypatch.setattr(contact_routes.contacts, "record_contact", fail_quoting)
    post(recognisable_contact())

    # 500 from the database, whose message quotes the value (PostgreSQL: invalid input syntax
    # for type integer: "Wolstenholme-Ackroyd"; SQLite casts quietly, so the fault raises).
    def fail_in_the_database(actor, data):
        session.execute(text("SELECT CAST(:v AS integer)"), {"v": data["children"][0]["family_name"]})
        raise RuntimeError(data["children"][0]["family_name"])

    monkeypatch.setattr(contact_routes.contacts, "record_contact", fail_in_the_database)
    post(recognisable_contact())

    # 409 from a uniqueness race, whose message quotes the key (PostgreSQL: Key (v)=(...)).
    def collide(actor, data):
        session.execute(text("CREATE TEMPORARY TABLE probe (v varchar(100) UNIQUE)"))
        for _ in range(2):
            session.execute(text("INSERT INTO probe (v) VALUES (:v)"), {"v": data["concerns"]["summary"]})

    monkeypatch.setattr(contact_routes.contacts, "record_contact", collide)
    post(recognisable_contact())
    monkeypatch.undo()

    assert statuses == [201, 201, 422, 422, 500, 500, 409]
    lines = log_lines()
    written = "\n".join(json.dumps(line) for line in lines)
    # The error paths were logged (so there was something to leak) ...
    assert sum("message withheld" in line.get("exception", "") for line in lines) == 2
    assert any("integrity error" in line["message"] for line in lines)
    # ... and the data was in the exceptions the app logged, just not in what it wrote.
    raised = [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    assert any(FAMILY in message for message in raised)
    messages = "\n".join(record.getMessage() for record in caplog.records)
    for value in PERSONAL:
        assert value not in written, value
        assert value not in messages, value
