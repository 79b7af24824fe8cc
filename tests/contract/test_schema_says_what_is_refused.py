"""openapi.yaml says what the API refuses, so that a partner's generated client (and schemathesis'
check that valid data is accepted) can know it before sending: the Idempotency-Key's printable
ASCII, the years 1900 to 2999, `to` after `from`, no U+0000 in any string, and text that is only
white space (a non-breaking space included) counted as blank. Each pattern is also checked to
mean what the server does."""

import re
import sys
from pathlib import Path

import pytest
import yaml

from api.transactions import _valid_key
from schemas.common import IN_OUR_YEARS, NOT_BLANK
from tests.helpers import contact_body

# Rules between two fields, or two items of a list, by operation and field (list items as [*]):
# stated in the fields' descriptions, since OpenAPI 3.0's JSON Schema cannot state them. The
# contract fuzz (tests/contract/test_fuzz.py) accepts a 422 for these on data the schema calls
# valid.
RULES_BETWEEN_FIELDS = {
    "POST /api/v1/auth/token": {"body", "client_id", "client_secret", "username", "password"},
    "POST /api/v1/contacts": {"children[*].date_of_birth", "consent.reason"},
    "POST /api/v1/contacts/{contact_id}/consent": {"reason"},
    "POST /api/v1/strategy-meetings": {"invited[*].agency"},
    "POST /api/v1/strategy-meetings/{meeting_id}/outcome": {"attendance[*].agency"},
    "POST /api/v1/strategy-meetings/{meeting_id}/icpc": {
        "held_on", "child_protection_plan", "not_required", "reason",
        "child_protection_plan[*].child_id", "child_protection_plan[*].category_of_abuse"},
    "GET /api/v1/contacts": {"order"},
    "GET /api/v1/exports/decisions": {"to"},
    "GET /api/v1/exports/annex-a/{list}": {"to"},
    "POST /api/v1/jobs/decision-exports": {"to"},
    "POST /api/v1/jobs/annex-a-exports": {"to"},
    "POST /api/v1/jobs/audit-verifications": {"checkpoint", "from_last_verification"},
    "GET /api/v1/children": {"nhs_number", "local_child_id", "family_name", "given_name",
                             "date_of_birth"},
}


SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())
SCHEMAS = SPEC["components"]["schemas"]
EVERY_CHARACTER = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def resolve(schema):
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def fields_of(schema, path="", seen=()):
    """(path, schema) of every property, list item and map value within a request schema."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen = (*seen, schema["$ref"])
        schema = resolve(schema)
    yield path, schema
    for part in schema.get("allOf", []):
        yield from fields_of(part, path, seen)
    if schema.get("type") == "array":
        yield from fields_of(schema["items"], f"{path}[*]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from fields_of(schema["additionalProperties"], f"{path}.*", seen)
    for name, prop in (schema.get("properties") or {}).items():
        yield from fields_of(prop, f"{path}.{name}" if path else name, seen)


def parameters(operation, item):
    for parameter in operation.get("parameters", []) + item.get("parameters", []):
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        yield parameter


def operations():
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield f"{method.upper()} {path}", operation, item


def request_fields():
    """(where, schema) of every query parameter and every field of every request body."""
    for label, operation, item in operations():
        for parameter in parameters(operation, item):
            if parameter["in"] == "query":
                yield f"{label} ?{parameter['name']}", parameter["schema"], parameter
        body = operation.get("requestBody", {}).get("content", {})
        for media in body.values():
            for path, schema in fields_of(media["schema"]):
                yield f"{label} {path}", schema, schema


def test_the_idempotency_key_is_said_to_be_1_to_255_printable_ascii_characters():
    keys = [p for label, operation, item in operations() for p in parameters(operation, item)
            if p["name"] == "Idempotency-Key"]
    assert len(keys) >= 10
    for key in keys:
        schema = key["schema"]
        assert (schema["minLength"], schema["maxLength"]) == (1, 255)
        assert "printable ASCII" in key["description"]
        pattern = re.compile(schema["pattern"])
        # ...and the pattern refuses exactly the characters the server does.
        assert [c for c in EVERY_CHARACTER
                if bool(pattern.search(c)) != _valid_key(c)] == []


def test_every_timestamp_and_period_date_a_request_gives_is_said_to_be_in_1900_to_2999():
    found = 0
    for where, schema, _described in request_fields():
        if schema.get("format") == "date-time" or (
                schema.get("format") == "date" and where.split("?")[-1] in ("from", "to")):
            found += 1
            assert schema.get("pattern") == IN_OUR_YEARS, where
    assert found >= 20
    assert "years 1900 to 2999" in SPEC["info"]["description"]
    years = re.compile(IN_OUR_YEARS)
    assert [y for y in range(0, 10000) if bool(years.search(f"{y:04d}-01-01")) != (
        1900 <= y <= 2999)] == []


@pytest.mark.parametrize("operation", ["/api/v1/exports/decisions",
                                       "/api/v1/exports/annex-a/{list}",
                                       "/api/v1/metrics/timeliness"])
def test_a_period_says_its_to_must_be_after_its_from(operation):
    to = next(p for p in SPEC["paths"][operation]["get"]["parameters"] if p.get("name") == "to")
    assert "after `from`" in to["description"]


def test_every_string_a_request_gives_is_said_to_refuse_nul():
    unsaid = []
    for where, schema, _described in request_fields():
        if schema.get("type") != "string" or schema.get("enum"):
            continue
        if schema.get("format") in ("uuid", "date", "date-time", "email"):
            continue  # a value of the format holds no U+0000
        pattern = schema.get("pattern")
        if pattern is None or re.search(pattern, "a\x00b") or re.search(pattern, "\x00"):
            unsaid.append(where)
    assert unsaid == []


def test_text_is_said_to_count_white_space_a_non_breaking_space_included_as_blank():
    text = [where for where, schema, _ in request_fields() if schema.get("pattern") == NOT_BLANK]
    assert len(text) >= 30, text
    for expected in ("POST /api/v1/contacts children[*].given_name",
                     "POST /api/v1/contacts concerns.summary",
                     "POST /api/v1/strategy-meetings chair",
                     "POST /api/v1/contacts/{contact_id}/decisions rationale"):
        assert expected in text
    blank = re.compile(NOT_BLANK)
    # The pattern refuses exactly the characters str.strip() removes, and U+0000.
    assert [c for c in EVERY_CHARACTER
            if bool(blank.search(c)) == (c.strip() == "" or c == "\x00")] == []
    assert not blank.search("\u00a0\u00a0") and not blank.search(" \t\u2003")
    assert blank.search("\u00a0Amelia\u00a0")


@pytest.mark.parametrize("summary", ["\u00a0", " \u00a0\t", "\u3000", "a\x00b", "\u00a0ok", "ok"])
def test_the_server_refuses_a_text_field_exactly_when_its_pattern_does(api_as, summary):
    concerns = {"categories": ["neglect"], "summary": summary}
    response = api_as("agency").post("/api/v1/contacts", json=contact_body(concerns=concerns))
    said_valid = re.search(NOT_BLANK, summary) is not None
    assert (response.status_code == 201) == said_valid, response.json
    if not said_valid:
        assert "concerns.summary" in response.json["errors"]


def test_each_rule_between_fields_is_in_the_fields_descriptions():
    for label, fields in RULES_BETWEEN_FIELDS.items():
        method, path = label.split(" ", 1)
        operation = SPEC["paths"][path][method.lower()]
        if "requestBody" in operation:
            body = next(iter(operation["requestBody"]["content"].values()))["schema"]
            described = {where: schema for where, schema in fields_of(body)}
        else:
            described = {p["name"]: p for p in parameters(operation, SPEC["paths"][path])}
        for field in fields - {"body"}:
            description = described[field].get("description", "")
            if field.endswith(("].agency", "].child_id")):
                # A list's items the same by one field: said on the list.
                description = described[field.rsplit("[", 1)[0]]["description"]
            assert re.search(r"once|with|after|not both|exactly one|otherwise|only", description,
                             re.IGNORECASE), (
                label, field, description)
