"""Every response tells browsers and caches how to treat it: no cache keeps case data or a token
(Cache-Control: no-store; RFC 6749 5.1 for the token, with Pragma: no-cache), no browser takes a
body for something other than its type (X-Content-Type-Options: nosniff), and no URL of ours
leaves with a followed link (Referrer-Policy: no-referrer). Errors included."""

import pytest
from flask import make_response

from api import create_app
from tests.api.test_auth import SECRET, make_account
from tests.helpers import FakeClock, app_config, contact_body

TOKEN = "/api/v1/auth/token"
CONTACTS = "/api/v1/contacts"


def assert_guarded(response):
    assert response.headers["Cache-Control"] == "no-store", response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_token_response_is_never_cached(anonymous):
    make_account("priya.test", "person", "practitioner", service="mash")
    response = anonymous.post(TOKEN, json={"username": "priya.test", "password": SECRET})
    assert response.status_code == 200, response.json
    assert_guarded(response)
    assert response.headers["Pragma"] == "no-cache"


def test_a_refused_token_request_is_not_cached_either(anonymous):
    response = anonymous.post(TOKEN, json={"username": "nobody", "password": "wrong"})
    assert response.status_code == 401
    assert_guarded(response)
    assert response.headers["Pragma"] == "no-cache"


def test_case_data_is_never_cached(api_as):
    police = api_as("agency")
    created = police.post(CONTACTS, json=contact_body())
    assert created.status_code == 201, created.json
    assert_guarded(created)
    read = police.get(f"{CONTACTS}/{created.json['id']}")
    assert read.status_code == 200
    assert_guarded(read)
    assert "ETag" in read.headers  # If-Match still has the ETag to send
    assert "Pragma" not in read.headers
    assert_guarded(police.get(CONTACTS))


def test_a_streamed_export_is_never_cached(api_as):
    response = api_as("auditor").get("/api/v1/exports/decisions",
                                     query_string={"from": "2026-11-01", "to": "2026-12-01"},
                                     headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert_guarded(response)


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("GET", CONTACTS, {}, 401),
    ("GET", "/api/v1/no-such-thing", {}, 404),
    ("POST", TOKEN, {"data": "not json", "content_type": "text/plain"}, 415),
    ("POST", TOKEN, {"data": "{", "content_type": "application/json"}, 400),
    ("DELETE", TOKEN, {}, 405),
])
def test_every_error_carries_them_too(anonymous, method, path, kwargs, status):
    response = anonymous.client.open(path, method=method, **kwargs)
    assert response.status_code == status
    assert_guarded(response)


def test_the_health_check_and_the_openapi_document_carry_them(anonymous):
    assert_guarded(anonymous.get("/api/v1/health"))
    assert_guarded(anonymous.get("/api/v1/openapi.json"))


def test_a_response_that_chooses_its_own_caching_keeps_it():
    """A static page served by this app later (the console) may be cached as it says."""
    app = create_app(app_config("sqlite://", FakeClock()))

    @app.route("/console/app.js")
    def script():
        response = make_response("console.log('hello')")
        response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    response = app.test_client().get("/console/app.js")
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
