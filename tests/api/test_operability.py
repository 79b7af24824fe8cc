"""What an operator's tools ask each app server: is it ready to serve (GET /api/v1/health/ready)
and how are its requests doing (GET /metrics, the Prometheus format)."""

import re
from pathlib import Path

from api import limits
from api.migrations_head import head_revision
from api.routes import health
from tests.helpers import CONTACTS, assert_problem, client_as

READY = "/api/v1/health/ready"


def test_a_migrated_server_whose_storage_answers_is_ready(app):
    response = app.test_client().get(READY)

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ready", "database": "ok",
                                   "migration": head_revision(), "rate_limit_storage": "ok"}
    # The head is the last migration file's revision.
    versions = Path(app.root_path).parent / "migrations" / "versions"
    assert head_revision() == max(path.name[:4] for path in versions.glob("0*.py"))


def test_a_database_behind_the_migrations_is_not_ready_and_says_what_to_run(app, monkeypatch):
    monkeypatch.setattr(health, "head_revision", lambda: "9999")

    body = assert_problem(app.test_client().get(READY), 503)

    assert "not 9999" in body["detail"] and "flask db upgrade" in body["detail"]


def test_a_rate_limit_storage_that_does_not_answer_is_not_ready(app, monkeypatch):
    class Silent:
        def check(self):
            raise ConnectionError("Redis is not there")

    limiter = app.extensions[limits.EXTENSION]
    monkeypatch.setattr(type(limiter), "storage", property(lambda self: Silent()))

    body = assert_problem(app.test_client().get(READY), 503)

    assert "RATELIMIT_STORAGE_URI" in body["detail"]


def _count(text, rule, method, status):
    pattern = (r'^mash_http_request_duration_seconds_count\{(?=[^}]*method="%s")'
               r'(?=[^}]*status="%s")(?=[^}]*url_rule="%s")[^}]*\} (\d+(?:\.\d+)?)$'
               % (method, status, re.escape(rule)))
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


def test_requests_are_counted_by_route_never_by_a_records_id(app):
    anonymous = app.test_client()
    practitioner = client_as(app, "practitioner")
    before = anonymous.get("/metrics").get_data(as_text=True)
    missing = "00000000-0000-4000-8000-000000000000"

    practitioner.get(CONTACTS)
    practitioner.get(CONTACTS)
    practitioner.get(f"{CONTACTS}/{missing}")

    response = anonymous.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert _count(text, CONTACTS, "GET", 200) == _count(before, CONTACTS, "GET", 200) + 2
    rule = "/api/v1/contacts/<uuid:contact_id>"
    assert _count(text, rule, "GET", 404) == _count(before, rule, "GET", 404) + 1
    assert missing not in text
