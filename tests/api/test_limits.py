"""Limits: request body size (413), page size (422), rate limits per caller (429), and the
statement timeout on PostgreSQL (503)."""

import http.client
import io
import json
import threading
import time

import pytest
import yaml
from sqlalchemy import event, func, select, text
from werkzeug.serving import make_server

from api import create_app
from api.cli import upgrade
from api.config import PROJECT_ROOT
from api.db import session
from api.domain import agencies as agency_rules
from api.models import AuditEvent, Contact
from api.routes import contacts as contact_routes
from tests.helpers import (
    ApiClient, FakeClock, app_config, assert_problem, build_app, contact_body, only_on,
    own_database, token_for,
)

CONTACTS = "/api/v1/contacts"
AGENCIES = "/api/v1/agencies"


def stored(app):
    """(contacts, audit events) in `app`'s own database, read past any session."""
    with app.extensions["db"].engine.connect() as connection:
        return (
            connection.scalar(select(func.count()).select_from(Contact)),
            connection.scalar(select(func.count()).select_from(AuditEvent)),
        )


def oversized_contact(min_bytes):
    summary = "The child was seen alone. " * (min_bytes // 20)
    raw = json.dumps(contact_body(concerns={"categories": ["neglect"], "summary": summary}))
    assert len(raw) > min_bytes
    return raw.encode()


# ---- body size: 413 -------------------------------------------------------------------------


@pytest.fixture
def small_bodies(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)


def chunked(client, raw, content_type="application/json"):
    """POST `raw` as a WSGI server hands over a chunked body: no Content-Length, the stream ends
    where the body ends (`wsgi.input_terminated`, as gunicorn and werkzeug's server set it)."""
    return client.post(
        CONTACTS,
        input_stream=io.BytesIO(raw),
        headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_over_the_size_limit_is_a_413_problem_and_records_nothing(
    police, rows, small_bodies
):
    before = rows()

    response = chunked(police, oversized_contact(2000))

    assert_problem(response, 413)
    assert rows() == before


def test_a_chunked_body_within_the_size_limit_is_accepted(app, police, monkeypatch):
    # The control: the same route and transfer encoding, a limit the contact fits in.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4000)

    response = chunked(police, json.dumps(contact_body()).encode())

    assert response.status_code == 201, response.get_json()


def test_a_chunked_body_that_is_not_json_is_a_415_problem(police, rows):
    before = rows()

    response = chunked(police, json.dumps(contact_body()).encode(), content_type="text/plain")

    assert_problem(response, 415)
    assert rows() == before


def test_a_content_length_over_the_limit_is_a_413_whatever_the_body(police, rows, small_bodies):
    before = rows()

    response = police.post(CONTACTS, data=b"{}", headers={"Content-Type": "application/json"},
                           environ_overrides={"CONTENT_LENGTH": "5000"})

    assert_problem(response, 413)
    assert rows() == before


def test_a_body_longer_than_its_content_length_is_read_only_as_far_as_declared(police, rows):
    # A lying Content-Length cannot make the server read more than it declared: the JSON read
    # is cut short, so the request is malformed (400), not a record, and never a 5xx.
    raw = json.dumps(contact_body()).encode()
    before = rows()

    response = police.post(CONTACTS, data=raw, headers={"Content-Type": "application/json"},
                           environ_overrides={"CONTENT_LENGTH": "100"})

    problem = assert_problem(response, 400)
    assert problem["type"].endswith("malformed-json")
    assert rows() == before


@pytest.fixture
def served(fresh_database_url):
    """The app behind werkzeug's threaded HTTP server on a database of its own: real sockets,
    real chunked transfer encoding."""
    app = build_app(fresh_database_url, MAX_CONTENT_LENGTH=1000)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, server.server_port
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["db"].engine.dispose()


def post_chunked_over_http(port, token, raw, chunk_size=256):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("POST", CONTACTS)
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        try:
            for start in range(0, len(raw), chunk_size):
                piece = raw[start:start + chunk_size]
                connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            connection.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the rest of the body arrived
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), json.loads(response.read())
    finally:
        connection.close()


def test_a_chunked_body_over_the_limit_sent_over_http_is_a_413_problem(served):
    app, port = served
    token = token_for(app, "agency", agency="wmp")
    before = stored(app)

    status, content_type, body = post_chunked_over_http(port, token, oversized_contact(3000))

    assert status == 413
    assert content_type == "application/problem+json"
    assert body["status"] == 413
    assert stored(app) == before
    # The control: a contact within the limit, chunked the same way, is recorded.
    status, _, body = post_chunked_over_http(port, token, json.dumps(contact_body()).encode())
    assert (status, stored(app)[0]) == (201, before[0] + 1), body


# ---- page size: 422 naming `limit` -----------------------------------------------------------


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def list_operations():
    """Every GET in the committed contract whose JSON answer is a page (`items`, `next_cursor`)."""
    spec = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())
    found = []
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if not operation:
            continue
        content = operation["responses"].get("200", {}).get("content", {})
        schema = _resolve(spec, content.get("application/json", {}).get("schema", {}))
        if {"items", "next_cursor"} <= set(schema.get("properties", {})):
            found.append((path, operation))
    return found


LIST_OPERATIONS = list_operations()


def test_the_contract_has_the_lists_this_test_walks():
    paths = {path for path, _ in LIST_OPERATIONS}
    assert {"/api/v1/contacts", "/api/v1/agencies", "/api/v1/transitions",
            "/api/v1/strategy-meetings", "/api/v1/audit/events", "/api/v1/audit/access",
            "/api/v1/exports/decisions"} <= paths


def _caller_for(operation):
    description = operation.get("description", "")
    roles = [part.strip(" `.") for part in description.split("Roles:", 1)[-1].split(",")]
    return "auditor" if "auditor" in roles else roles[0]


SAMPLE_BY_FORMAT = {"date": "2026-11-01", "date-time": "2026-11-01T00:00:00Z",
                    "uuid": "00000000-0000-4000-8000-000000000000"}
SAMPLE_BY_NAME = {"from": "2026-10-01", "to": "2026-11-01"}  # a period: from before to
# Lists that need one of several parameters (none of them required alone): one given.
ONE_OF = {"/api/v1/children": {"local_child_id": "LC-1"}}


def _concrete(path, operation):
    """The path with its parameters filled in, and the other required query parameters."""
    query = dict(ONE_OF.get(path, {}))
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        value = SAMPLE_BY_NAME.get(parameter["name"]) or schema.get(
            "enum", [SAMPLE_BY_FORMAT.get(schema.get("format"), "x")])[0]
        if parameter.get("in") == "path":
            path = path.replace("{" + parameter["name"] + "}", value)
        elif parameter.get("in") == "query" and parameter.get("required"):
            query[parameter["name"]] = value
    return path, query


@pytest.mark.parametrize(("path", "operation"), LIST_OPERATIONS,
                         ids=[path for path, _ in LIST_OPERATIONS])
def test_every_list_caps_its_page_at_500(api_as, path, operation):
    limit = next(p for p in operation["parameters"] if p.get("name") == "limit")
    assert limit["in"] == "query"
    assert limit["schema"]["maximum"] == 500
    client = api_as(_caller_for(operation))
    url, query = _concrete(path, operation)

    too_many = client.get(url, query_string={**query, "limit": 501})
    at_most = client.get(url, query_string={**query, "limit": 500})

    problem = assert_problem(too_many, 422)
    assert list(problem["errors"]) == ["limit"]
    assert "limit" in problem["detail"]
    assert at_most.status_code == 200, at_most.get_json()


# ---- rate limits: 429 -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited_app(database_url, tmp_path_factory):
    """An app of its own (its own counts and its own database, so its writes really commit)."""
    with own_database(database_url, tmp_path_factory.mktemp("limits"), "limits") as url:
        app = build_app(url)
        yield app
        app.extensions["db"].engine.dispose()


def forget_sign_in_failures(app):
    """The per-account sign-in throttle's counts (api/sign_in.py) are in the app's database,
    which this module's tests share and really commit to: each test starts from none."""
    with app.extensions["db"].engine.begin() as connection:
        connection.execute(text("DELETE FROM sign_in_failures"))


@pytest.fixture
def limited(limited_app, monkeypatch):
    """limited(default=..., write=..., token=...): this test's limits, counts from zero."""
    for limiter in limited_app.extensions["limiter"]:
        limiter.reset()
    forget_sign_in_failures(limited_app)

    def configure(default="1000 per minute", write="1000 per minute", token="1000 per minute"):
        monkeypatch.setitem(limited_app.config, "RATELIMIT_DEFAULT", default)
        monkeypatch.setitem(limited_app.config, "RATELIMIT_WRITE", write)
        monkeypatch.setitem(limited_app.config, "RATELIMIT_TOKEN", token)
        return limited_app

    return configure


def caller(app, role="agency", sub=None, **claims):
    return ApiClient(app, token_for(app, role, sub=sub, **claims))


def assert_rate_limited(response):
    problem = assert_problem(response, 429)
    assert problem["type"].endswith("rate-limited")
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert f"retry after {retry_after} seconds" in problem["detail"]
    return problem


def test_a_caller_over_its_limit_gets_a_429_problem_with_retry_after(limited):
    app = limited(default="3 per minute")
    police = caller(app, sub="wmp-client")

    answers = [police.get(AGENCIES).status_code for _ in range(3)]
    refused = police.get(AGENCIES)

    assert answers == [200, 200, 200]
    problem = assert_rate_limited(refused)
    assert "3 per 1 minute" in problem["detail"]
    assert problem["request_id"] == refused.headers["X-Request-ID"]


def test_one_caller_throttled_does_not_throttle_another(limited):
    app = limited(default="2 per minute")
    police, school = caller(app, sub="wmp-client"), caller(app, sub="oakfield-client",
                                                           agency="oakfield-primary")
    practitioner = caller(app, "practitioner", sub="priya.mash")

    for _ in range(2):
        assert police.get(AGENCIES).status_code == 200
    assert_rate_limited(police.get(AGENCIES))

    assert school.get(AGENCIES).status_code == 200
    assert practitioner.get(AGENCIES).status_code == 200
    # The count belongs to the subject, not to one token: a fresh token does not reset it.
    assert_rate_limited(caller(app, sub="wmp-client").get(AGENCIES))


def test_the_limit_counts_every_route_together(limited):
    app = limited(default="3 per minute")
    police = caller(app, sub="wmp-client")

    police.get(AGENCIES)
    police.get(CONTACTS)
    police.get("/api/v1/contacts/00000000-0000-4000-8000-000000000000")

    assert_rate_limited(police.get(CONTACTS))


def test_a_post_over_the_write_limit_is_refused_before_anything_is_recorded(limited):
    app = limited(write="2 per minute")
    police = caller(app, sub="wmp-client")
    for number in range(2):
        response = police.post(CONTACTS, json=contact_body(source_reference=f"PPN-{number}"))
        assert response.status_code == 201, response.get_json()
    before = stored(app)

    refused = police.post(CONTACTS, json=contact_body(source_reference="PPN-2"),
                          headers={"Idempotency-Key": "over-the-limit"})
    # Refused before the body is read: an invalid body gets the same 429, not a 422.
    invalid = police.post(CONTACTS, json={"children": "not a list"})

    assert_rate_limited(refused)
    assert_rate_limited(invalid)
    assert stored(app) == before
    # Reads have their own, larger allowance.
    assert police.get(CONTACTS).status_code == 200


def test_a_read_of_case_data_over_the_limit_is_still_in_the_access_log(limited):
    from api.models import AccessEvent

    app = limited(default="2 per minute")
    police = caller(app, sub="wmp-client")
    contact = police.post(CONTACTS, json=contact_body(source_reference="PPN-READ"))
    assert contact.status_code == 201, contact.get_json()
    path = f"{CONTACTS}/{contact.get_json()['id']}"

    assert police.get(path).status_code == 200
    assert_rate_limited(police.get(path))

    with app.extensions["db"].engine.connect() as connection:
        statuses = connection.scalars(
            select(AccessEvent.status).where(AccessEvent.path == path,
                                             AccessEvent.actor_sub == "wmp-client")
            .order_by(AccessEvent.id)).all()
    assert statuses == [200, 429]


def test_a_refused_post_with_an_idempotency_key_can_be_retried_once_the_window_opens(limited):
    app = limited(write="1 per minute")
    police = caller(app, sub="wmp-client")
    police.post(CONTACTS, json=contact_body(source_reference="PPN-FIRST"))

    refused = police.post(CONTACTS, json=contact_body(source_reference="PPN-LATER"),
                          headers={"Idempotency-Key": "later-1"})
    for limiter in app.extensions["limiter"]:
        limiter.reset()  # the window has opened again
    retried = police.post(CONTACTS, json=contact_body(source_reference="PPN-LATER"),
                          headers={"Idempotency-Key": "later-1"})

    assert_rate_limited(refused)
    assert retried.status_code == 201, retried.get_json()
    assert "Idempotent-Replayed" not in retried.headers  # the 429 was not stored as an answer


def test_the_health_check_is_not_rate_limited(limited):
    app = limited(default="1 per minute")
    monitor = ApiClient(app)

    answers = {monitor.get("/api/v1/health").status_code for _ in range(5)}

    assert answers == {200}
    monitor.get(AGENCIES)
    assert_rate_limited(monitor.get(AGENCIES))  # the control: the same caller elsewhere


def test_token_requests_are_limited_per_remote_address(limited):
    app = limited(token="2 per minute")
    guesser = app.test_client()
    guess = {"username": "priya.mash", "password": "guess"}

    answers = [guesser.post("/api/v1/auth/token", json=guess).status_code for _ in range(2)]
    refused = guesser.post("/api/v1/auth/token", json=guess)
    elsewhere = guesser.post("/api/v1/auth/token", json=guess,
                             environ_base={"REMOTE_ADDR": "192.0.2.7"})

    assert answers == [401, 401]
    assert_rate_limited(refused)
    assert elsewhere.status_code == 401


def test_a_client_naming_itself_another_address_is_not_believed_without_a_trusted_proxy(limited):
    app = limited(token="2 per minute")
    guesser = app.test_client()
    guess = {"username": "priya.mash", "password": "guess"}

    answers = [guesser.post("/api/v1/auth/token", json=guess,
                            headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
               for n in range(3)]

    assert answers[:2] == [401, 401]
    assert answers[2] == 429  # one address, whatever it claims


@pytest.fixture
def behind_a_proxy(limited_app, monkeypatch):
    """limited_app's database and limits, served behind one trusted reverse proxy."""
    proxied = create_app(app_config(limited_app.config["DATABASE_URL"], FakeClock(),
                                    TRUSTED_PROXY_HOPS=1))
    monkeypatch.setitem(proxied.config, "RATELIMIT_TOKEN", "2 per minute")
    forget_sign_in_failures(proxied)
    yield proxied
    proxied.extensions["db"].engine.dispose()


def test_behind_a_trusted_proxy_each_client_address_has_its_own_allowance(behind_a_proxy):
    proxy = behind_a_proxy.test_client()  # every request comes from the proxy's address
    guess = {"username": "priya.mash", "password": "guess"}

    def from_client(address, claimed=None):
        forwarded = f"{claimed}, {address}" if claimed else address
        return proxy.post("/api/v1/auth/token", json=guess,
                          headers={"X-Forwarded-For": forwarded}).status_code

    first = [from_client("203.0.113.5") for _ in range(2)]
    # What the client wrote itself, left of what the proxy appended, is not believed.
    spoofed = from_client("203.0.113.5", claimed="192.0.2.99")
    another = from_client("203.0.113.6")

    assert first == [401, 401]
    assert spoofed == 429
    assert another == 401


def test_trusted_proxy_hops_cannot_be_negative(database_url):
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS"):
        create_app(app_config(database_url, FakeClock(), TRUSTED_PROXY_HOPS=-1))


def test_a_forged_token_naming_another_caller_does_not_spend_its_allowance(limited):
    import jwt

    from api.keys import generate_key_pair

    app = limited(default="2 per minute")
    other_key, _ = generate_key_pair()
    forged = jwt.encode({"sub": "wmp-client", "role": "agency", "agency": "wmp"}, other_key,
                        algorithm="ES256")
    forger = ApiClient(app, forged)

    assert [forger.get(AGENCIES).status_code for _ in range(2)] == [401, 401]
    assert_rate_limited(forger.get(AGENCIES))  # counted by its address
    assert caller(app, sub="wmp-client").get(AGENCIES).status_code == 200


def test_limits_come_from_the_environment(monkeypatch):
    import importlib

    import api.config

    monkeypatch.setenv("RATELIMIT_DEFAULT", "7 per second")
    monkeypatch.setenv("RATELIMIT_WRITE", "3 per second")
    monkeypatch.setenv("RATELIMIT_TOKEN", "4 per minute")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("STATEMENT_TIMEOUT_MS", "1234")
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    try:
        config = importlib.reload(api.config).Config
        assert (config.RATELIMIT_DEFAULT, config.RATELIMIT_WRITE, config.RATELIMIT_TOKEN) == (
            "7 per second", "3 per second", "4 per minute")
        assert config.STATEMENT_TIMEOUT_MS == 1234
        assert config.TRUSTED_PROXY_HOPS == 2
    finally:
        monkeypatch.undo()
        importlib.reload(api.config)


# ---- statement timeout: 503 (PostgreSQL) ----------------------------------------------------

statement_timeout_only = only_on("postgresql", "the statement timeout is PostgreSQL's")


@pytest.fixture
def impatient_app(fresh_database_url):
    app = build_app(fresh_database_url, STATEMENT_TIMEOUT_MS=300)
    yield app
    app.extensions["db"].engine.dispose()


@statement_timeout_only
def test_a_slow_read_is_cut_off_as_a_503_problem_and_the_worker_serves_on(
    impatient_app, monkeypatch
):
    practitioner = caller(impatient_app, "practitioner")

    def slow_list(_args):
        session.execute(text("SELECT pg_sleep(10)"))

    monkeypatch.setattr(agency_rules, "list_agencies", slow_list)
    started = time.monotonic()
    response = practitioner.get(AGENCIES)
    took = time.monotonic() - started
    monkeypatch.undo()

    problem = assert_problem(response, 503)
    assert problem["type"].endswith("statement-timeout")
    assert int(response.headers["Retry-After"]) > 0
    assert took < 5
    assert practitioner.get(AGENCIES).status_code == 200


@statement_timeout_only
def test_a_slow_write_is_cut_off_as_a_503_problem_and_records_nothing(
    impatient_app, monkeypatch
):
    police = caller(impatient_app, sub="wmp-client")
    real_record_contact = contact_routes.contacts.record_contact

    def record_slowly(actor, data):
        contact = real_record_contact(actor, data)  # flushed: there is something to undo
        session.execute(text("SELECT pg_sleep(10)"))
        return contact

    monkeypatch.setattr(contact_routes.contacts, "record_contact", record_slowly)
    before = stored(impatient_app)

    response = police.post(CONTACTS, json=contact_body(), headers={"Idempotency-Key": "slow-1"})

    assert_problem(response, 503)
    assert stored(impatient_app) == before
    monkeypatch.undo()
    retried = police.post(CONTACTS, json=contact_body(), headers={"Idempotency-Key": "slow-1"})
    assert retried.status_code == 201, retried.get_json()


@pytest.fixture
def unmigrated_impatient_app(fresh_database_url):
    app = create_app(app_config(fresh_database_url, FakeClock(), STATEMENT_TIMEOUT_MS=100))
    yield app
    app.extensions["db"].engine.dispose()


@statement_timeout_only
def test_migrations_run_without_the_statement_timeout(unmigrated_impatient_app):
    app = unmigrated_impatient_app
    engine = app.extensions["db"].migration_engine  # the owner's, when migrations run as one
    slowed = []

    @event.listens_for(engine, "before_cursor_execute")
    def slow_first_table(_conn, cursor, statement, *_args):
        # Stands for a migration rewriting a large table: longer than the web timeout.
        if not slowed and statement.lstrip().upper().startswith("CREATE TABLE"):
            slowed.append(statement)
            cursor.execute("SELECT pg_sleep(0.5)")

    upgrade(app)
    event.remove(engine, "before_cursor_execute", slow_first_table)

    assert slowed
    with app.app_context():
        # The control: outside a migration the same pause is cut off.
        with pytest.raises(Exception, match="statement timeout"):
            session.execute(text("SELECT pg_sleep(0.5)"))
        session.rollback()


@statement_timeout_only
def test_operator_commands_run_without_the_statement_timeout(unmigrated_impatient_app, monkeypatch):
    from api.domain import timescale_facts

    app = unmigrated_impatient_app
    upgrade(app)

    def recompute_slowly(_actor):
        session.execute(text("SELECT pg_sleep(0.5)"))  # a recompute over years of records
        return {"contacts": 0}

    monkeypatch.setattr(timescale_facts, "recompute_working_day_facts", recompute_slowly)

    result = app.test_cli_runner().invoke(args=["timescales", "recompute"])

    assert result.exit_code == 0, result.output
    assert "contacts: 0 changed" in result.output
