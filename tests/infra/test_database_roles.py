"""On PostgreSQL the app's role cannot undo what keeps the audit trail and the access log
append-only: it owns no table (so it can neither alter, disable nor drop their triggers) and it
is granted no UPDATE, DELETE or TRUNCATE on them. Migrations run as the owner (api/grants.py).

Logged in as the app's role itself (TEST_DATABASE_URL), on the run's migrated database."""

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.helpers import OWNER_URL, only_on

pytestmark = only_on("postgresql", "database roles and grants are PostgreSQL's; SQLite has none")

REFUSED = [
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "ALTER TABLE access_events DISABLE TRIGGER access_events_no_update_delete",
    "ALTER TABLE access_event_records DISABLE TRIGGER USER",
    "DROP TRIGGER audit_events_no_update_delete ON audit_events",
    "DROP TRIGGER access_events_no_update_delete ON access_events",
    "DROP FUNCTION audit_events_append_only() CASCADE",
    "DROP TABLE access_event_records",
    "UPDATE audit_events SET data = '{}'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "UPDATE access_events SET actor_sub = 'someone.else'",
    "DELETE FROM access_events",
    "DELETE FROM access_event_records",
    "TRUNCATE access_events CASCADE",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TABLE shadow_audit (seq bigint)",
]


@pytest.fixture
def as_the_app(app, database_url):
    """A connection logged in as the app's role (the run's app has migrated and granted)."""
    if not OWNER_URL:
        pytest.skip("TEST_MIGRATION_DATABASE_URL is not set: one role owns and runs the "
                    "database here (.ci/run sets both, so CI runs this)")
    engine = create_engine(database_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


@pytest.mark.parametrize("statement", REFUSED)
def test_the_apps_role_may_not(as_the_app, statement):
    with pytest.raises(DBAPIError, match="must be owner|permission denied"), as_the_app.begin():
        as_the_app.exec_driver_sql(statement)


def test_the_apps_role_cannot_become_the_owner(as_the_app):
    owner = make_url(OWNER_URL).username
    with pytest.raises(DBAPIError, match="permission denied"), as_the_app.begin():
        as_the_app.exec_driver_sql(f'SET ROLE "{owner}"')


def test_the_apps_role_owns_nothing_and_is_not_the_databases_owner(as_the_app):
    owned = as_the_app.scalar(text(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)"))
    assert owned == 0
    database_owner = as_the_app.scalar(text(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"))
    assert database_owner != as_the_app.scalar(text("SELECT current_user"))
    as_the_app.rollback()


def test_the_apps_role_may_still_do_its_work(as_the_app):
    """Read and append to the trail and the log; read and change the case tables."""
    with as_the_app.begin() as transaction:
        as_the_app.exec_driver_sql("SELECT count(*) FROM audit_events")
        as_the_app.exec_driver_sql(
            "INSERT INTO access_events (at, token, method, endpoint, path, status, entity_type, "
            "child_ids) VALUES (now(), 'missing', 'GET', 'x', '/x', 401, 'contact', '[]')")
        as_the_app.exec_driver_sql("UPDATE contacts SET concern_summary = concern_summary")
        as_the_app.exec_driver_sql("DELETE FROM sign_in_failures")
        transaction.rollback()


def test_ci_runs_the_suite_as_an_app_role_apart_from_the_owner():
    """.ci/run sets both URLs; with two roles set, they must differ (or nothing is proven)."""
    if OWNER_URL:
        assert make_url(OWNER_URL).username != make_url(os.environ["TEST_DATABASE_URL"]).username
