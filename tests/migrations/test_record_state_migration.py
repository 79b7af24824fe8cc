"""Revision 0013: audit events gain the state hash of their record; down and up again."""

from alembic import command
from sqlalchemy import inspect

from api import audit
from api.cli import alembic_config, upgrade
from api.db import session
from tests.helpers import ApiClient, build_app, contact_body, differences, token_for


def state_column(app):
    with app.extensions["db"].engine.connect() as connection:
        return "state_hash" in {c["name"] for c in inspect(connection).get_columns("audit_events")}


def test_0013_down_keeps_the_state_hashes_events_hold_and_up_again_uses_them(fresh_database_url):
    app = build_app(fresh_database_url)
    try:
        staff = ApiClient(app, token_for(app, "practitioner"))
        assert staff.post("/api/v1/contacts", json=contact_body()).status_code == 201

        command.downgrade(alembic_config(app), "0012")
        # Dropping them would leave those events unverifiable for good.
        assert state_column(app)
        upgrade(app)
        assert differences(app) == []
        with app.app_context():
            assert audit.verify().valid is True
            session.remove()
    finally:
        app.extensions["db"].engine.dispose()


def test_0013_down_drops_the_column_when_no_event_holds_a_state(fresh_database_url):
    from api import create_app
    from tests.helpers import FakeClock, app_config

    app = create_app(app_config(fresh_database_url, FakeClock()))
    try:
        upgrade(app)  # no seeds: no event at all
        assert state_column(app)
        command.downgrade(alembic_config(app), "0012")
        assert not state_column(app)
        upgrade(app)
        assert state_column(app)
        assert differences(app) == []
    finally:
        app.extensions["db"].engine.dispose()
