"""The Alembic migrations build exactly the schema the models describe, both ways."""

from datetime import UTC, datetime
from uuid import UUID

import pytest
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

import api.models  # noqa: F401  (every table on Base.metadata)
from api import create_app
from api.cli import alembic_config, upgrade
from api.db import Base
from tests.helpers import FakeClock, app_config, audit_triggers, differences


AUDIT_TRIGGERS = {
    "sqlite": {"audit_events_no_update", "audit_events_no_delete"},
    "postgresql": {"audit_events_no_update_delete", "audit_events_no_truncate"},
}


@pytest.fixture
def fresh_app(fresh_database_url):
    """An app on an empty database: no migration has run yet."""
    app = create_app(app_config(fresh_database_url, FakeClock()))
    yield app
    app.extensions["db"].engine.dispose()


def engine_of(app):
    return app.extensions["db"].engine


def tables(app):
    with engine_of(app).connect() as connection:
        return set(inspect(connection).get_table_names())


def current_revision(app):
    with engine_of(app).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_migrations_have_a_single_head(app):
    assert len(ScriptDirectory.from_config(alembic_config(app)).get_heads()) == 1


def test_an_empty_database_upgraded_to_head_matches_the_models(fresh_app):
    upgrade(fresh_app)
    assert differences(fresh_app) == []


def test_upgrading_leaves_the_database_at_the_head_revision(fresh_app):
    upgrade(fresh_app)
    head = ScriptDirectory.from_config(alembic_config(fresh_app)).get_current_head()
    assert current_revision(fresh_app) == head


def test_upgrading_a_database_already_at_head_changes_nothing(fresh_app):
    upgrade(fresh_app)
    upgrade(fresh_app)
    assert differences(fresh_app) == []
    assert audit_triggers(fresh_app) == AUDIT_TRIGGERS[engine_of(fresh_app).dialect.name]


def test_the_append_only_triggers_exist_after_upgrade(fresh_app):
    upgrade(fresh_app)
    assert audit_triggers(fresh_app) == AUDIT_TRIGGERS[engine_of(fresh_app).dialect.name]


def test_downgrading_to_base_removes_everything_and_upgrading_again_rebuilds_it(fresh_app):
    upgrade(fresh_app)
    command.downgrade(alembic_config(fresh_app), "base")
    assert tables(fresh_app) <= {"alembic_version"}
    assert current_revision(fresh_app) is None
    if engine_of(fresh_app).dialect.name == "postgresql":
        with engine_of(fresh_app).connect() as connection:
            left = connection.scalar(text(
                "SELECT count(*) FROM pg_proc WHERE proname = 'audit_events_append_only'"
            ))
        assert left == 0

    upgrade(fresh_app)
    assert differences(fresh_app) == []
    assert set(Base.metadata.tables) <= tables(fresh_app)
    assert audit_triggers(fresh_app) == AUDIT_TRIGGERS[engine_of(fresh_app).dialect.name]


def test_0006_copies_each_decisions_contact_receipt_and_each_contacts_first_feedback(fresh_database_url):
    """Records written before 0006 get the copied columns: downgrade past it and upgrade again."""
    from tests.helpers import ApiClient, build_app, contact_body, token_for

    app = build_app(fresh_database_url)
    try:
        staff = ApiClient(app, token_for(app, "practitioner"))
        received = ["2026-11-18T09:30:00Z", "2026-11-19T16:45:00+00:00"]
        ids = []
        for at in received:
            made = staff.post("/api/v1/contacts", json=contact_body(received_at=at))
            assert made.status_code == 201, made.get_json()
            ids.append(made.get_json()["id"])
        first = staff.post(f"/api/v1/contacts/{ids[0]}/decisions",
                           json={"outcome": "nfa", "rationale": "No role for children's services."})
        assert first.status_code == 201, first.get_json()
        again = staff.post(f"/api/v1/contacts/{ids[0]}/decisions", json={
            "outcome": "information_advice", "rationale": "Advice to the family on support.",
            "supersedes": first.get_json()["id"], "supersede_reason": "The school added detail."})
        assert again.status_code == 201, again.get_json()
        # A held strategy meeting: two agencies invited, one attended.
        from tests.helpers import convene, record_outcome, strategy_case

        case = strategy_case(staff, received_at="2026-11-19T08:00:00Z", decided_at="2026-11-19T08:30:00Z")
        meeting = convene(staff, case)
        invited = [i["agency"] for i in meeting["invited"]]
        assert len(invited) == 2, meeting
        record_outcome(staff, meeting["id"], attendance=[
            {"agency": invited[0], "attended": True, "name": "A. Officer", "role": "DS"},
            {"agency": invited[1], "attended": False}])
        for given_at in ("2026-11-20T09:00:00Z", "2026-11-19T12:00:00Z"):  # the earlier, second
            fed = staff.post(f"/api/v1/contacts/{ids[0]}/feedback", json={
                "given_at": given_at, "method": "phone", "summary": "Told the outcome."})
            assert fed.status_code == 201, fed.get_json()

        command.downgrade(alembic_config(app), "0005")
        with engine_of(app).connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("decisions")}
        assert "contact_received_at" not in columns
        upgrade(app)

        with app.app_context():
            from api.db import session
            from api.models import Contact, Decision, StrategyMeeting

            decisions = session.scalars(
                select(Decision).where(Decision.contact_id == UUID(ids[0])).order_by(Decision.recorded_at)).all()
            assert [d.contact_received_at for d in decisions] == [
                datetime(2026, 11, 18, 9, 30, tzinfo=UTC)] * 2
            strategy = session.scalar(select(Decision).where(Decision.contact_id == UUID(case.contact_id)))
            assert strategy.contact_received_at == datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
            contacts = {str(c.id): c for c in session.scalars(select(Contact))}
            assert contacts[ids[0]].feedback_given_at == datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
            assert contacts[ids[1]].feedback_given_at is None
            held = session.get(StrategyMeeting, UUID(meeting["id"]))
            assert (held.agencies_invited, held.agencies_attended) == (2, 1)
            session.remove()
        assert differences(app) == []
    finally:
        app.extensions["db"].engine.dispose()


def test_0012_keeps_each_contacts_children_as_given_and_goes_down_and_up_again(fresh_database_url):
    """Entries recorded before 0012 are each linked to the record they were (first_child_id),
    one recorded without details (before 0002) takes them from its record; a merge that left one
    contact naming one record twice goes down to the old key as one entry, and up again."""
    from tests.helpers import ApiClient, build_app, child, contact_body, token_for

    app = build_app(fresh_database_url)
    try:
        staff = ApiClient(app, token_for(app, "practitioner"))
        made = staff.post("/api/v1/contacts", json=contact_body(children=[
            child(), child("Ben", "4010232137", date_of_birth="2016-06-06", ethnicity="WBRI")]))
        assert made.status_code == 201, made.get_json()
        contact = made.get_json()
        amelia, ben = (c["id"] for c in contact["children"])
        merged = staff.post(f"/api/v1/children/{amelia}/merge",
                            json={"duplicate": ben, "reason": "Recorded twice by mistake."})
        assert merged.status_code == 201, merged.get_json()

        command.downgrade(alembic_config(app), "0011")
        with engine_of(app).begin() as connection:
            rows = connection.execute(text(
                "SELECT child_id, position FROM contact_children")).all()
            assert [(str(UUID(str(r[0]))), r[1]) for r in rows] == [(amelia, 0)]
            assert "child_merges" not in inspect(connection).get_table_names()
            # An entry as 0001 recorded it: no details. (Ben is a record of his own again.)
            connection.execute(text(
                "INSERT INTO contact_children (contact_id, child_id, position, details) "
                "SELECT contact_id, :ben, 1, NULL FROM contact_children"),
                {"ben": UUID(ben).hex if connection.dialect.name == "sqlite" else ben})
        upgrade(app)

        with app.app_context():
            from api.db import session
            from api.models import Child, ContactChild

            entries = session.scalars(select(ContactChild).order_by(ContactChild.position)).all()
            assert [(str(e.child_id), str(e.first_child_id)) for e in entries] == [
                (amelia, amelia), (ben, ben)]
            assert entries[0].details["given_name"] == "Amelia"
            assert entries[1].details == {
                "given_name": "Ben", "family_name": "Hughes", "date_of_birth": "2016-06-06",
                "sex": "female", "ethnicity": "WBRI", "nhs_number": "4010232137"}
            assert session.get(Child, UUID(ben)).merged_into_id is None
            session.remove()
        assert differences(app) == []
    finally:
        app.extensions["db"].engine.dispose()


def test_0015_judges_earlier_decisions_by_the_statutory_deadline_and_goes_down_and_up_again(
        fresh_database_url):
    """Decisions written before 0015 were judged by the statutory deadline, which was then every
    contact's: their RAG fact is that one. Going down drops the ratings; up again, none is left."""
    from tests.helpers import ApiClient, build_app, contact_body, token_for

    app = build_app(fresh_database_url)
    try:
        staff = ApiClient(app, token_for(app, "practitioner"))
        late = staff.post("/api/v1/contacts", json=contact_body(received_at="2026-11-16T09:00:00Z"))
        rated = staff.post("/api/v1/contacts", json=contact_body(received_at="2026-11-19T09:00:00Z"))
        assert late.status_code == rated.status_code == 201
        late_id, rated_id = late.get_json()["id"], rated.get_json()["id"]
        # Received Monday, decided Thursday: late for the statutory Tuesday.
        decided = staff.post(f"/api/v1/contacts/{late_id}/decisions", json={
            "outcome": "nfa", "rationale": "No role for children's services.",
            "decided_at": "2026-11-19T10:00:00Z"})
        assert decided.status_code == 201, decided.get_json()
        assert staff.post(f"/api/v1/contacts/{rated_id}/rag", json={
            "rating": "red", "reason": "Disclosure of harm today; the child is afraid to go home.",
        }).status_code == 201

        command.downgrade(alembic_config(app), "0014")
        assert "rag_ratings" not in tables(app)
        with engine_of(app).connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("decisions")}
            # What 0014's code holds as true or false of a decision, left for the backfill.
            connection.execute(text("UPDATE decisions SET within_1_working_day = :no"), {"no": False})
            connection.commit()
        assert "within_rag_deadline" not in columns
        upgrade(app)

        with app.app_context():
            from api.db import session
            from api.models import Contact, Decision, RagRating

            decision = session.scalar(select(Decision).where(Decision.contact_id == UUID(late_id)))
            assert (decision.within_1_working_day, decision.within_rag_deadline) == (False, False)
            assert session.get(Contact, UUID(rated_id)).rag_rating is None
            assert session.scalars(select(RagRating)).all() == []
            session.remove()
        assert differences(app) == []
    finally:
        app.extensions["db"].engine.dispose()


def test_0016_adds_the_information_requests_and_goes_down_and_up_again(fresh_database_url):
    """0016 is two new tables: going down drops them with their requests; up again, empty."""
    from tests.helpers import ApiClient, build_app, contact_body, token_for

    app = build_app(fresh_database_url)
    try:
        staff = ApiClient(app, token_for(app, "practitioner"))
        contact = staff.post("/api/v1/contacts", json=contact_body(received_at="2026-11-19T09:00:00Z"))
        assert contact.status_code == 201
        body = contact.get_json()
        asked = staff.post(f"/api/v1/contacts/{body['id']}/information-requests", json={
            "agency": "hilltop-gp", "question": "Is the family registered with you?",
            "child_ids": [body["children"][0]["id"]]})
        assert asked.status_code == 201, asked.get_json()
        assert {"information_requests", "information_request_children"} <= tables(app)

        command.downgrade(alembic_config(app), "0015")
        assert not {"information_requests", "information_request_children"} & tables(app)
        upgrade(app)

        with app.app_context():
            from api.db import session
            from api.models import InformationRequest

            assert session.scalars(select(InformationRequest)).all() == []
            session.remove()
        assert differences(app) == []
    finally:
        app.extensions["db"].engine.dispose()


def test_0017_stores_each_answers_seconds_and_goes_down_and_up_again(fresh_database_url):
    """0017 adds seconds_to_response: an answer given before it gets its seconds from its own two
    times (not the clock), and going down and up again keeps the answer."""
    from tests.helpers import ApiClient, FakeClock, build_app, contact_body, token_for

    clock = FakeClock(datetime(2026, 11, 19, 10, 0, tzinfo=UTC))
    app = build_app(fresh_database_url, clock=clock)
    try:
        staff = ApiClient(app, token_for(app, "practitioner"))
        gp = ApiClient(app, token_for(app, "agency", agency="hilltop-gp", sub="hilltop-system"))
        contact = staff.post("/api/v1/contacts", json=contact_body(received_at="2026-11-19T09:00:00Z"))
        assert contact.status_code == 201
        body = contact.get_json()
        asked = staff.post(f"/api/v1/contacts/{body['id']}/information-requests", json={
            "agency": "hilltop-gp", "question": "Is the family registered with you?",
            "child_ids": [body["children"][0]["id"]]})
        assert asked.status_code == 201, asked.get_json()
        clock.advance(hours=5)
        # Answered 1 hour, 2 minutes and 3 seconds after the request, recorded later still.
        answered = gp.post(f"/api/v1/information-requests/{asked.get_json()['id']}/response", json={
            "known": False, "responded_at": "2026-11-19T11:02:03+00:00"})
        assert answered.status_code == 201, answered.get_json()

        command.downgrade(alembic_config(app), "0016")
        with engine_of(app).connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("information_requests")}
        assert "seconds_to_response" not in columns
        upgrade(app)

        with app.app_context():
            from api.db import session
            from api.models import InformationRequest

            (record,) = session.scalars(select(InformationRequest)).all()
            assert record.status == "answered"
            assert record.seconds_to_response == 3723
            session.remove()
        assert differences(app) == []
    finally:
        app.extensions["db"].engine.dispose()


def test_0019_copies_each_access_records_reader_and_keeps_the_log_append_only(fresh_database_url):
    """0019 gives every access event record its event's reader (rows written before it too), and
    the append-only trigger it lifts for that is back afterwards."""
    from sqlalchemy.exc import DBAPIError

    from tests.helpers import ApiClient, build_app, contact_body, token_for

    app = build_app(fresh_database_url)
    try:
        police = ApiClient(app, token_for(app, "agency", agency="wmp", sub="wmp-system"))
        contact = police.post("/api/v1/contacts", json=contact_body())
        assert contact.status_code == 201
        staff = ApiClient(app, token_for(app, "practitioner", sub="priya"))
        assert staff.get(f"/api/v1/contacts/{contact.get_json()['id']}").status_code == 200

        command.downgrade(alembic_config(app), "0018")
        owner = app.extensions["db"].migration_engine
        with owner.begin() as connection:
            # A record written by the code before 0019, which knew no reader column.
            event_id = connection.scalar(text("SELECT max(id) FROM access_events"))
            connection.execute(text(
                "INSERT INTO access_event_records (event_id, record_id, at) "
                "SELECT id, 'written-before-0019', at FROM access_events WHERE id = :id"),
                {"id": event_id})
        upgrade(app)

        with owner.connect() as connection:
            rows = connection.execute(text(
                "SELECT r.actor_sub, e.actor_sub FROM access_event_records r "
                "JOIN access_events e ON e.id = r.event_id")).all()
            assert rows and all(mine == theirs for mine, theirs in rows)
            assert ("priya", "priya") in rows
        with pytest.raises(DBAPIError, match="append-only"):
            with owner.begin() as connection:
                connection.execute(text("UPDATE access_event_records SET actor_sub = 'someone'"))
        assert differences(app) == []
    finally:
        app.extensions["db"].engine.dispose()


def test_0021_adds_what_comes_after_the_front_door_and_goes_down_and_up_again(fresh_database_url):
    """0021 is three new tables (assessments, their factors, allocations) and columns on contacts
    and children: going down drops them with what they held; up again, empty, and every record
    still in the state its last event holds (the columns added are left out of a record's
    state while empty: api/record_state.py ADDED_LATER)."""
    from tests.helpers import ApiClient, build_app, contact_body, token_for

    app = build_app(fresh_database_url)
    try:
        staff = ApiClient(app, token_for(app, "practitioner"))
        manager = ApiClient(app, token_for(app, "manager"))
        auditor = ApiClient(app, token_for(app, "auditor"))
        contact = staff.post("/api/v1/contacts", json=contact_body(
            received_at="2026-11-19T09:00:00Z", consent={"status": "given", "given_by": "Mother"}))
        assert contact.status_code == 201, contact.get_json()
        body = contact.get_json()
        assert staff.post(f"/api/v1/contacts/{body['id']}/decisions", json={
            "outcome": "assessment", "decided_at": "2026-11-19T10:00:00Z",
            "rationale": "Repeated call-outs: the children's needs must be assessed."},
        ).status_code == 201
        assert manager.post(f"/api/v1/contacts/{body['id']}/allocation", json={
            "team": "Assessment team 1", "worker": "sam"}).status_code == 201
        assert staff.post("/api/v1/assessments", json={
            "contact_id": body["id"], "child_id": body["children"][0]["id"],
            "started_at": "2026-11-19T11:00:00Z"}).status_code == 201
        assert {"assessments", "assessment_factors", "allocations"} <= tables(app)

        command.downgrade(alembic_config(app), "0020")
        assert not {"assessments", "assessment_factors", "allocations"} & tables(app)
        upgrade(app)

        with app.app_context():
            from api.db import session
            from api.models import Assessment, Contact

            assert session.scalars(select(Assessment)).all() == []
            assert session.get(Contact, UUID(body["id"])).allocated_worker is None
            session.remove()
        assert differences(app) == []
        state = auditor.get("/api/v1/audit/state")
        assert state.status_code == 200, state.get_json()
        # Going down dropped the assessment, the contact's allocation and the referral's
        # allocation deadline, which their last events hold: the state check says so, and of
        # nothing else.
        assert sorted((f["entity_type"], f["finding"]) for f in state.get_json()["findings"]) == [
            ("assessment", "orphan_event"), ("contact", "differs"), ("decision", "differs")]
    finally:
        app.extensions["db"].engine.dispose()
