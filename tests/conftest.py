"""The fixtures the tests share; plain helpers are in tests/helpers.py.

Tests run on the real engines: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

The schema is built by the Alembic migrations. Each test runs inside one outer transaction that
is rolled back at the end; the app's commits become savepoints within it. Tokens are real,
signed with a key pair made for the run.
"""

import io
import json
import logging
import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, func, select, text

from api import timescales
from api.db import session
from api.logs import JsonFormatter
from api.models import AuditEvent, Contact
from tests.helpers import (
    CONTACTS, DEFAULT_NOW, ENGINE, ENGINES, NHS_AMELIA, ApiClient, AuditTrail, FrontDoor,
    build_app, child, client_as, contact_body, convene, convene_at, created, decide, iso,
    make_staff, new_nhs_number, owner_url_for, own_database, record_contact, record_outcome,
    step_down, strategy_case, why_no_browser,
)


def _reset_postgres(url):
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The app's database: TEST_DATABASE_URL (as the app's role) or a SQLite file. With
    TEST_MIGRATION_DATABASE_URL set, its role owns the database: it wipes and migrates it."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(owner_url_for(url) or url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url):
    app = build_app(database_url, tamperable=True)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def clock(app):
    app.test_clock.set(DEFAULT_NOW)
    return app.test_clock


@pytest.fixture(autouse=True)
def db(request, app):
    """One outer transaction per test, rolled back at the end: nothing leaks between tests."""
    if "fresh_database_url" in request.fixturenames:
        yield None
        return
    app.test_clock.set(DEFAULT_NOW)
    database = app.extensions["db"]
    connection = database.engine.connect()
    transaction = connection.begin()
    database.bind_to(connection)
    ctx = app.app_context()
    ctx.push()
    try:
        yield connection
    finally:
        session.remove()
        ctx.pop()
        transaction.rollback()
        connection.close()
        database.unbind()


@pytest.fixture
def fresh_database_url(tmp_path, database_url):
    """A database of its own (for tests that need real commits and real concurrency)."""
    with own_database(database_url, tmp_path, "fresh") as url:
        yield url


@pytest.fixture
def api_as(app):
    """api_as("practitioner") -> a client holding a practitioner's token."""

    def make(role, **claims):
        return client_as(app, role, **claims)

    return make


@pytest.fixture
def rows(db):
    """How many contacts and audit events there are, read through the test's own connection:
    rows() before and after a refused request shows it wrote nothing."""

    def read():
        return (db.scalar(select(func.count()).select_from(Contact)),
                db.scalar(select(func.count()).select_from(AuditEvent)))

    return read


@pytest.fixture
def live_app(fresh_database_url):
    """An app on a database of its own: every request really commits (real concurrency)."""
    app = build_app(fresh_database_url)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def log_lines(caplog):
    """Everything the app's own JSON handler writes during the test, at DEBUG, as parsed lines."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    caplog.set_level(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


@pytest.fixture
def anonymous(app):
    return ApiClient(app)


# ---- engine-specific tests, and no other skip in CI -------------------------------------------

ENGINE_SKIPPED = pytest.StashKey[set]()
OTHER_SKIPS = pytest.StashKey[list]()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "only_on(engine, why): run on that engine alone (tests.helpers.only_on)")
    config.addinivalue_line(
        "markers", "needs_browser: drives the console in Chromium (skipped, saying how to run it, "
                   "where there is none; a failure in CI)")
    config.stash[ENGINE_SKIPPED] = set()
    config.stash[OTHER_SKIPS] = []


def pytest_collection_modifyitems(config, items):
    no_browser = None
    if any(item.get_closest_marker("needs_browser") for item in items):
        no_browser = why_no_browser()
    for item in items:
        if no_browser and item.get_closest_marker("needs_browser"):
            item.add_marker(pytest.mark.skip(reason=no_browser))
        marker = item.get_closest_marker("only_on")
        if marker is None:
            continue
        engine, why = marker.args
        if engine not in ENGINES:
            raise pytest.UsageError(f"{item.nodeid}: only_on({engine!r}): not an engine we test on")
        if engine != ENGINE:
            config.stash[ENGINE_SKIPPED].add(item.nodeid)
            item.add_marker(pytest.mark.skip(reason=f"{ENGINES[engine]} only: {why}"))


def _reason(report):
    return report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)


def _other_skip(config, report):
    """(test, reason) if the report is a skip or an xfail that only_on() did not make."""
    if hasattr(report, "wasxfail"):
        return report.nodeid, f"xfail: {report.wasxfail or 'no reason given'}"
    if report.skipped and report.nodeid not in config.stash[ENGINE_SKIPPED]:
        return report.nodeid, _reason(report)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    other = _other_skip(item.config, report)
    if other:
        item.config.stash[OTHER_SKIPS].append(other)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if report.skipped:  # a whole module skipped (pytest.skip(allow_module_level=True), importorskip)
        collector.config.stash[OTHER_SKIPS].append((report.nodeid, _reason(report)))
    return report


def pytest_sessionfinish(session, exitstatus):
    # In CI (MASH_CI=1) a test skipped for any reason but its engine is a test that did not run
    # where it should have: the run fails, whatever else passed.
    ci = os.environ.get("MASH_CI") == "1"
    if ci and session.config.stash[OTHER_SKIPS] and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    others = config.stash[OTHER_SKIPS]
    if os.environ.get("MASH_CI") != "1" or not others:
        return
    terminalreporter.section("MASH_CI: tests skipped other than by their engine", red=True)
    for nodeid, reason in others:
        terminalreporter.line(f"{nodeid}: {reason}", red=True)
    terminalreporter.line(
        f"{len(others)} test(s) did not run for a reason other than the engine "
        f"(tests.helpers.only_on is the only skip allowed in CI): the run fails.", red=True)


# ---- the people a test works with: one identity each, the same in every file -------------------


@pytest.fixture
def police(api_as):
    """West Midlands Police's case system, posting contacts as a partner agency."""
    return api_as("agency", agency="wmp", sub="wmp-case-system")


@pytest.fixture
def practitioner(api_as):
    return api_as("practitioner", sub="priya", service="mash")


@pytest.fixture
def manager(api_as):
    return api_as("manager", sub="mark", service="mash")


@pytest.fixture
def auditor(api_as):
    return api_as("auditor", sub="alex")


@pytest.fixture
def staff(api_as):
    """The practitioners, managers and others of every service (tests.helpers.make_staff)."""
    return make_staff(api_as)


@pytest.fixture
def trail(auditor):
    return AuditTrail(auditor)


# ---- a strategy discussion and its meeting (tests/api/test_strategy_meeting*.py) -----------------


# (test_chronology.py's own `case` and test_icpc.py's own `meeting`, both different things,
# override these two in their modules.)


@pytest.fixture
def case(practitioner):
    """A police contact about Amelia whose current decision is strategy_discussion."""
    return strategy_case(practitioner)


@pytest.fixture
def meeting(practitioner, case):
    """The strategy meeting convened on that case: 08:45, for 09:30, police and GP invited."""
    return convene(practitioner, case)


@pytest.fixture
def held_meeting(practitioner, meeting):
    """That meeting, held at 09:30: an s47 enquiry."""
    return record_outcome(practitioner, meeting["id"])


# ---- a possible match (tests/api/test_child_identity.py, test_child_records_in_full.py) --------


@pytest.fixture
def weak(police, practitioner):
    """Amelia on record; a police contact giving her NHS number with another date of birth, for
    which a record of its own was made (a possible match to Amelia): (Amelia's record, the
    contact, the record made for its child)."""
    amelia = record_contact(practitioner)["children"][0]
    contact = created(police.post(CONTACTS, json=contact_body(children=[
        child("Amelia", NHS_AMELIA, date_of_birth="2019-04-03")])))
    return amelia["id"], contact["id"], contact["children"][0]["id"]


# ---- records read, for the access log (tests/api/test_access_log*.py) ---------------------------


@pytest.fixture
def family(staff, police, clock):
    """Amelia and Ben's records: a police contact about them both, a strategy meeting and a
    step-down about Amelia alone; and a contact about Zoe, who has nothing to do with them."""
    contact = record_contact(police, received_at=iso(clock() - timedelta(hours=1)),
                             children=[child("Amelia", new_nhs_number()),
                                       child("Ben", new_nhs_number())])
    amelia, ben = (c["id"] for c in contact["children"])
    decide(staff.mash, contact["id"], "strategy_discussion")
    meeting = convene_at(staff.mash, contact["id"], [amelia], clock())
    transition = created(step_down(staff.sc, amelia))
    other = record_contact(staff.mash, received_at=iso(clock() - timedelta(hours=2)),
                           children=[child("Zoe", new_nhs_number())],
                           source_agency="oakfield-primary")
    return SimpleNamespace(
        contact=contact["id"], amelia=amelia, ben=ben, meeting=meeting["id"],
        transition=transition["id"], other_contact=other["id"], zoe=other["children"][0]["id"],
    )


# ---- the timeliness metrics (tests/api/test_metrics*.py) -----------------------------------------


@pytest.fixture
def front_door(api_as, clock):
    """A front door to drive through the API at given moments (tests.helpers.FrontDoor)."""
    return FrontDoor(api_as, clock)


# ---- the bank holiday calendar changing (tests/domain/test_timescale_facts.py, test_icpc.py) ----


@pytest.fixture
def announce_holiday(monkeypatch):
    """Add a one-off bank holiday to England's calendar for the rest of the test."""

    def announce(day):
        published = timescales._bank_holidays

        def with_the_new_holiday(year, country, subdivision):
            announced = {day} if (year, country, subdivision) == (day.year, "GB", "ENG") else set()
            return published(year, country, subdivision) | announced

        monkeypatch.setattr(timescales, "_bank_holidays", with_the_new_holiday)

    return announce


@pytest.fixture
def recompute(app):
    runner = app.test_cli_runner()

    def run():
        result = runner.invoke(args=["timescales", "recompute"])
        assert result.exit_code == 0, result.output
        return {
            kind: int(n.removesuffix(" changed"))
            for kind, n in (part.split(": ") for part in result.output.strip().split(", "))
        }

    return run


# ---- the OpenAPI document (tests/contract/) -----------------------------------------------------


@pytest.fixture
def spec(app):
    """The spec generated from the code, as `flask openapi write` would write it."""
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return json.loads(json.dumps(api.spec.to_dict()))
