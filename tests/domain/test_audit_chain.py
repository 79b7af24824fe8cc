"""The hash chain itself: how events are hashed and linked, how tampering is found, and that
the database refuses to change history and two writers cannot fork it."""

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from api import audit, create_app, record_state
from api.caller import Actor, system_actor
from api.cli import upgrade
from api.db import session
from api.models import AuditEvent
from tests.helpers import (
    ApiClient, FakeClock, app_config, as_owner, build_app, contact_body, drop_append_only_triggers,
    only_on, race, token_for,
)


GENESIS = "0" * 64
VERIFY = "/api/v1/audit/verify"
NO_SEALS = {"valid": True, "sealed_batches": 0, "sealed_events": 0, "unsealed_events": 0,
            "first_bad_seal_seq": None}


@pytest.fixture(autouse=True)
def things_are_no_stored_record(monkeypatch):
    """This module's events name a "thing", which no table holds: they carry no state."""
    monkeypatch.setattr(record_state, "NOT_RECORDS", record_state.NOT_RECORDS | {"thing"})


def dialect():
    return session.get_bind().dialect.name


def head():
    return session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))


def chain_length():
    return session.scalar(select(func.count()).select_from(AuditEvent))


def record_some(n=3):
    actor = Actor(sub="priya.mash", role="practitioner", service="mash")
    events = [
        audit.record(actor, "test.written", "thing", f"thing-{i}", {"n": i, "note": "café"})
        for i in range(n)
    ]
    session.commit()
    return events


# ---- canonical JSON and the hash ----------------------------------------------------------------


def test_canonical_json_sorts_keys_leaves_no_spaces_and_keeps_non_ascii_text():
    assert audit.canonical_json({"b": 1, "a": {"d": [1, 2], "c": "Zoë"}}) == (
        '{"a":{"c":"Zoë","d":[1,2]},"b":1}'
    )


def test_canonical_json_writes_instants_in_utc_with_microseconds():
    instant = datetime(2026, 6, 15, 1, 30, tzinfo=timezone(timedelta(hours=1)))
    assert audit.canonical_json({"at": instant}) == '{"at":"2026-06-15T00:30:00.000000Z"}'


def test_canonical_json_writes_dates_uuids_decimals_and_sets_as_plain_strings_and_lists():
    value = {
        "born": date(2019, 4, 2),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "amount": Decimal("1.50"),
        "tags": {"b", "a"},
    }
    assert json.loads(audit.canonical_json(value)) == {
        "born": "2019-04-02",
        "id": "12345678-1234-5678-1234-567812345678",
        "amount": "1.50",
        "tags": ["a", "b"],
    }


def test_canonical_json_refuses_a_value_it_cannot_write_faithfully():
    with pytest.raises(TypeError, match="audit event"):
        audit.canonical_json({"x": object()})


def test_compute_hash_is_sha256_of_the_previous_hash_then_the_canonical_payload():
    payload = {"seq": 1, "data": {"b": 2, "a": 1}}
    expected = hashlib.sha256((GENESIS + '{"data":{"a":1,"b":2},"seq":1}').encode()).hexdigest()
    assert audit.compute_hash(GENESIS, payload) == expected
    assert audit.compute_hash("1" * 64, payload) != expected


# ---- appending ------------------------------------------------------------------------------------


def test_an_appended_event_follows_the_head_and_stores_its_data_exactly_as_hashed(clock):
    clock.set(datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC))
    previous = head()
    actor = Actor(sub="priya.mash", role="practitioner", service="mash")
    data = {"when": datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "b": 1, "a": "Zoë"}
    event = audit.record(actor, "thing.written", "thing", uuid.UUID(int=7), data)

    assert event.seq == previous.seq + 1
    assert event.prev_hash == previous.hash
    assert event.at == datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC)
    assert event.entity_id == "00000000-0000-0000-0000-000000000007"
    assert event.data == '{"a":"Zoë","b":1,"when":"2026-11-20T09:00:00.000000Z"}'
    assert event.actor == {"sub": "priya.mash", "role": "practitioner", "agency": None,
                           "service": "mash"}
    payload = {
        "seq": event.seq, "at": "2026-11-20T10:00:00.123456Z", "actor": event.actor,
        "action": "thing.written", "entity_type": "thing", "entity_id": event.entity_id,
        "data": json.loads(event.data),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert event.hash == hashlib.sha256((previous.hash + canonical).encode()).hexdigest()


def test_data_that_cannot_be_written_faithfully_appends_nothing():
    before = chain_length()
    with pytest.raises(TypeError):
        audit.record(system_actor("test"), "thing.written", "thing", "x", {"x": object()})
    assert chain_length() == before


def test_events_appended_around_savepoints_follow_each_other_without_a_gap():
    """A transaction remembers the head it appended, except across a savepoint begun or ended:
    an event kept by a released savepoint, or lost with a rolled-back one, is never skipped or
    doubled by the next event."""
    actor = system_actor("test")
    before = head()
    first = audit.record(actor, "thing.written", "thing", "1", {})
    with session.begin_nested():
        inside = audit.record(actor, "thing.written", "thing", "2", {})
    after_release = audit.record(actor, "thing.written", "thing", "3", {})
    savepoint = session.begin_nested()
    audit.record(actor, "thing.written", "thing", "lost", {})
    savepoint.rollback()
    after_rollback = audit.record(actor, "thing.written", "thing", "4", {})
    session.commit()

    events = [first, inside, after_release, after_rollback]
    assert [e.seq for e in events] == [before.seq + n for n in (1, 2, 3, 4)]
    assert [e.prev_hash for e in events] == [before.hash, first.hash, inside.hash,
                                            after_release.hash]
    stored = session.scalars(select(AuditEvent).where(AuditEvent.seq > before.seq)
                             .order_by(AuditEvent.seq)).all()
    assert [(e.seq, e.entity_id, e.hash) for e in stored] == [
        (e.seq, e.entity_id, e.hash) for e in events]
    assert audit.verify().valid is True


def test_a_new_transaction_reads_the_head_again():
    actor = system_actor("test")
    first = audit.record(actor, "thing.written", "thing", "1", {})
    session.rollback()
    again = audit.record(actor, "thing.written", "thing", "2", {})
    session.commit()
    assert again.seq == first.seq  # the rolled-back event's place is taken, not skipped
    assert audit.verify().valid is True


def test_verify_accepts_an_untouched_chain_and_names_its_head():
    events = record_some()
    result = audit.verify()
    assert result.valid is True
    assert result.first_bad_seq is None
    assert result.length == chain_length()
    assert result.head_hash == events[-1].hash == head().hash


def test_verify_reads_the_chain_in_small_batches_with_the_same_answer():
    record_some(5)
    assert audit.verify(batch_size=2) == audit.verify()


def test_an_empty_chain_verifies_and_the_first_event_starts_from_the_genesis_hash(
    fresh_database_url,
):
    # Migrated but not seeded: no event at all yet.
    app = create_app(app_config(fresh_database_url, FakeClock()))
    try:
        upgrade(app)
        with app.app_context():
            assert audit.verify().as_dict() == {
                "valid": True, "length": 0, "head_hash": GENESIS, "first_bad_seq": None,
                "access_log": NO_SEALS,
            }
            first = audit.record(system_actor("test"), "thing.written", "thing", "1", {})
            session.commit()
            assert (first.seq, first.prev_hash) == (1, GENESIS)
            assert audit.verify().as_dict() == {
                "valid": True, "length": 1, "head_hash": first.hash, "first_bad_seq": None,
                "access_log": NO_SEALS,
            }
    finally:
        app.extensions["db"].engine.dispose()


# ---- tampering is found ---------------------------------------------------------------------------


def test_changing_a_past_events_data_is_reported_at_that_event(api_as):
    auditor = api_as("auditor")
    practitioner = api_as("practitioner")
    created = practitioner.post("/api/v1/contacts", json=contact_body())
    assert created.status_code == 201
    later = practitioner.post("/api/v1/contacts", json=contact_body(source_reference="PPN-2"))
    assert later.status_code == 201
    assert auditor.get(VERIFY).json["valid"] is True
    target = session.scalar(
        select(AuditEvent.seq).where(AuditEvent.action == "contact.recorded",
                                     AuditEvent.entity_id == created.json["id"])
    )
    length = chain_length()
    assert target < length  # a past event, with a later one chained to it

    drop_append_only_triggers()
    session.execute(
        text("UPDATE audit_events SET data = REPLACE(data, 'not_sought', 'given') WHERE seq = :seq"),
        {"seq": target},
    )
    session.commit()

    result = auditor.get(VERIFY).json
    assert result["access_log"]["valid"] is True
    assert {**result, "access_log": None} == {
        "valid": False, "length": length, "head_hash": head().hash, "first_bad_seq": target,
        "access_log": None,
    }


def test_changing_an_early_event_in_the_middle_of_the_chain_is_reported_at_that_event(api_as):
    record_some(3)
    drop_append_only_triggers()
    session.execute(text("UPDATE audit_events SET data = '{\"code\":\"forged\"}' WHERE seq = 2"))
    session.commit()
    result = api_as("auditor").get(VERIFY).json
    assert result["valid"] is False
    assert result["first_bad_seq"] == 2
    assert result["length"] == chain_length()


@pytest.mark.parametrize("recorded, change, changed", [
    pytest.param(3, "actor_sub = 'someone.else'", 1,
                 id="changing who acted is found as surely as changing what was written"),
    pytest.param(2, "action = 'thing.erased'", -1,
                 id="changing the last event is found even though nothing follows it"),
    pytest.param(2, "data = 'not json'", 0,
                 id="data that is no longer JSON is reported rather than crashing verify"),
])
def test_a_changed_event_is_reported_at_its_own_seq(recorded, change, changed):
    events = record_some(recorded)
    drop_append_only_triggers()
    session.execute(text(f"UPDATE audit_events SET {change} WHERE seq = :seq"),
                    {"seq": events[changed].seq})
    session.commit()
    result = audit.verify()
    assert (result.valid, result.first_bad_seq) == (False, events[changed].seq)


def test_rehashing_a_changed_event_still_breaks_the_link_to_the_next_one():
    events = record_some(3)
    middle = events[1]
    forged_data = '{"n":1,"note":"forged"}'
    forged_hash = audit.compute_hash(
        middle.prev_hash,
        {"seq": middle.seq, "at": audit.iso_utc(middle.at), "actor": middle.actor,
         "action": middle.action, "entity_type": middle.entity_type,
         "entity_id": middle.entity_id, "data": json.loads(forged_data)},
    )
    drop_append_only_triggers()
    session.execute(text("UPDATE audit_events SET data = :data, hash = :hash WHERE seq = :seq"),
                    {"data": forged_data, "hash": forged_hash, "seq": middle.seq})
    session.commit()
    result = audit.verify()
    assert result.valid is False
    assert result.first_bad_seq == events[2].seq


def test_deleting_an_event_leaves_a_gap_reported_at_the_event_after_it():
    events = record_some(3)
    length = chain_length()
    drop_append_only_triggers()
    session.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": events[1].seq})
    session.commit()
    result = audit.verify()
    assert result.valid is False
    assert result.first_bad_seq == events[2].seq
    assert result.length == length - 1


def test_with_two_changed_events_the_earlier_one_is_reported():
    events = record_some(4)
    drop_append_only_triggers()
    for event in (events[3], events[1]):
        session.execute(text("UPDATE audit_events SET entity_id = 'forged' WHERE seq = :seq"),
                        {"seq": event.seq})
    session.commit()
    assert audit.verify().first_bad_seq == events[1].seq


# ---- the command line -----------------------------------------------------------------------------


def test_the_audit_verify_command_prints_the_result_and_exits_0_on_an_intact_chain(app):
    record_some(2)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == audit.verify().as_dict()
    assert json.loads(result.output)["valid"] is True


def test_the_audit_verify_command_exits_1_on_a_tampered_chain(app):
    events = record_some(2)
    drop_append_only_triggers()
    session.execute(text("UPDATE audit_events SET data = '{}' WHERE seq = :seq"),
                    {"seq": events[0].seq})
    session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert json.loads(result.output)["first_bad_seq"] == events[0].seq


# ---- the database refuses to change history -------------------------------------------------------


@pytest.mark.parametrize("statement", [
    pytest.param("UPDATE audit_events SET data = '{}' WHERE seq = 1",
                 id="the database refuses to update an audit event"),
    pytest.param("DELETE FROM audit_events WHERE seq = 1",
                 id="the database refuses to delete an audit event"),
    pytest.param("DELETE FROM audit_events",
                 id="the database refuses to delete every audit event at once"),
    pytest.param("TRUNCATE audit_events", id="PostgreSQL refuses to truncate the audit trail",
                 marks=only_on("postgresql", "TRUNCATE is PostgreSQL's; SQLite has only DELETE, "
                                             "refused above")),
])
def test_the_database_refuses_to_change_the_audit_trail(statement):
    as_owner()  # the triggers refuse even the owner (the app's role has no such grant at all)
    before = audit.verify()
    stored = session.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.data)
                             .order_by(AuditEvent.seq)).all()
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(text(statement))
    assert session.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.data)
                           .order_by(AuditEvent.seq)).all() == stored
    assert session.scalar(select(AuditEvent.data).where(AuditEvent.seq == 1)) != "{}"
    assert audit.verify() == before


def test_the_orm_cannot_change_an_event_either():
    as_owner()
    event = head()
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            event.action = "thing.erased"
            session.flush()
    session.expire_all()
    assert audit.verify().valid is True


# ---- concurrent writers ---------------------------------------------------------------------------


def every_event(auditor):
    events, cursor = [], None
    while True:
        query = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = auditor.get("/api/v1/audit/events", query_string=query).json
        events.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return events


def assert_one_unbroken_chain(auditor, expected_length):
    result = auditor.get(VERIFY).json
    assert result["valid"] is True, result
    assert result["length"] == expected_length
    events = every_event(auditor)
    assert [e["seq"] for e in events] == list(range(1, expected_length + 1))
    prev_hashes = [e["prev_hash"] for e in events]
    assert len(set(prev_hashes)) == len(prev_hashes), "two events claim the same predecessor"
    assert result["head_hash"] == events[-1]["hash"]
    return events


def test_concurrent_writers_extend_one_chain_without_gaps_or_forks(fresh_database_url):
    app = build_app(fresh_database_url)
    try:
        auditor = ApiClient(app, token_for(app, "auditor"))
        before = auditor.get(VERIFY).json["length"]
        writers, contacts_each = 4, 5
        clients = [ApiClient(app, token_for(app, "practitioner", sub=f"worker-{w}"))
                   for w in range(writers)]
        statuses = [[] for _ in range(writers)]

        def write(index):
            for n in range(contacts_each):
                body = contact_body(
                    source_reference=f"W{index}-{n}",
                    children=[{"given_name": "Child", "family_name": f"W{index}N{n}",
                               "date_of_birth": "2018-01-01", "sex": "unknown",
                               "local_child_id": f"W{index}-{n}"}],
                )
                statuses[index].append(clients[index].post("/api/v1/contacts", json=body).status_code)

        race(*(lambda index=index: write(index) for index in range(writers)))
        assert statuses == [[201] * contacts_each] * writers

        # Each contact: child.recorded, then contact.recorded.
        events = assert_one_unbroken_chain(auditor, before + writers * contacts_each * 2)
        for w in range(writers):
            mine = [e["action"] for e in events if e["actor"]["sub"] == f"worker-{w}"]
            assert mine == ["child.recorded", "contact.recorded"] * contacts_each
    finally:
        app.extensions["db"].engine.dispose()


def test_concurrent_writes_that_share_no_other_row_still_cannot_fork_the_chain(
    fresh_database_url,
):
    # Recording consent on different contacts touches no common row (unlike new contacts, which
    # share a reference counter): only the chain's own lock keeps these writers in line.
    app = build_app(fresh_database_url)
    try:
        auditor = ApiClient(app, token_for(app, "auditor"))
        writers, changes_each = 4, 5
        clients = [ApiClient(app, token_for(app, "practitioner", sub=f"worker-{w}"))
                   for w in range(writers)]
        contact_ids = []
        for w, client in enumerate(clients):
            body = contact_body(children=[{"given_name": "Child", "family_name": f"W{w}",
                                           "date_of_birth": "2018-01-01",
                                           "local_child_id": f"C-W{w}"}])
            created = client.post("/api/v1/contacts", json=body)
            assert created.status_code == 201, created.json
            contact_ids.append(created.json["id"])
        before = auditor.get(VERIFY).json["length"]
        statuses = [[] for _ in range(writers)]
        consents = [{"status": "given", "given_by": "Mother"},
                    {"status": "refused", "given_by": "Father", "reason": "Declined by phone."}]

        def write(index):
            for n in range(changes_each):
                response = clients[index].post(f"/api/v1/contacts/{contact_ids[index]}/consent",
                                               json=consents[n % 2])
                statuses[index].append(response.status_code)

        race(*(lambda index=index: write(index) for index in range(writers)))
        assert statuses == [[201] * changes_each] * writers
        events = assert_one_unbroken_chain(auditor, before + writers * changes_each)
        assert [e["action"] for e in events[before:]] == ["contact.consent_recorded"] * (
            writers * changes_each
        )
    finally:
        app.extensions["db"].engine.dispose()
