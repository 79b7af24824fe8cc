"""What the tests share that is not a fixture: the app built for a test run, its clock and its
tokens, the engine under test, request bodies and the builders that post them, and the checks
more than one file makes. Fixtures are in tests/conftest.py."""

import base64
import itertools
import json
import os
import re
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import jwt
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select, text
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from api import create_app
from api.auth import mint_token
from api.caller import Actor, system_actor
from api.cli import upgrade
from api.config import TestConfig
from api.db import Base, session
from api.domain.accounts import create_account
from api.keys import generate_key_pair
from api.models import AccessEvent
from api.timescales import LONDON
from api.vocab import nhs_check_digit
from schemas.contacts import ContactCreateSchema


PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()
DEFAULT_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday, GMT


# ---- the app, its clock and its tokens ---------------------------------------------------------


class FakeClock:
    """The app's clock in tests: fixed until a test moves it."""

    def __init__(self, at=DEFAULT_NOW):
        self.at = at

    def __call__(self):
        return self.at

    def set(self, at):
        self.at = at

    def advance(self, **delta):
        self.at += timedelta(**delta)


# ---- the database roles (PostgreSQL) ----------------------------------------------------------
# TEST_DATABASE_URL names the app's role; TEST_MIGRATION_DATABASE_URL, when set, the role that
# owns the database and runs the migrations (as .ci/run sets them). Unset, one role does both.
OWNER_URL = os.environ.get("TEST_MIGRATION_DATABASE_URL") or None


def owner_url_for(url):
    """The owner's URL for the database `url` names (PostgreSQL, owner configured), else None."""
    if not OWNER_URL or not url.startswith("postgresql"):
        return None
    return make_url(OWNER_URL).set(database=make_url(url).database).render_as_string(
        hide_password=False)


def app_role_of(url):
    """The app's role, to be granted after migrating, when migrations run as another role."""
    return make_url(url).username if owner_url_for(url) else None


def app_config(url, clock, **overrides):
    """The configuration of an app under test: on `url`, with the run's keys and `clock`; its
    migrations run as the owner (when one is configured) and grant `url`'s role."""
    return type(
        "RunConfig",
        (TestConfig,),
        {
            "DATABASE_URL": url,
            "MIGRATION_DATABASE_URL": owner_url_for(url),
            "DATABASE_APP_ROLE": app_role_of(url),
            "JWT_PRIVATE_KEY": PRIVATE_KEY,
            "JWT_PUBLIC_KEY": PUBLIC_KEY,
            "CLOCK": staticmethod(clock),
            **overrides,
        },
    )


def build_app(url, clock=None, tamperable=False, **overrides):
    """An app on a freshly migrated database at `url`, with the reference agencies loaded.

    `tamperable` (the session's app, whose tests may tamper with the database as its owner
    would): with an owner configured, the app logs in as the owner and every connection then
    takes the app's role (SET ROLE), so all it does runs with the app's privileges; a test
    tampering behind its back takes the owner's back for the rest of its transaction
    (as_owner(); rolled back with it). Apps on databases of their own log in as the app's role."""
    from seeds import load

    clock = clock or FakeClock()
    owner = owner_url_for(url) if tamperable else None
    if owner:
        overrides = {"DATABASE_URL": owner, **overrides}
    app = create_app(app_config(url, clock, **overrides))
    if owner:
        role = app_role_of(url)

        @sqlalchemy_event.listens_for(app.extensions["db"].engine, "connect")
        def act_as_the_app(dbapi_connection, _record):
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{role}"')
            dbapi_connection.commit()

    upgrade(app)
    with app.app_context():
        load(reference_only=True)
    app.test_clock = clock
    return app


def site_roles(url):
    """bench.load.Site's roles for a database of the tests: migrated as the owner, if any."""
    return {"migration_url": owner_url_for(url), "app_role": app_role_of(url)}


def as_owner():
    """From here to the end of the test's transaction, act as the database's owner (as someone
    with the owner's password would): on PostgreSQL with an owner configured, RESET ROLE (the
    session's app logs in as the owner: build_app(tamperable=True)); otherwise there is one role."""
    if session.get_bind().dialect.name == "postgresql" and OWNER_URL:
        session.execute(text("RESET ROLE"))


@contextmanager
def own_database(database_url, directory, prefix):
    """A new, empty database beside the test run's own: a file on SQLite, a database on
    PostgreSQL (dropped afterwards)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{directory / f'{prefix}.db'}"
        return
    base = make_url(database_url)
    name = f"mash_{prefix}_{uuid.uuid4().hex[:12]}"
    # Created by the owner (when there is one), so that the app's role owns nothing in it.
    admin = create_engine(owner_url_for(database_url) or base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin, name, attempts=20):
    # FORCE ends our own leftover connections, but a test that churned many tables can find an
    # autovacuum worker there, which only a superuser may end: it finishes in a moment, so wait.
    for attempt in range(attempts):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError as error:
            if "pg_signal_backend" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.5)


class ApiClient:
    """A test client that sends a real bearer token for one actor."""

    def __init__(self, app, token=None):
        self.app = app
        self.client = app.test_client()
        self.token = token

    def _headers(self, headers):
        merged = dict(headers or {})
        if self.token:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def get(self, path, headers=None, **kwargs):
        return self.client.get(path, headers=self._headers(headers), **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        if json is not None:
            kwargs["json"] = json
        return self.client.post(path, headers=self._headers(headers), **kwargs)

    def open(self, path, method, headers=None, **kwargs):
        return self.client.open(path, method=method, headers=self._headers(headers), **kwargs)


def token_for(app, role, sub=None, service=None, agency=None, minutes=15):
    if role in ("practitioner", "manager") and service is None:
        service = "mash"
    if role == "agency" and agency is None:
        agency = "wmp"
    with app.app_context():
        token, _ = mint_token(
            app, sub or f"test-{role}-{agency or service or 'x'}", role,
            service=service, agency=agency,
            kind="client" if role == "agency" else "person", minutes=minutes,
        )
    return token



def client_as(app, role, **claims):
    """A client of `app` holding a real token for `role` (and its sub, service or agency)."""
    return ApiClient(app, token_for(app, role, **claims))


# ---- a real browser, for the console (tests/console) ----------------------------------------------

# Debian's Chromium (`apt-get install -y chromium`): Playwright drives it; its own browser download
# is never used. CONSOLE_CHROMIUM names another executable.
CHROMIUM = os.environ.get("CONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOW_TO_RUN_BROWSER_TESTS = (
    "apt-get install -y chromium (Debian's), then make console (npm ci and the stylesheet), "
    "then make test")


def why_no_browser():
    """Why the console's browser tests cannot run here, or None: they need Chromium and the
    console's packages. Their skip is the `needs_browser` marker's (tests/conftest.py), which
    MASH_CI=1 counts as a failure like any skip other than an engine's."""
    from api import console

    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"no Chromium at {CHROMIUM}")
    if not console.installed():
        missing.append("the console's packages are not installed")
    if not console.browser_test_packages_installed():
        missing.append("axe-core is not installed in console/node_modules")
    if not missing:
        return None
    return f"no browser for the console's tests ({'; '.join(missing)}): {HOW_TO_RUN_BROWSER_TESTS}"


# ---- the engine under test ----------------------------------------------------------------------

ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# The run's engine: PostgreSQL when TEST_DATABASE_URL names one, else the embedded SQLite.
ENGINE = make_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://").get_backend_name()


def only_on(engine, why):
    """Mark a test (or, as `pytestmark`, a module) to run on `engine` alone: elsewhere it is
    skipped, saying `why`. The one way a test may be skipped: with MASH_CI=1 any other skip,
    skipif or xfail fails the run (tests/conftest.py)."""
    if engine not in ENGINES:
        raise ValueError(f"only_on: {engine!r} is not one of {sorted(ENGINES)}")
    return pytest.mark.only_on(engine, why)

# ---- times ------------------------------------------------------------------------------------


def iso(instant):
    """An aware datetime as the API writes it: UTC, with a Z."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def utc(text):
    """An ISO 8601 instant with an offset (or a Z), as an aware datetime in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


# ---- contacts and children ----------------------------------------------------------------------

CONTACTS = "/api/v1/contacts"
DECISION_RATIONALE = "Child has unexplained bruising and disclosed being grabbed by an adult."

# Valid NHS numbers (modulus 11), as published for testing.
NHS_AMELIA = "9434765919"  # the child in contact_body()
NHS_OTHER = "4010232137"
NHS_THIRD = "4857773457"

DROP = object()  # a field left out of a body built by child()

_nhs_numbers = itertools.count(400_000_000)


def new_nhs_number():
    """A fresh NHS number that passes the modulus 11 check."""
    while True:
        base = str(next(_nhs_numbers))
        check = nhs_check_digit(base)
        if check is not None:
            return base + str(check)


def contact_body(**overrides):
    """A valid contact, as a police system would post it; override any top-level field."""
    body = {
        "received_at": "2026-11-20T09:00:00Z",
        "source_agency": "wmp",
        "source_reference": "PPN-2026-0042",
        "referrer": {"name": "PC Jane Doe", "role": "Officer", "phone": "0121 000 0000",
                     "email": "jane.doe@police.example"},
        "channel": "api",
        "children": [
            {"given_name": "Amelia", "family_name": "Hughes", "date_of_birth": "2019-04-02",
             "sex": "female", "nhs_number": NHS_AMELIA},
        ],
        "concerns": {"categories": ["domestic_abuse"],
                     "summary": "Police attended a domestic incident; the child was present."},
        "consent": {"status": "not_sought",
                    "reason": "Police protection notification; consent would increase risk."},
    }
    body.update(overrides)
    return body


def child(given_name="Amelia", nhs_number=NHS_AMELIA, **fields):
    """A child as a partner would send it (Amelia's details unless told); DROP removes a field."""
    data = {"given_name": given_name, "family_name": "Hughes", "date_of_birth": "2019-04-02",
            "sex": "female", "nhs_number": nhs_number, **fields}
    return {key: value for key, value in data.items() if value is not DROP}


def read(client, path):
    """The body of a 200 answer to GET `path`."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def walk_pages(client, path, max_pages=100, **query):
    """Every item of a list, following next_cursor from the first page; (items, pages read).
    Fails, rather than loops, when a cursor never ends the list within `max_pages`."""
    items, pages, cursor = [], 0, None
    while True:
        assert pages < max_pages, f"{path}: still a next_cursor after {max_pages} pages"
        response = client.get(path, query_string={**query, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.get_data(as_text=True)
        pages += 1
        items.extend(response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items, pages


def created(response):
    """The body of a 201 Created answer."""
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def record_contact(client, **overrides):
    """POST contact_body(**overrides) as `client`; the contact recorded."""
    return created(client.post(CONTACTS, json=contact_body(**overrides)))


def listed_contact_ids(client, query=""):
    """The ids of the contacts `client` is shown, first page, in the order listed."""
    response = client.get(f"{CONTACTS}{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json["items"]]


def forget_loaded_records():
    # The test's app context outlives each request, and with it the session's identity map:
    # expire it so the next request reads what the database holds, as a new request would.
    session.expire_all()


def consent_url(contact_id):
    return f"{CONTACTS}/{contact_id}/consent"


def decide(client, contact_id, outcome, decided_at=None, **extra):
    """Record a decision on the contact (now, unless `decided_at`); the decision recorded."""
    body = {"outcome": outcome, "rationale": DECISION_RATIONALE, **extra}
    if decided_at is not None:
        body["decided_at"] = decided_at
    return created(client.post(f"{CONTACTS}/{contact_id}/decisions", json=body))



# ---- decisions, approval and feedback -----------------------------------------------------------

OTHER_DECISION_RATIONALE = "Health visitor reports the baby is underweight and the home is cold and dirty."
CONSENT_REASON = "Recorded for the test: the reason for this consent status."


def consent_body(status):
    """A contact's consent of `status`, with what that status needs (who gave it, or why not)."""
    if status == "given":
        return {"status": "given", "given_by": "Mother"}
    return {"status": status, "reason": CONSENT_REASON}


def post_decision(client, contact_id, **body):
    """POST a decision (nfa with DECISION_RATIONALE unless told; DROP leaves a field out); the
    response, whatever it is."""
    body.setdefault("outcome", "nfa")
    body.setdefault("rationale", DECISION_RATIONALE)
    body = {key: value for key, value in body.items() if value is not DROP}
    return client.post(f"{CONTACTS}/{contact_id}/decisions", json=body)


def decided(client, contact_id, **body):
    """post_decision(), which must succeed; the decision recorded."""
    return created(post_decision(client, contact_id, **body))


def approve(client, decision_id, **kwargs):
    return client.post(f"/api/v1/decisions/{decision_id}/approval", **kwargs)


def feedback_body(clock, **overrides):
    body = {"given_at": iso(clock()), "method": "phone",
            "summary": "Told PC Doe the family will be offered early help support."}
    body.update(overrides)
    return body


def give_feedback(client, contact_id, body):
    return client.post(f"{CONTACTS}/{contact_id}/feedback", json=body)


def field_errors(response, status=422):
    """The errors of a problem+json answer of `status`, by field."""
    return assert_problem(response, status).get("errors", {})


def audit_events(auditor, entity_id):
    """The audit trail of one record, oldest first, as (action, data) pairs."""
    response = auditor.get(f"/api/v1/audit/events?entity_id={entity_id}")
    assert response.status_code == 200, response.json
    return [(event["action"], event["data"]) for event in response.json["items"]]


def audit_actions(auditor, entity_id):
    return [action for action, _ in audit_events(auditor, entity_id)]


def as_audited(instant):
    """An instant as an audit event's data holds it: UTC, microseconds, Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_length(auditor):
    """The length of the audit chain, which must verify."""
    response = auditor.get("/api/v1/audit/verify")
    assert response.status_code == 200, response.json
    assert response.json["valid"] is True
    return response.json["length"]


# ---- strategy meetings --------------------------------------------------------------------------

MEETINGS = "/api/v1/strategy-meetings"
MEETING_RATIONALE = "Disclosure of physical harm by a household adult; police and health agree s47."


class Case:
    """A contact, its children and its current decision, as a strategy meeting refers to them."""

    def __init__(self, contact_id, child_ids, decision_id):
        self.contact_id = contact_id
        self.child_ids = child_ids
        self.decision_id = decision_id


def record_morning_contact(client, **overrides):
    """A contact received at 08:00 on the test day, before the meetings' timeline."""
    overrides.setdefault("received_at", "2026-11-20T08:00:00Z")
    return record_contact(client, **overrides)


def strategy_case(client, *, decided_at="2026-11-20T08:30:00Z", **contact_overrides):
    """A contact (police by default) whose current decision is strategy_discussion."""
    contact = record_morning_contact(client, **contact_overrides)
    decision = decide(client, contact["id"], "strategy_discussion", decided_at)
    return Case(contact["id"], [c["id"] for c in contact["children"]], decision["id"])


def early_help_case(client, *, received_at, decided_at, nhs_number=NHS_AMELIA):
    """Another contact about the same child, decided early help (voluntary: consent given)."""
    contact = record_morning_contact(
        client, received_at=received_at, source_agency="oakfield-primary",
        children=[child("Amelia", nhs_number)],
        consent={"status": "given", "given_by": "Mother"},
    )
    decide(client, contact["id"], "early_help", decided_at)
    return contact


def meeting_body(case, **overrides):
    body = {
        "contact_id": case.contact_id,
        "children": case.child_ids,
        "convened_at": "2026-11-20T08:45:00Z",
        "scheduled_for": "2026-11-20T09:30:00Z",
        "chair": "Mark Evans",
        "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}],
    }
    body.update(overrides)
    return body


def convene(client, case, **overrides):
    return created(client.post(MEETINGS, json=meeting_body(case, **overrides)))


def convene_at(client, contact_id, children, convened_at):
    """A meeting about `children` of the contact, convened at `convened_at` (a datetime) for an
    hour later."""
    return convene(client, Case(contact_id, children, None), convened_at=iso(convened_at),
                   scheduled_for=iso(convened_at + timedelta(hours=1)))


def outcome_body(**overrides):
    body = {
        "held_at": "2026-11-20T09:30:00Z",
        "attendance": [
            {"agency": "wmp", "attended": True, "name": "DS Lee", "role": "Detective"},
            {"agency": "hilltop-gp", "attended": False},
        ],
        "outcome": "s47_enquiry",
        "rationale": MEETING_RATIONALE,
        "medical_examination": {"decision": "required"},
    }
    body.update(overrides)
    if "actions" not in overrides:  # due the day after the meeting, wherever it is held
        held_on = datetime.fromisoformat(body["held_at"]).astimezone(LONDON).date()
        body["actions"] = [{"description": "Joint visit to the home", "owner_agency": "wmp",
                            "due_date": (held_on + timedelta(days=1)).isoformat()}]
    return body


def record_outcome(client, meeting_id, **overrides):
    return created(client.post(f"{MEETINGS}/{meeting_id}/outcome", json=outcome_body(**overrides)))


def convene_and_hold(client, clock, *, received_at, convened_at, held_at, now, **outcome):
    """A strategy case received and decided at `received_at`, its meeting convened and held;
    the meeting as held, recorded at `now`."""
    clock.set(utc(now))
    case = strategy_case(client, received_at=received_at, decided_at=received_at)
    meeting = convene(client, case, convened_at=convened_at, scheduled_for=held_at)
    return record_outcome(client, meeting["id"], held_at=held_at, **outcome)


def item_ids(response):
    """The ids of the items of a 200 list answer, in the order listed."""
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


# ---- step-up and step-down requests (transitions) ----------------------------------------------

TRANSITIONS = "/api/v1/transitions"
STEP_UP_RATIONALE = "Two missing episodes this month; the early help worker fears exploitation."
STEP_DOWN_RATIONALE = "Enquiry concluded; risks reduced; the family is engaging with support."
REFUSAL_RATIONALE = "Single episode, home the same night: s17 threshold not met; continue early help."
PLAN = {"summary": "Family support worker visits weekly",
        "expected_outcomes": ["School attendance above 95%", "Mother completes a parenting course"]}
DEFAULT = object()  # respond(): the rationale a decision needs (a refusal's; none for acceptance)

# What a rationale may not be: each refused.
NOT_A_RATIONALE = [
    pytest.param(DROP, id="missing"),
    pytest.param(None, id="null"),
    pytest.param("", id="empty"),
    pytest.param(" " * 40, id="blank"),
    pytest.param("n/a", id="n/a"),
    pytest.param("Missing twice; risk", id="19 characters"),
    pytest.param("      Missing twice; risk      ", id="19 characters once trimmed"),
    pytest.param("See notes. N/A. TBC. See notes.", id="placeholders"),
    pytest.param("see case notes -- as discussed", id="see case notes"),
    pytest.param("To be confirmed (TBC) ...........", id="tbc"),
]

# The decision that opens a child to each service (None: to no service).
SERVICE_OUTCOME = {"early_help": "early_help", "social_care": "assessment", None: "information_advice"}


def contact_about_a_child(staff, clock, nhs_number=None, consent=None, received_at=None):
    """A contact about Amelia (a new NHS number unless told) received an hour ago unless told,
    consent given unless told, recorded by the MASH practitioner."""
    return record_contact(
        staff.mash,
        received_at=iso(received_at or clock() - timedelta(hours=1)),
        children=[child("Amelia", nhs_number or new_nhs_number())],
        consent=consent or {"status": "given", "given_by": "Mother"},
    )


def open_child(staff, clock, service, nhs_number=None):
    """A child open to `service` (early_help, social_care or None) through a contact and decision."""
    contact = contact_about_a_child(staff, clock, nhs_number)
    decide(staff.mash, contact["id"], SERVICE_OUTCOME[service])
    clock.advance(minutes=5)  # later events never tie with the decision
    return contact["children"][0]["id"]


def open_request(staff, clock, direction):
    """A request awaiting an answer: a step-up by early help of a child open to early help, or a
    step-down by social care of a child open to social care."""
    if direction == "step_up":
        return requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    return requested(step_down(staff.sc, open_child(staff, clock, "social_care")))


def transition_body(child_id, direction, **overrides):
    body = {"child_id": child_id, "direction": direction,
            "rationale": STEP_UP_RATIONALE if direction == "step_up" else STEP_DOWN_RATIONALE}
    if direction == "step_down":
        body["plan"] = PLAN
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not DROP}


def step_up(client, child_id, **overrides):
    return client.post(TRANSITIONS, json=transition_body(child_id, "step_up", **overrides))


def step_down(client, child_id, **overrides):
    return client.post(TRANSITIONS, json=transition_body(child_id, "step_down", **overrides))


def requested(response):
    """The transition a 201 answer to a request holds."""
    return created(response)


def respond(client, transition_id, decision="accepted", rationale=DEFAULT):
    """Answer a request; a refusal gets a good rationale unless the test gives one (or DROP)."""
    body = {"decision": decision}
    if rationale is DEFAULT:
        rationale = REFUSAL_RATIONALE if decision == "refused" else DROP
    if rationale is not DROP:
        body["rationale"] = rationale
    return client.post(f"{TRANSITIONS}/{transition_id}/response", json=body)


def withdraw(client, transition_id, **body):
    return client.post(f"{TRANSITIONS}/{transition_id}/withdrawal", json=body)


def current_service(client, child_id):
    return read(client, f"/api/v1/children/{child_id}")["current_service"]


def transition_events(auditor, transition_id):
    """(action, actor's sub) of each audit event of the transition, oldest first."""
    page = auditor.get(f"/api/v1/audit/events?entity_type=transition&entity_id={transition_id}")
    assert page.status_code == 200, page.json
    return [(event["action"], event["actor"]["sub"]) for event in page.json["items"]]


def listed_transitions(client, query=""):
    """The ids of the transitions `client` is shown (up to 500), `query` appended (&...)."""
    return item_ids(client.get(f"{TRANSITIONS}?limit=500{query}"))


# ---- the access log -----------------------------------------------------------------------------

ACCESS = "/api/v1/audit/access"


def wait_until(condition, seconds, every=0.05):
    """Poll `condition` until it holds (True) or `seconds` pass (False): for what another process
    or thread does in its own time."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
    return True


class StatementCounter:
    """The SQL statements the app's engine sends while it is active: `count`, and `statements`."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    @property
    def count(self):
        return len(self.statements)

    def reading(self, table):
        """How many of the statements read from `table` (FROM it)."""
        return sum(1 for statement in self.statements
                   if re.search(rf"\bFROM {table}\b", statement))

    def _seen(self, _connection, _cursor, statement, *_args):
        self.statements.append(statement)

    def __enter__(self):
        sqlalchemy_event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        sqlalchemy_event.remove(self.engine, "before_cursor_execute", self._seen)


def last_event_id():
    """The id of the latest access event (0 if none), to look at what comes after it."""
    return session.scalar(select(func.max(AccessEvent.id))) or 0


def events_after(event_id):
    return session.scalars(
        select(AccessEvent).where(AccessEvent.id > event_id).order_by(AccessEvent.id)).all()


def only_event_after(event_id):
    events = events_after(event_id)
    assert len(events) == 1, [(e.endpoint, e.status) for e in events]
    return events[0]


# The triggers that keep the access log append-only, as the migrations build them.
ACCESS_LOG_TRIGGERS = {
    "sqlite": {"access_events_no_update", "access_events_no_delete",
               "access_event_records_no_update", "access_event_records_no_delete"},
    "postgresql": {"access_events_no_update_delete", "access_events_no_truncate",
                   "access_event_records_no_update_delete", "access_event_records_no_truncate"},
}


def access_log_triggers(connection):
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
            "(to_regclass('access_events'), to_regclass('access_event_records'))"))
    else:
        rows = connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('access_events', 'access_event_records')"))
    return {row[0] for row in rows}


# ---- single assessments, allocation and closure (tests/api/test_assessments*.py) -----------------

OUTCOME_RATIONALE = "Mother engaged well; parenting support through a child in need plan."
CLOSURE_RATIONALE = "The plan's goals were met; the family no longer needs a social worker."


def child_of(contact):
    return contact["children"][0]["id"]


def allocate(client, contact, **body):
    return client.post(f"/api/v1/contacts/{contact['id']}/allocation",
                       json={"team": "Assessment team 2", "worker": "sam", **body})


def start(client, contact, started_at="2026-11-20T09:45:00Z", **body):
    return client.post("/api/v1/assessments", json={
        "contact_id": contact["id"], "child_id": child_of(contact), "started_at": started_at,
        **body})


def completion(**overrides):
    return {"child_seen_at": "2026-11-20T09:50:00Z", "authorised_at": "2026-11-20T09:55:00Z",
            "factors": ["3A", "4B"], "outcome": "child_in_need_plan",
            "rationale": OUTCOME_RATIONALE, **overrides}


def complete(client, assessment, **overrides):
    return client.post(f"/api/v1/assessments/{assessment['id']}/completion",
                       json=completion(**overrides))


def close(client, contact, **overrides):
    """POST a closure; an override of None leaves that field out."""
    body = {"closed_on": "2026-11-20", "reason": "RC7", "rationale": CLOSURE_RATIONALE,
            "primary_need": "N4", **overrides}
    return client.post(f"/api/v1/referrals/{contact['id']}/closure",
                       json={key: value for key, value in body.items() if value is not None})


# ---- the timeliness metrics ---------------------------------------------------------------------

METRICS = "/api/v1/metrics/timeliness"


class FrontDoor:
    """A front door driven through the API, the clock moved to each moment in turn; each step
    checks the stored facts the metrics rest on (timeliness, same day, due dates)."""

    def __init__(self, api_as, clock):
        self.clock = clock
        self.mash = api_as("practitioner", sub="priya", service="mash")
        self.manager = api_as("manager", sub="mark", service="mash")
        self.eh = api_as("practitioner", sub="erin", service="early_help")
        self.eh_manager = api_as("manager", sub="emma", service="early_help")
        self.sc = api_as("practitioner", sub="sam", service="social_care")
        self.sc_manager = api_as("manager", sub="sara", service="social_care")
        self.auditor = api_as("auditor", sub="alex")

    def at(self, when):
        self.clock.set(utc(when))
        return when

    @staticmethod
    def post(client, path, body):
        response = client.post(path, json=body)
        assert response.status_code == 201, (path, body, response.json)
        return response.json

    def contact(self, when, agency, consent_status="not_sought", nhs_number=None):
        self.at(when)
        child = {"given_name": "Sam", "family_name": "Example", "date_of_birth": "2017-06-01",
                 "sex": "unknown", "nhs_number": nhs_number or new_nhs_number()}
        created = self.post(self.mash, "/api/v1/contacts", contact_body(
            received_at=when, source_agency=agency, children=[child],
            consent=consent_body(consent_status)))
        created["child_id"] = created["children"][0]["id"]
        return created

    def consent(self, contact, when, status):
        self.at(when)
        self.post(self.mash, f"/api/v1/contacts/{contact['id']}/consent",
                  consent_body(status))

    def decide(self, contact, when, outcome, within, supersedes=None):
        self.at(when)
        body = {"outcome": outcome, "rationale": DECISION_RATIONALE, "decided_at": when}
        if supersedes:
            body |= {"supersedes": supersedes["id"],
                     "supersede_reason": "New information from the school changes the picture."}
        decision = self.post(self.mash, f"/api/v1/contacts/{contact['id']}/decisions", body)
        # The stored facts the metrics rest on are as worked out by hand.
        assert (decision["within_24_hours"], decision["within_1_working_day"]) == within
        return decision

    def approve(self, decision, when):
        self.at(when)
        self.post(self.manager, f"/api/v1/decisions/{decision['id']}/approval",
                  {"note": "Agreed with the threshold decision."})

    def feedback(self, contact, when):
        self.at(when)
        self.post(self.mash, f"/api/v1/contacts/{contact['id']}/feedback", {
            "given_at": when, "method": "phone",
            "summary": "Told the referrer what the front door decided and what happens next."})

    def convene(self, contact, when, scheduled_for, invited, not_invited_reasons=None):
        self.at(when)
        return self.post(self.mash, "/api/v1/strategy-meetings", {
            "contact_id": contact["id"], "children": [contact["child_id"]],
            "convened_at": when, "scheduled_for": scheduled_for, "chair": "Mark Evans",
            "invited": [{"agency": code} for code in invited],
            "not_invited_reasons": not_invited_reasons or {},
        })

    def hold(self, meeting, when, held_at, outcome, attendance, same_day, icpc_due_date=None,
             minutes_recorded_at=None):
        self.at(when)
        body = {
            "held_at": held_at, "outcome": outcome, "rationale": MEETING_RATIONALE,
            "attendance": [{"agency": code, "attended": came} for code, came in attendance],
            "medical_examination": {"decision": "not_applicable"},
        }
        if minutes_recorded_at:
            body["minutes_recorded_at"] = minutes_recorded_at
        held = self.post(self.mash, f"/api/v1/strategy-meetings/{meeting['id']}/outcome", body)
        assert held["held_same_day"] is same_day
        assert held["icpc_due_date"] == icpc_due_date
        return held

    def minutes(self, meeting, when, on_time):
        self.at(when)
        recorded = self.post(self.mash, f"/api/v1/strategy-meetings/{meeting['id']}/minutes",
                             {"minutes_recorded_at": when})
        assert recorded["minutes_within_1_working_day"] is on_time

    def request(self, child_id, when, direction_name):
        self.at(when)
        body = transition_body(child_id, direction_name, requested_at=when)
        requester = self.sc if direction_name == "step_down" else self.eh
        return self.post(requester, "/api/v1/transitions", body)

    def respond(self, transition, when, decision):
        self.at(when)
        manager = self.sc_manager if transition["direction"] == "step_up" else self.eh_manager
        body = {"decision": decision}
        if decision == "refused":
            body["rationale"] = REFUSAL_RATIONALE
        answered = self.post(manager, f"/api/v1/transitions/{transition['id']}/response", body)
        assert answered["status"] == decision

    def withdraw(self, transition, when):
        self.at(when)
        requester = self.sc if transition["direction"] == "step_down" else self.eh
        withdrawn = self.post(requester, f"/api/v1/transitions/{transition['id']}/withdrawal",
                              {"reason": "The family moved out of the area."})
        assert withdrawn["status"] == "withdrawn"

    def allocate(self, contact, when, allocated_at=None):
        self.at(when)
        body = {"allocated_at": allocated_at} if allocated_at else {}
        return created(allocate(self.manager, contact, **body))

    def start(self, contact, when, due_at=None):
        """A single assessment of the contact's child started at `when`; `due_at` the instant
        worked out by hand (45 working days after the referral)."""
        self.at(when)
        started = created(start(self.mash, contact, started_at=when))
        if due_at:
            assert utc(started["due_at"]) == utc(due_at), started["due_at"]
        return started

    def complete(self, assessment, when, within):
        self.at(when)
        completed = created(complete(self.manager, assessment, child_seen_at=when,
                                     authorised_at=when))
        assert completed["within_45_working_days"] is within
        return completed

    def metrics(self, query, client=None):
        return (client or self.auditor).get(f"{METRICS}?{query}")


# Expected figures: literal numbers, with helpers only for the shape.

def ratio(count, of, percent):
    return {"count": count, "of": of, "percent": percent}


NO_RATIO = ratio(0, 0, None)


def outcomes(nfa=0, information_advice=0, universal_services=0, early_help=0, existing_case=0,
             assessment=0, strategy_discussion=0):
    return {"nfa": nfa, "information_advice": information_advice,
            "universal_services": universal_services, "early_help": early_help,
            "existing_case": existing_case, "assessment": assessment,
            "strategy_discussion": strategy_discussion}


def consent(given=0, refused=0, not_sought=0, overridden=0):
    return {"given": given, "refused": refused, "not_sought": not_sought, "overridden": overridden}


def contacts(received=0, decided=0, awaiting_decision=0, overdue=0, within_24=NO_RATIO,
             within_day=NO_RATIO, median=None, p90=None, by_outcome=None, by_consent=None,
             approved=NO_RATIO, feedback_given=NO_RATIO, within_rag=None, by_rag=None):
    # Unless told, every contact is unrated: its RAG deadline is the statutory one.
    return {
        "received": received, "decided": decided, "awaiting_decision": awaiting_decision,
        "overdue": overdue, "decided_within_24_hours": within_24,
        "decided_within_1_working_day": within_day,
        "decided_within_rag": within_day if within_rag is None else within_rag,
        "hours_to_first_decision": {"median": median, "p90": p90},
        "outcomes": by_outcome or outcomes(), "consent": by_consent or consent(),
        "rag": by_rag or rag(unrated=received),
        "approved": approved, "feedback_given": feedback_given,
    }


def rag(red=0, amber=0, green=0, unrated=0):
    """contacts.rag: counts by current RAG rating."""
    return {"red": red, "amber": amber, "green": green, "unrated": unrated}


def referrals(count=0, re_referrals=NO_RATIO):
    return {"count": count, "re_referrals": re_referrals}


def meetings(convened=0, held=0, held_same_day=NO_RATIO, attendance=NO_RATIO, left_out=0,
             minutes=NO_RATIO, s47=0, icpc=0, icpcs_held=0, icpc_on_time=NO_RATIO, on_plan=0):
    # The dataset records no ICPC (tests/api/test_icpc.py works those figures by hand).
    return {"convened": convened, "held": held, "held_same_day": held_same_day,
            "attendance": attendance, "required_left_out_with_reason": left_out,
            "minutes_within_1_working_day": minutes, "s47_enquiries": s47,
            "icpc_due_in_period": icpc, "icpcs_held": icpcs_held,
            "icpc_within_15_working_days": icpc_on_time, "children_subject_to_plan": on_plan}


def direction(requested=0, accepted=0, refused=0, withdrawn=0, open=0, overdue=0,
              acceptance=NO_RATIO, median=None):
    return {"requested": requested, "accepted": accepted, "refused": refused,
            "withdrawn": withdrawn, "open": open, "overdue": overdue, "acceptance": acceptance,
            "median_working_days_to_response": median}


def transitions(step_up=None, step_down=None):
    return {"step_up": step_up or direction(), "step_down": step_down or direction()}


def assessments(started=0, completed=0, within=NO_RATIO, open=0, overdue=0):
    return {"started": started, "completed": completed, "within_45_working_days": within,
            "open": open, "overdue": overdue}


def allocation(referrals=0, on_time=NO_RATIO, late=0):
    return {"referrals": referrals, "allocated_within_5_working_days": on_time,
            "unallocated_over_5_working_days": late}


def no_requests():
    """information_requests with none asked (tests/api/test_metrics_information_requests.py
    works the scorecard by hand)."""
    return {"requested": 0, "answered": 0, "answered_in_time": NO_RATIO,
            "median_hours_to_answer": None, "open": 0, "overdue": 0, "withdrawn": 0,
            "by_agency": []}


def figures(contact_figures=None, referral_figures=None, meeting_figures=None,
            transition_figures="empty", assessment_figures=None, allocation_figures=None):
    return {
        "contacts": contact_figures or contacts(),
        "referrals": referral_figures or referrals(),
        "strategy_meetings": meeting_figures or meetings(),
        "transitions": transitions() if transition_figures == "empty" else transition_figures,
        "information_requests": no_requests(),
        "assessments": assessment_figures or assessments(),
        "allocation": allocation_figures or allocation(),
    }


EMPTY = figures()
SECTIONS = ("contacts", "referrals", "strategy_meetings", "transitions", "information_requests",
            "assessments", "allocation")


def figures_of(body):
    """The documented sections of a response or group, each compared whole."""
    missing = [name for name in SECTIONS if name not in body]
    assert not missing, f"missing sections {missing} in {body}"
    return {name: body[name] for name in SECTIONS}


def assert_ungrouped(response, first, last, expected):
    assert response.status_code == 200, response.json
    body = response.json
    assert body["period"] == {"from": first, "to": last}
    assert "groups" not in body
    actual = figures_of(body)
    for name in SECTIONS:  # one section at a time, so a failure names it
        assert actual[name] == expected[name], name
    assert actual == expected


def assert_grouped(response, group_by, first, last, expected_groups):
    """expected_groups: [(key, figures)] in the documented order."""
    assert response.status_code == 200, response.json
    body = response.json
    assert body["group_by"] == group_by
    assert body["period"] == {"from": first, "to": last}
    keys = [group["key"] for group in body["groups"]]
    assert keys == [key for key, _ in expected_groups]
    for group, (key, expected) in zip(body["groups"], expected_groups, strict=True):
        actual = figures_of(group)
        for name in SECTIONS:
            assert actual[name] == expected[name], (key, name)


# ---- accounts, and tokens made by hand ----------------------------------------------------------

SECRET = "correct horse battery staple"


def make_account(name, kind, role, *, secret=SECRET, active=True, **companions):
    account = create_account(
        system_actor("test"), name=name, kind=kind, secret=secret, role=role,
        display_name=f"{name} (test)", **companions,
    )
    account.active = active
    session.commit()  # a savepoint inside the test's rolled-back transaction
    return account


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(app, **overrides):
    """A complete set of access-token claims, as the app itself would mint them."""
    issued = int(time.time())
    values = {
        "sub": "test-auditor", "role": "auditor", "kind": "person", "type": "access",
        "fresh": False, "jti": str(uuid.uuid4()), "iat": issued, "nbf": issued,
        "exp": issued + 600, "iss": app.config["JWT_ISSUER"], "aud": app.config["JWT_AUDIENCE"],
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def es256(app, key=PRIVATE_KEY, **overrides):
    return jwt.encode(claims(app, **overrides), key, algorithm="ES256")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# ---- the rules called directly, without HTTP ----------------------------------------------------

POLICE = Actor(sub="wmp-case-system", role="agency", agency="wmp")
PRACTITIONER = Actor(sub="pat.practitioner", role="practitioner", service="mash")


def parsed(**overrides):
    """A contact body as the route hands it to the domain, after the schema has loaded it."""
    return ContactCreateSchema().load(contact_body(**overrides))


# ---- the database, behind the API's back --------------------------------------------------------


def drop_append_only_triggers(*tables):
    """Behind the API's back, as someone with the owner's password might (rolled back after):
    the triggers of `tables` (default: the audit trail's), and the test acts as the owner from
    here on (as_owner()), since the app's role may neither drop them nor change those rows."""
    as_owner()
    for table in tables or ("audit_events",):
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}"))
        else:
            session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))


def differences(app):
    """What the migrated database at `app` lacks or has beyond the models (empty: none)."""
    with app.extensions["db"].engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, Base.metadata)


def audit_triggers(app):
    with app.extensions["db"].engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            rows = connection.execute(text(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = to_regclass('audit_events') AND NOT tgisinternal"
            ))
        else:
            rows = connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
            ))
        return {row[0] for row in rows}


# ---- the calendar and the OpenAPI document ------------------------------------------------------

NEW_HOLIDAY = date(2026, 11, 23)  # a Monday: the one-off bank holiday the tests announce
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations(spec):
    """(method, path, operation) of every operation of an OpenAPI document."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def refs(node):
    """Every $ref anywhere in a part of an OpenAPI document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)

# ---- problem+json -------------------------------------------------------------------------------

PROBLEM = "application/problem+json"


def assert_problem(response, status, field=None, says=None, *, slug=None):
    """An RFC 9457 problem of `status`, as api/errors.py builds every error; its body returned.

    With `field`, its errors name that field (with a message containing `says`, if given); with
    `slug`, its type is that problem type.
    """
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.content_type == PROBLEM, (response.content_type, text)
    body = json.loads(text)
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status, body
    assert all(isinstance(body[key], str) and body[key] for key in ("type", "title", "detail")), body
    assert "msg" not in body, body  # the JWT library's own error shape
    assert body["request_id"] == response.headers["X-Request-ID"], body
    errors = body.get("errors", {})
    assert isinstance(errors, dict), body
    for name, messages in errors.items():
        assert isinstance(name, str) and isinstance(messages, list) and messages, body
        assert all(isinstance(message, str) and message for message in messages), body
    if field is not None:
        assert field in errors, body
        if says is not None:
            assert says.lower() in " ".join(errors[field]).lower(), body
    if slug is not None:
        assert body["type"].endswith(f"/{slug}"), body
    return body


# ---- the people -----------------------------------------------------------------------------------


def make_staff(client_for):
    """Everyone who works on a case, each with a real token: client_for(role, **claims)."""
    return SimpleNamespace(
        mash=client_for("practitioner", sub="priya", service="mash"),
        mash_manager=client_for("manager", sub="mark", service="mash"),
        eh=client_for("practitioner", sub="erin", service="early_help"),
        eh_other=client_for("practitioner", sub="eve", service="early_help"),
        eh_manager=client_for("manager", sub="emma", service="early_help"),
        sc=client_for("practitioner", sub="sam", service="social_care"),
        sc_other=client_for("practitioner", sub="sid", service="social_care"),
        sc_manager=client_for("manager", sub="sara", service="social_care"),
        sc_manager_2=client_for("manager", sub="saul", service="social_care"),
        auditor=client_for("auditor", sub="alex"),
        agency=client_for("agency", agency="wmp"),
        admin=client_for("admin", sub="ada"),
    )


def live_staff(app):
    """make_staff() for an app of its own (a live_app), outside the test's transaction."""
    return make_staff(lambda role, **claims: client_as(app, role, **claims))


def race(*calls):
    """Run each call in its own thread, released together by one barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results, failures = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:  # reported below, in the test's own thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing request never finished"
    assert not failures, failures
    return results


class AuditTrail:
    """The hash-chained trail, read as an auditor would."""

    def __init__(self, auditor):
        self.auditor = auditor

    def length(self):
        verified = self.auditor.get("/api/v1/audit/verify")
        assert verified.status_code == 200, verified.json
        assert verified.json["valid"] is True
        return verified.json["length"]

    def actions(self, entity_id):
        events = self.auditor.get(f"/api/v1/audit/events?entity_id={entity_id}&limit=500")
        assert events.status_code == 200, events.json
        return [event["action"] for event in events.json["items"]]

    def last(self):
        events = self.auditor.get("/api/v1/audit/events?entity_type=strategy_meeting&limit=500")
        assert events.status_code == 200, events.json
        return events.json["items"][-1]
