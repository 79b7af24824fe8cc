"""A cursor is opaque, but a client can make one: one holding a number no row can hold (past a
64-bit integer) was sent to the database, which failed (500). It is refused as any cursor the
list did not give out (422 naming `cursor`)."""

import base64
import json

import pytest


def cursor_of(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("value", [10**30, 2**63, -2**63 - 1, True])
def test_a_cursor_holding_a_number_no_row_holds_is_refused(api_as, value):
    response = api_as("auditor").get("/api/v1/audit/events",
                                     query_string={"cursor": cursor_of([value])})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "cursor" in response.json["errors"]


def test_a_cursor_at_the_edge_of_a_64_bit_integer_is_read(api_as):
    response = api_as("auditor").get("/api/v1/audit/events",
                                     query_string={"cursor": cursor_of([2**63 - 1])})
    assert response.status_code == 200, response.json
