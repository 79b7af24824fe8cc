"""The fixtures the tests share; plain helpers are in tests/helpers.py.

Tests run on the real engines: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

The schema is built by the Alembic migrations. Each test runs inside one outer transaction that
is rolled back at the end; the app's commits become savepoints within it. Tokens are real,
signed with a key pair made for the run.
"""

import os

import pytest
from sqlalchemy import create_engine, text

from api.db import session
from tests.helpers import (
    DEFAULT_NOW, ApiClient, AuditTrail, build_app, convene, make_staff, own_database,
    record_outcome, strategy_case, token_for,
)


def _reset_postgres(url):
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url):
    app = build_app(database_url)
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
        return ApiClient(app, token_for(app, role, **claims))

    return make


@pytest.fixture
def anonymous(app):
    return ApiClient(app)


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
