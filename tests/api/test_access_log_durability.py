"""The access log is kept, whatever happens: a read that cannot be logged is not served, the
database refuses to change or remove events, and each event commits with (or beside) its read."""


import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from api import create_app, transactions
from api.cli import alembic_config, upgrade
from api.db import session
from api.models import AccessEvent, AccessEventRecord
from tests.helpers import (
    ACCESS_LOG_TRIGGERS, ApiClient, FakeClock, access_log_triggers, app_config, as_owner,
    assert_problem, build_app, contact_body, events_after, last_event_id, race, token_for,
)


def test_a_read_that_cannot_be_logged_is_not_served(db, staff, family):
    """Fail closed: if the event cannot be stored, the caller gets 503, not the record."""
    as_owner()  # a trigger is the owner's to add
    if db.dialect.name == "postgresql":
        db.execute(text("CREATE FUNCTION refuse_access_events() RETURNS trigger LANGUAGE plpgsql "
                        "AS $$ BEGIN RAISE EXCEPTION 'access log unavailable'; END; $$"))
        db.execute(text("CREATE TRIGGER refuse_access_events BEFORE INSERT ON access_events "
                        "FOR EACH ROW EXECUTE FUNCTION refuse_access_events()"))
    else:
        db.execute(text("CREATE TRIGGER refuse_access_events BEFORE INSERT ON access_events "
                        "BEGIN SELECT RAISE(ABORT, 'access log unavailable'); END"))
    before = last_event_id()
    response = staff.mash.get(f"/api/v1/contacts/{family.contact}")
    assert_problem(response, 503)
    assert family.amelia not in response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    assert events_after(before) == []


def test_the_database_refuses_to_change_or_remove_access_events(db, staff, family):
    staff.mash.get(f"/api/v1/contacts/{family.contact}")
    as_owner()  # the triggers refuse even the owner (the app's role has no such grant at all)
    statements = [
        "UPDATE access_events SET actor_sub = 'nobody'",
        "DELETE FROM access_events",
        "UPDATE access_event_records SET record_id = 'elsewhere'",
        "DELETE FROM access_event_records",
    ]
    if db.dialect.name == "postgresql":
        statements += ["TRUNCATE access_event_records", "TRUNCATE access_events CASCADE"]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            with session.begin_nested():
                session.execute(text(statement))
    assert session.scalar(select(func.count()).select_from(AccessEvent)) >= 1
    assert session.scalar(select(func.count()).where(AccessEvent.actor_sub == "nobody")) == 0
    assert session.scalar(select(func.count()).select_from(AccessEventRecord)) >= 1


def test_the_append_only_triggers_are_built_by_the_migrations(db):
    assert access_log_triggers(db) == ACCESS_LOG_TRIGGERS[db.dialect.name]


def test_the_lookups_by_record_person_and_time_are_served_by_indexes(db):
    indexes = {tuple(index["column_names"]) for table in ("access_events", "access_event_records")
               for index in inspect(db).get_indexes(table)}
    assert {("at", "id"), ("actor_sub", "at", "id"), ("record_id", "at", "event_id")} <= indexes


def test_the_access_log_migration_goes_down_and_up_again_cleanly(fresh_database_url):
    fresh = create_app(app_config(fresh_database_url, FakeClock()))
    engine = fresh.extensions["db"].engine
    try:
        upgrade(fresh)
        command.downgrade(alembic_config(fresh), "0003")
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert not {"access_events", "access_event_records"} & tables
            if connection.dialect.name == "postgresql":
                assert connection.scalar(text(
                    "SELECT count(*) FROM pg_proc WHERE proname = 'access_log_append_only'")) == 0
        upgrade(fresh)
        with engine.connect() as connection:
            assert {"access_events", "access_event_records"} <= set(inspect(connection).get_table_names())
            assert access_log_triggers(connection) == ACCESS_LOG_TRIGGERS[connection.dialect.name]
    finally:
        engine.dispose()


def test_on_a_real_database_concurrent_reads_each_commit_their_event_refused_ones_too(
        fresh_database_url):
    """No outer test transaction here: each event is a commit of its own, beside the read's."""
    app = build_app(fresh_database_url)
    try:
        created = ApiClient(app, token_for(app, "agency", sub="wmp-client", agency="wmp")).post(
            "/api/v1/contacts", json=contact_body())
        assert created.status_code == 201, created.json
        path = f"/api/v1/contacts/{created.json['id']}"
        readers = [ApiClient(app, token_for(app, "practitioner", sub=f"reader-{i}")) for i in range(6)]
        readers.append(ApiClient(app, token_for(app, "admin", sub="ada")))  # refused: 403
        reads = race(*(lambda client=client: [client.get(path).status_code for _ in range(5)]
                       for client in readers))
        statuses = [status for each in reads for status in each]
        assert sorted(statuses) == [200] * 30 + [403] * 5

        with app.extensions["db"].engine.connect() as connection:
            kept = connection.execute(text(
                "SELECT status, count(*) FROM access_events WHERE entity_id = :id GROUP BY status"),
                {"id": created.json["id"]}).all()
        assert dict(kept) == {200: 30, 403: 5}
    finally:
        app.extensions["db"].engine.dispose()


def test_on_a_real_database_a_read_and_its_event_take_one_transaction_on_postgresql(
        fresh_database_url):
    """PostgreSQL: the event is written and committed in the read's own transaction (one
    transaction, one pooled connection). SQLite: the read's transaction cannot take a write, so
    the event has a write transaction of its own. Either way the event is kept, a refused
    read's too."""
    from sqlalchemy import event as sqlalchemy_event

    app = build_app(fresh_database_url)
    engine = app.extensions["db"].engine
    try:
        created = ApiClient(app, token_for(app, "agency", sub="wmp-client", agency="wmp")).post(
            "/api/v1/contacts", json=contact_body())
        assert created.status_code == 201, created.json
        path = f"/api/v1/contacts/{created.json['id']}"
        begun, committed = [], []
        on_begin, on_commit = begun.append, committed.append  # one bound method each, to remove
        sqlalchemy_event.listen(engine, "begin", on_begin)
        sqlalchemy_event.listen(engine, "commit", on_commit)
        try:
            assert ApiClient(app, token_for(app, "practitioner", sub="pat")).get(path).status_code == 200
            read = (len(begun), len(committed))
            begun.clear(), committed.clear()
            assert ApiClient(app, token_for(app, "admin", sub="ada")).get(path).status_code == 403
            refused = (len(begun), len(committed))
        finally:
            sqlalchemy_event.remove(engine, "begin", on_begin)
            sqlalchemy_event.remove(engine, "commit", on_commit)
        # A refused read's transaction was rolled back (a failed request changes nothing), so
        # its event has a transaction of its own on either engine.
        assert read == ((1, 1) if engine.dialect.name == "postgresql" else (2, 1))
        assert refused == (2, 1)
        with engine.connect() as connection:
            kept = connection.execute(text(
                "SELECT actor_sub, status FROM access_events WHERE entity_id = :id ORDER BY id"),
                {"id": created.json["id"]}).all()
        assert [tuple(row) for row in kept] == [("pat", 200), ("ada", 403)]
    finally:
        engine.dispose()


def test_the_event_never_commits_what_a_read_changed_by_mistake(app):
    """The read's own transaction takes the event only if the read changed nothing; a change
    made by mistake (a read is not meant to make any) is discarded with the read's session."""
    from api.models import Agency

    postgresql = app.extensions["db"].dialect == "postgresql"
    with app.test_request_context("/api/v1/contacts/x"):
        clean = session()
        session.connection()
        with transactions.appending_after_read() as chosen:
            assert (chosen is clean) == postgresql
        session.remove()

        careless = session()
        session.connection()
        session.add(Agency(code="made-by-a-read", name="Not meant", kind="other",
                           referral_source="9"))
        with transactions.appending_after_read() as chosen:
            assert chosen is not careless
        assert not careless.new  # discarded, never to be committed
        session.remove()
        assert session.get(Agency, "made-by-a-read") is None
