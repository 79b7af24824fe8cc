"""The access log sealed into the audit chain: an access event removed or altered after its batch
was sealed is found by verify (the API's and the command line's) and by a signed checkpoint."""

import json

import pytest
from sqlalchemy import func, select, text

from api import audit, sealing
from api.db import session
from api.models import AccessEvent, AuditEvent
from tests.helpers import (
    build_app, contact_body, drop_append_only_triggers, live_staff, read, wait_until,
)

VERIFY = "/api/v1/audit/verify"
ACCESS_LOG = ("access_events", "access_event_records")


def last_access_id():
    return session.scalar(select(func.max(AccessEvent.id)))


def seal(clock, minutes=1):
    """Seal what is old enough once `minutes` have passed (the lag is 30 seconds)."""
    clock.advance(minutes=minutes)
    sealed = sealing.seal()
    session.commit()
    return sealed


def access_log_check(auditor):
    response = auditor.get(VERIFY)
    assert response.status_code == 200, response.json
    return response.json


def tamper(statement, **params):
    drop_append_only_triggers(*ACCESS_LOG)
    session.execute(text(statement), params)
    session.commit()


@pytest.fixture
def sealed(staff, family, clock):
    """Reads of the family's records, sealed: the seal event."""
    for path in (f"/api/v1/contacts/{family.contact}", f"/api/v1/children/{family.amelia}"):
        read(staff.mash, path)
    event = seal(clock)
    assert event is not None
    return event


# ---- sealing ----------------------------------------------------------------------------------


def test_a_seal_covers_every_access_event_not_yet_sealed_and_is_an_event_of_the_chain(
    staff, sealed,
):
    data = sealed.data_object
    assert sealed.action == "access.sealed"
    assert (sealed.entity_type, sealed.entity_id, sealed.actor_sub) == (
        "access_log", "access_events", "system:access-seal")
    assert data["after_id"] == 0
    assert data["to_id"] == last_access_id()
    assert data["count"] == session.scalar(select(func.count()).select_from(AccessEvent))
    assert data["hash"] == sealing.digest_range(0, data["to_id"])[1]
    result = access_log_check(staff.auditor)
    assert result["valid"] is True
    assert result["access_log"] == {"valid": True, "sealed_batches": 1,
                                    "sealed_events": data["count"], "unsealed_events": 0,
                                    "first_bad_seal_seq": None}


def test_the_next_seal_follows_the_last_and_nothing_new_seals_nothing(staff, family, sealed, clock):
    assert seal(clock) is None
    read(staff.mash, f"/api/v1/contacts/{family.contact}")
    later = seal(clock)
    assert later.data_object["after_id"] == sealed.data_object["to_id"]
    assert later.data_object["to_id"] == last_access_id()
    assert later.data_object["count"] == 1
    assert access_log_check(staff.auditor)["access_log"]["sealed_batches"] == 2


def test_access_events_younger_than_the_lag_are_left_for_the_next_seal(staff, family, sealed, clock):
    read(staff.mash, f"/api/v1/contacts/{family.contact}")
    assert seal(clock, minutes=0) is None  # 0 seconds old: another reader may be writing below it
    assert access_log_check(staff.auditor)["access_log"]["unsealed_events"] == 1


# ---- what verify finds ------------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    pytest.param("DELETE FROM access_event_records WHERE event_id = :id",
                 id="the records an event touched, removed"),
    pytest.param("UPDATE access_events SET actor_sub = 'someone.else' WHERE id = :id",
                 id="who read, altered"),
    pytest.param("UPDATE access_event_records SET record_id = 'elsewhere' WHERE event_id = :id",
                 id="what was read, altered"),
])
def test_a_sealed_access_event_altered_is_found(staff, sealed, statement):
    tamper(statement, id=sealed.data_object["to_id"])
    result = access_log_check(staff.auditor)
    assert result["valid"] is False
    assert result["first_bad_seq"] is None  # the chain itself is intact
    assert result["access_log"]["valid"] is False
    assert result["access_log"]["first_bad_seal_seq"] == sealed.seq


def test_a_sealed_access_event_deleted_is_found(staff, sealed):
    target = sealed.data_object["to_id"]
    tamper("DELETE FROM access_event_records WHERE event_id = :id", id=target)
    tamper("DELETE FROM access_events WHERE id = :id", id=target)
    result = access_log_check(staff.auditor)
    assert (result["valid"], result["access_log"]["first_bad_seal_seq"]) == (False, sealed.seq)
    assert result["access_log"]["sealed_events"] == sealed.data_object["count"] - 1


def test_an_access_event_altered_before_it_was_sealed_is_not_claimed_to_be_caught(
    staff, family, sealed, clock,
):
    """A seal vouches for the events as they were when it was taken, nothing earlier: this is
    the window ACCESS_SEAL_SECONDS (plus the lag) leaves open, as the README says."""
    read(staff.mash, f"/api/v1/contacts/{family.contact}")
    tamper("UPDATE access_events SET actor_sub = 'someone.else' WHERE id = :id",
           id=last_access_id())
    seal(clock)
    assert access_log_check(staff.auditor)["valid"] is True


def test_the_audit_verify_command_seals_first_and_exits_one_when_a_sealed_event_was_removed(
    app, staff, family, clock,
):
    read(staff.mash, f"/api/v1/contacts/{family.contact}")
    clock.advance(minutes=1)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["audit", "verify"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["access_log"]["unsealed_events"] == 0
    tamper("DELETE FROM access_event_records WHERE event_id = :id", id=last_access_id())
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["access_log"]["valid"] is False


def test_the_audit_seal_command_prints_the_seal_or_null(app, staff, family, clock):
    read(staff.mash, f"/api/v1/contacts/{family.contact}")
    clock.advance(minutes=1)
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["audit", "seal"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["to_id"] == last_access_id()
    again = runner.invoke(args=["audit", "seal"])
    assert (again.exit_code, json.loads(again.output)) == (0, None)


# ---- signed checkpoints cover the seals --------------------------------------------------------


def rehash_from(seq):
    """Re-hash event `seq` and every event after it, so the chain is consistent again."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.seq >= seq)
                             .order_by(AuditEvent.seq)).all()
    prev_hash = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1))
    for stored in events:
        payload = audit._payload(stored.seq, stored.at, stored.actor, stored.action,
                                 stored.entity_type, stored.entity_id,
                                 json.loads(stored.data), stored.state_hash)
        new_hash = audit.compute_hash(prev_hash, payload)
        session.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s"),
                        {"p": prev_hash, "h": new_hash, "s": stored.seq})
        prev_hash = new_hash


def test_rewriting_the_seal_to_hide_a_deleted_access_event_fails_the_checkpoint_taken_after_it(
    staff, sealed,
):
    checkpoint = staff.auditor.get("/api/v1/audit/checkpoint").json["checkpoint"]
    target = sealed.data_object["to_id"]
    tamper("DELETE FROM access_event_records WHERE event_id = :id", id=target)
    tamper("DELETE FROM access_events WHERE id = :id", id=target)
    after_id, to_id = sealed.data_object["after_id"], target - 1
    count, digest = sealing.digest_range(after_id, to_id)
    forged = audit.canonical_json({"after_id": after_id, "to_id": to_id, "count": count,
                                   "hash": digest})
    drop_append_only_triggers()
    session.execute(text("UPDATE audit_events SET data = :d WHERE seq = :s"),
                    {"d": forged, "s": sealed.seq})
    rehash_from(sealed.seq)
    session.commit()

    assert access_log_check(staff.auditor)["valid"] is True  # consistent with itself again
    checked = staff.auditor.post(VERIFY, json={"checkpoints": [checkpoint]}).json
    assert checked["valid"] is False
    assert checked["checkpoints"] == [
        {"valid": False, "length": audit.chain_length(), "reason": "hash at length differs"}]


# ---- one pass over the access log, however many seals ---------------------------------------


def three_seals(staff, family, clock):
    """Three seals, each over reads of its own."""
    seals = []
    for _ in range(3):
        read(staff.mash, f"/api/v1/contacts/{family.contact}")
        read(staff.mash, f"/api/v1/children/{family.amelia}")
        seals.append(seal(clock))
    assert all(seals)
    return seals


def test_verifying_reads_the_access_log_once_for_all_its_seals(app, staff, family, clock):
    """Two streamed queries over the access log for every seal together (each a server-side
    cursor on PostgreSQL), not two for each seal: seals are many (one a minute with reads), and a
    round trip each was most of a verification's time."""
    from sqlalchemy import event

    seals = three_seals(staff, family, clock)
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()).lower())

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        check = sealing.check_seals()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert (check.valid, check.batches) == (True, 3)
    assert check.sealed == sum(s.data_object["count"] for s in seals)
    rows_read = [s for s in statements
                 if "from access_events" in s and "count(" not in s]
    records_read = [s for s in statements if "from access_event_records" in s]
    assert (len(rows_read), len(records_read)) == (1, 1), statements


def forge_seal(stored, after_id):
    """Rewrite a seal to start at `after_id`, its count and hash recomputed over its new range
    (consistent with itself), and the chain re-hashed after it: only the seals' order is wrong."""
    to_id = stored.data_object["to_id"]
    count, digest = sealing.digest_range(after_id, to_id)
    drop_append_only_triggers()
    session.execute(text("UPDATE audit_events SET data = :d WHERE seq = :s"), {
        "d": audit.canonical_json({"after_id": after_id, "to_id": to_id, "count": count,
                                   "hash": digest}),
        "s": stored.seq})
    rehash_from(stored.seq)
    session.commit()
    return count


@pytest.mark.parametrize("shift", [pytest.param(1, id="a gap before it"),
                                   pytest.param(-1, id="overlapping the one before")])
def test_a_seal_that_does_not_start_where_the_last_ended_is_bad_and_the_rest_are_still_checked(
    staff, family, clock, shift,
):
    first, middle, last = three_seals(staff, family, clock)
    count = forge_seal(middle, middle.data_object["after_id"] + shift)
    result = access_log_check(staff.auditor)
    assert result["first_bad_seq"] is None  # the chain is consistent with itself
    assert result["access_log"]["first_bad_seal_seq"] == middle.seq
    assert result["access_log"]["sealed_batches"] == 3
    assert result["access_log"]["sealed_events"] == (
        first.data_object["count"] + count + last.data_object["count"])


def test_the_seals_after_a_bad_one_are_still_recomputed_over_their_own_events(
    staff, family, clock,
):
    first, middle, last = three_seals(staff, family, clock)
    forge_seal(middle, middle.data_object["after_id"] + 1)
    tamper("DELETE FROM access_event_records WHERE event_id = :id", id=last.data_object["to_id"])
    tamper("DELETE FROM access_events WHERE id = :id", id=last.data_object["to_id"])
    check = sealing.check_seals()
    assert check.first_bad_seal_seq == middle.seq
    assert check.sealed == (first.data_object["count"] + middle.data_object["count"] - 1
                            + last.data_object["count"] - 1)


# ---- the sealer thread ------------------------------------------------------------------------


def test_no_sealer_runs_unless_configured(app):
    assert "access_sealer" not in app.extensions


def test_the_sealer_seals_on_its_own_with_no_request_coming(fresh_database_url):
    app = build_app(fresh_database_url, ACCESS_SEAL_SECONDS=0.2, ACCESS_SEAL_LAG_SECONDS=0)
    sealer = app.extensions["access_sealer"]
    try:
        staff = live_staff(app)
        contact = staff.agency.post("/api/v1/contacts", json=contact_body()).json
        assert staff.agency.get(f"/api/v1/contacts/{contact['id']}").status_code == 200
        with app.app_context():
            last = session.scalar(select(func.max(AccessEvent.id)))
            session.remove()
        # No request from here on: the thread alone seals the read.
        def sealed_to():
            with app.app_context():
                sealed = sealing._last_sealed_id()
                session.remove()
            return sealed

        wait_until(lambda: sealed_to() >= last, 20)
        assert sealed_to() == last
        with app.app_context():
            assert audit.verify().valid is True
            session.remove()
    finally:
        sealer.stop()
        sealer.join(5)
        app.extensions["db"].engine.dispose()



def test_a_flask_command_starts_no_sealer_and_another_click_program_does(app, monkeypatch):
    import click
    from flask.cli import ScriptInfo

    monkeypatch.setitem(app.config, "ACCESS_SEAL_SECONDS", 60)
    with click.Context(click.Command("flask"), obj=ScriptInfo()):
        assert sealing.init_app(app) is None
    with click.Context(click.Command("another-program")):
        sealer = sealing.init_app(app)
    try:
        assert sealer is not None and sealer.is_alive()
    finally:
        sealer.stop()
        sealer.join(5)
        app.extensions.pop("access_sealer", None)
