"""A body that is JSON by its grammar but holds a number that cannot be read is a 400 problem,
never a 500: an integer of more than 4,300 digits (Python refuses to convert it, with an error
that is not a JSON one), a float beyond a double's range, and NaN and Infinity (not JSON at all).
Reached without a token, on POST /auth/token, as on every other route that reads a body."""

import json

import pytest

from api.models import Contact
from api.db import session
from tests.helpers import contact_body

TOKEN = "/api/v1/auth/token"
PROBLEM = "application/problem+json"
MALFORMED = "tag:mash-front-door,2026:problems/malformed-json"

UNREADABLE = {
    "an integer of 4,301 digits": "1" * 4301,
    "a negative integer of 5,000 digits": "-" + "9" * 5000,
    "a float beyond a double": "1e999",
    "a negative float beyond a double": "-1.5e400",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
}


def assert_unreadable(response):
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    problem = response.json
    assert problem["type"] == MALFORMED
    assert problem["status"] == 400
    assert "number" in problem["detail"]
    assert problem["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("number", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_number_in_a_token_request_is_a_400_without_a_token(anonymous, number):
    body = '{"username": "priya.mash", "password": ' + number + "}"
    response = anonymous.post(TOKEN, data=body, content_type="application/json")
    assert_unreadable(response)


@pytest.mark.parametrize("number", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_number_nested_in_a_contact_is_a_400_that_records_nothing(api_as, number):
    police = api_as("agency")
    text = contact_body()
    text["concerns"]["summary"] = "__NUMBER__"
    body = json.dumps(text).replace('"__NUMBER__"', number)
    before = session.query(Contact).count()
    response = police.post("/api/v1/contacts", data=body, content_type="application/json",
                           headers={"Idempotency-Key": "unreadable-number"})
    assert_unreadable(response)
    assert session.query(Contact).count() == before


def test_an_integer_of_4300_digits_is_read_and_refused_as_the_wrong_type(anonymous):
    body = '{"username": "priya.mash", "password": ' + "1" * 4300 + "}"
    response = anonymous.post(TOKEN, data=body, content_type="application/json")
    assert response.status_code == 422, response.json
    assert "password" in response.json["errors"]


def test_a_large_float_within_range_is_read_and_refused_as_the_wrong_type(anonymous):
    response = anonymous.post(TOKEN, data='{"username": "priya.mash", "password": 1.7e308}',
                              content_type="application/json")
    assert response.status_code == 422, response.json
    assert "password" in response.json["errors"]


def test_syntactically_broken_json_keeps_its_plain_detail(anonymous):
    response = anonymous.post(TOKEN, data='{"username": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json["type"] == MALFORMED
    assert response.json["detail"] == "The request body is not valid JSON."
