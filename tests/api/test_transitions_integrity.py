"""Step-up and step-down requests stay whole: each write appends its audit event or nothing is
written, the database itself refuses a second open request for a child, and on PostgreSQL
requests and answers racing each other leave one winner and a 409."""

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import session
from api.models import Transition
from tests.helpers import (
    REFUSAL_RATIONALE, STEP_UP_RATIONALE, as_audited, assert_problem, audit_events, client_as,
    current_service, listed_transitions, live_staff, only_on, open_child, race, requested, respond,
    step_up, transition_events, utc, withdraw,
)


postgres_only = only_on(
    "postgresql", "needs concurrent transactions on PostgreSQL (TEST_DATABASE_URL): SQLite "
    "serialises every writer, so there is no race to lose.")


# ---- the audit trail ----------------------------------------------------------------------


def test_each_transition_write_appends_its_audit_event(staff, clock):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    assert transition_events(staff.auditor, up["id"]) == [("transition.requested", "erin")]
    assert respond(staff.sc_manager, up["id"], "refused").status_code == 201
    assert transition_events(staff.auditor, up["id"]) == [
        ("transition.requested", "erin"), ("transition.refused", "sara")]

    second = requested(step_up(staff.eh, up["child_id"]))
    assert withdraw(staff.eh_manager, second["id"]).status_code == 201
    assert transition_events(staff.auditor, second["id"]) == [
        ("transition.requested", "erin"), ("transition.withdrawn", "emma")]

    third = requested(step_up(staff.eh, up["child_id"]))
    clock.advance(minutes=1)
    assert respond(staff.sc_manager, third["id"]).status_code == 201
    assert transition_events(staff.auditor, third["id"]) == [
        ("transition.requested", "erin"), ("transition.accepted", "sara")]
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


def test_a_request_is_audited_as_it_was_recorded(staff, clock):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    [(action, data)] = audit_events(staff.auditor, up["id"])
    assert action == "transition.requested"
    assert {key: data[key] for key in (
        "id", "reference", "child_id", "direction", "from_service", "to_service", "rationale",
        "status", "requested_by_sub", "requested_by_role", "requested_by_service",
        "response_due_at")} == {
        "id": up["id"], "reference": up["reference"], "child_id": up["child_id"],
        "direction": "step_up", "from_service": "early_help", "to_service": "social_care",
        "rationale": STEP_UP_RATIONALE, "status": "requested", "requested_by_sub": "erin",
        "requested_by_role": "practitioner", "requested_by_service": "early_help",
        "response_due_at": as_audited(utc(up["response_due_at"]))}


def test_an_answer_and_a_withdrawal_audit_what_was_decided_or_why_and_when(staff, clock):
    up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    clock.advance(hours=1)
    assert respond(staff.sc_manager, up["id"], "refused").status_code == 201
    assert audit_events(staff.auditor, up["id"])[1] == ("transition.refused", {
        "decision": "refused", "rationale": REFUSAL_RATIONALE, "at": as_audited(clock())})

    second = requested(step_up(staff.eh, up["child_id"]))
    clock.advance(hours=1)
    assert withdraw(staff.eh, second["id"], reason=" Family moved away. ").status_code == 201
    assert audit_events(staff.auditor, second["id"])[1] == ("transition.withdrawn", {
        "reason": "Family moved away.", "at": as_audited(clock())})


def _failing_audit(*_args, **_kwargs):
    raise RuntimeError("the audit trail is unavailable")


def test_a_request_whose_audit_event_fails_is_not_recorded(staff, clock, monkeypatch):
    child_id = open_child(staff, clock, "early_help")
    with monkeypatch.context() as patched:
        patched.setattr("api.audit.record", _failing_audit)
        assert_problem(step_up(staff.eh, child_id), 500)
    assert listed_transitions(staff.auditor) == []
    assert step_up(staff.eh, child_id).status_code == 201  # no half-recorded open request left behind


def test_a_response_whose_audit_event_fails_is_not_recorded(staff, clock, monkeypatch):
    child_id = open_child(staff, clock, "early_help")
    up = requested(step_up(staff.eh, child_id))
    with monkeypatch.context() as patched:
        patched.setattr("api.audit.record", _failing_audit)
        assert_problem(respond(staff.sc_manager, up["id"]), 500)
        assert_problem(withdraw(staff.eh, up["id"]), 500)
    after = staff.auditor.get(f"/api/v1/transitions/{up['id']}").json
    assert (after["status"], after["response"], after["withdrawn_at"]) == ("requested", None, None)
    assert current_service(staff.auditor, child_id) == "early_help"


# ---- the database backs the one-open-request rule ----------------------------------------


def _open_copy(transition, status):
    """A transition row written straight to the database, past the API's own check."""
    instant = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    return Transition(
        reference=f"T-X-{uuid.uuid4().hex[:10]}", child_id=uuid.UUID(transition["child_id"]),
        direction="step_up", from_service="early_help", to_service="social_care",
        rationale=STEP_UP_RATIONALE, requested_at=instant, requested_by_sub="intruder",
        requested_by_role="practitioner", recorded_at=instant, status=status,
        response_due_at=instant + timedelta(days=7),
    )


def test_the_database_itself_refuses_a_second_open_request_for_a_child(staff, clock, db):
    first = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(_open_copy(first, "requested"))
    with session.begin_nested():  # closed requests are not limited
        session.add(_open_copy(first, "withdrawn"))
        session.add(_open_copy(first, "refused"))


# ---- a request closed by someone else between our check and our write --------------------


@pytest.mark.parametrize("action, closed_meanwhile", [
    ("answer", "withdrawn"), ("withdrawal", "accepted"), ("answer", "refused"),
])
def test_a_request_closed_by_another_transaction_after_it_was_read_is_not_closed_again(
        staff, clock, monkeypatch, action, closed_meanwhile):
    """On any engine: the request is still open when it is read and checked, and another
    transaction closes it before this one writes; the write finds it closed, answers 409 saying
    how it was closed, and records nothing. (Here the other transaction's write is made in the
    request's own, so it is rolled back with it: the request reads as open again afterwards.)"""
    child_id = open_child(staff, clock, "early_help")
    up = requested(step_up(staff.eh, child_id))
    clock.advance(hours=1)

    def now_after_someone_else_closed_it():
        session.execute(update(Transition).where(Transition.id == uuid.UUID(up["id"]))
                        .values(status=closed_meanwhile)
                        .execution_options(synchronize_session=False))
        return clock()

    monkeypatch.setattr("api.domain.transitions.now", now_after_someone_else_closed_it)
    if action == "answer":
        refused = respond(staff.sc_manager, up["id"])
    else:
        refused = withdraw(staff.eh, up["id"])
    assert f"already been {closed_meanwhile}" in assert_problem(refused, 409)["detail"]
    monkeypatch.undo()
    after = staff.auditor.get(f"/api/v1/transitions/{up['id']}").json
    assert (after["status"], after["response"], after["withdrawn_at"]) == ("requested", None, None)
    assert transition_events(staff.auditor, up["id"]) == [("transition.requested", "erin")]
    assert current_service(staff.auditor, child_id) == "early_help"


# ---- races on PostgreSQL ------------------------------------------------------------------


ROUNDS = 5


@postgres_only
def test_two_managers_answering_at_the_same_moment_one_wins_and_the_other_gets_409(live_app):
    staff, clock = live_staff(live_app), live_app.test_clock
    for _ in range(ROUNDS):
        up = requested(step_up(staff.eh, open_child(staff, clock, "early_help")))
        managers = [client_as(live_app, "manager", sub=sub, service="social_care")
                    for sub in ("sara", "saul")]
        answers = race(lambda: respond(managers[0], up["id"], "accepted"),
                       lambda: respond(managers[1], up["id"], "refused"))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201, 409], [answer.json for answer in answers]
        loser = next(answer for answer in answers if answer.status_code == 409)
        assert_problem(loser, 409)
        winner = next(answer for answer in answers if answer.status_code == 201)
        stored = staff.auditor.get(f"/api/v1/transitions/{up['id']}").json
        assert stored["status"] == winner.json["status"]
        assert stored["response"] == winner.json["response"]
        actions = [action for action, _ in transition_events(staff.auditor, up["id"])]
        assert actions == ["transition.requested", f"transition.{stored['status']}"]
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


@postgres_only
def test_two_step_up_requests_for_one_child_at_the_same_moment_one_is_recorded_and_one_gets_409(
        live_app):
    staff, clock = live_staff(live_app), live_app.test_clock
    for _ in range(ROUNDS):
        child_id = open_child(staff, clock, "early_help")
        requesters = [client_as(live_app, "practitioner", sub=sub, service="early_help")
                      for sub in ("erin", "eve")]
        answers = race(lambda: step_up(requesters[0], child_id), lambda: step_up(requesters[1], child_id))
        assert sorted(answer.status_code for answer in answers) == [201, 409], [
            answer.json for answer in answers]
        loser = next(answer for answer in answers if answer.status_code == 409)
        assert_problem(loser, 409)
        winner = next(answer for answer in answers if answer.status_code == 201)
        open_for_child = [item["id"] for item in staff.auditor.get(
            "/api/v1/transitions?status=requested&limit=500").json["items"]
            if item["child_id"] == child_id]
        assert open_for_child == [winner.json["id"]]
        assert withdraw(staff.eh_manager, winner.json["id"]).status_code == 201
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


def _wait_until_blocked_on_a_lock(engine):
    """Spin until some other session of this database waits on a row or index lock."""
    deadline = time.monotonic() + 20
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as probe:
        while not probe.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")):
            assert time.monotonic() < deadline, "the request never waited on the unique index"


def step_up_while_another_transaction_holds_an_open_request(app, child_id, then):
    """Hold an uncommitted open request for the child in another transaction; send a step-up
    through the API, which passes its own check (it cannot see the row) and waits on the unique
    index; then commit or roll back the other transaction (`then`) and return the API's answer."""
    staff, engine, answers = live_staff(app), app.extensions["db"].engine, []
    with engine.connect() as other, Session(bind=other) as other_session:
        other_session.add(_open_copy({"child_id": child_id}, "requested"))
        other_session.flush()
        worker = threading.Thread(target=lambda: answers.append(step_up(staff.eh, child_id)))
        worker.start()
        try:
            _wait_until_blocked_on_a_lock(engine)
        finally:
            getattr(other_session, then)()
        worker.join(timeout=60)
    assert not worker.is_alive(), "the request never finished"
    return answers[0]


@postgres_only
def test_a_request_that_loses_the_race_at_the_unique_index_gets_a_409_problem_and_records_nothing(
        live_app):
    staff = live_staff(live_app)
    child_id = open_child(staff, live_app.test_clock, "early_help")
    answer = step_up_while_another_transaction_holds_an_open_request(live_app, child_id, "commit")
    assert_problem(answer, 409)
    assert answer.json["type"].endswith("/concurrent-change")
    stored = staff.auditor.get("/api/v1/transitions?status=requested").json["items"]
    assert [item["requested_by"] for item in stored] == ["intruder"]
    events = staff.auditor.get("/api/v1/audit/events?entity_type=transition&limit=500").json
    assert events["items"] == []
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


@postgres_only
def test_a_request_waiting_on_an_open_request_that_is_rolled_back_goes_through(live_app):
    staff = live_staff(live_app)
    child_id = open_child(staff, live_app.test_clock, "early_help")
    answer = step_up_while_another_transaction_holds_an_open_request(live_app, child_id, "rollback")
    assert answer.status_code == 201, answer.json
    assert answer.json["requested_by"] == "erin"
    assert transition_events(staff.auditor, answer.json["id"]) == [("transition.requested", "erin")]
