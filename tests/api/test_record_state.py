"""History that covers the records: each audit event holds the hash of its record's state after
the write, and GET /audit/state (and `flask audit verify --state`) finds every record changed,
added or removed behind the API's back."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from api import audit, record_state
from api.caller import system_actor
from api.db import Base, session
from api.domain.accounts import create_account
from api.models import AuditEvent
from tests.helpers import (
    as_owner, child, created, decide, iso, make_account, new_nhs_number, read, record_contact, record_outcome,
    step_down, step_up,
)

STATE = "/api/v1/audit/state"


def check(auditor, **query):
    response = auditor.get(STATE, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def findings(report):
    return {(f["entity_type"], f["entity_id"], f["finding"]) for f in report["findings"]}


def behind_the_api(statement, **params):
    """A change made straight in the database, as someone with its password might."""
    as_owner()
    session.execute(text(statement), params)
    session.commit()


def uuid_param(value):
    """A UUID as the engine stores it in a Uuid column (SQLite: 32 hex digits)."""
    return uuid.UUID(value).hex if session.get_bind().dialect.name == "sqlite" else value


# ---- every write records its record's state --------------------------------------------------


def test_an_entity_type_without_a_state_function_is_refused_and_appends_nothing():
    before = audit.chain_length()
    with pytest.raises(LookupError, match="api/record_state.py"):
        audit.record(system_actor("test"), "widget.made", "widget", "1", {})
    assert audit.chain_length() == before


def test_every_table_belongs_to_a_record_or_is_listed_as_none():
    assert record_state.check_tables_are_classified(Base.metadata) == []


def legacy_state(entity_type, entity_id):
    """The record's state as it was recorded before the columns and parts ADDED_LATER names
    existed: without them at all (what the events of a database upgraded to 0021 hold)."""
    kind = record_state.RECORDS[entity_type]
    key = kind.parse_id(entity_id)
    state = kind.states(session.connection(), [key])[key]
    columns, parts = record_state.ADDED_LATER[entity_type]
    return {"row": {k: v for k, v in state["row"].items() if k not in columns},
            "parts": {k: v for k, v in state["parts"].items() if k not in parts}}


@pytest.mark.parametrize("entity_type", sorted(record_state.ADDED_LATER))
def test_a_record_from_before_a_column_was_added_is_in_the_state_its_event_holds(
    staff, police, entity_type,
):
    """A migration that adds a column or a part leaves every earlier record as its event holds
    it: the state check does not report a whole database as changed after an upgrade. Once the
    new column holds a value written behind the API's back, it is found."""
    contact = record_contact(police, children=[child("Amelia", new_nhs_number())])
    record_id = {"contact": lambda: contact["id"], "child": lambda: contact["children"][0]["id"],
                 "decision": lambda: decide(staff.mash, contact["id"], "nfa")["id"],
                 "account": lambda: str(make_account("later-system", "client", "agency",
                                                     agency="wmp").id)}[entity_type]()
    kind = record_state.RECORDS[entity_type]
    assert record_state.current_state_hash(kind, record_id) == record_state.state_hash(
        legacy_state(entity_type, record_id))
    assert check(staff.auditor)["differs"] == 0
    table, column, value = {"contact": ("contacts", "primary_need", "N1"),
                            "child": ("children", "disability", True),
                            "decision": ("decisions", "allocation_due_at",
                                         "2026-11-27 23:59:59+00:00"),
                            "account": ("accounts", "last_disabled_at",
                                        "2026-11-27 23:59:59+00:00")}[entity_type]
    behind_the_api(f"UPDATE {table} SET {column} = :value WHERE id = :id",
                   value=value, id=uuid_param(record_id))
    assert (entity_type, record_id, "differs") in findings(check(staff.auditor))


def test_a_whole_case_through_every_write_leaves_each_record_in_the_state_its_last_event_holds(
    staff, police, clock,
):
    before = audit.chain_length()
    contact = record_contact(police, received_at=iso(clock() - timedelta(hours=2)),
                             children=[child("Amelia", new_nhs_number()),
                                       child("Ben", new_nhs_number())])
    amelia, ben = (c["id"] for c in contact["children"])
    created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/consent", json={
        "status": "overridden", "reason": "Risk of significant harm: shared without consent."}))
    created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/rag", json={
        "rating": "red", "reason": "Disclosure of harm today; the child is afraid to go home."}))
    asks = [created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/information-requests", json={
        "agency": agency, "question": "What do you know of the family?", "child_ids": [amelia]}))
        for agency in ("wmp", "hilltop-gp", "oakfield-primary")]
    created(police.post(f"/api/v1/information-requests/{asks[0]['id']}/response", json={
        "known": True, "information": "Two call-outs in October."}))
    created(staff.mash.post(f"/api/v1/information-requests/{asks[1]['id']}/withdrawal",
                            json={"reason": "The GP attends the strategy meeting."}))
    first = decide(staff.mash, contact["id"], "assessment")  # withdraws the school's request
    second = decide(staff.mash, contact["id"], "strategy_discussion", supersedes=first["id"],
                    supersede_reason="The police added a disclosure.")
    created(staff.mash_manager.post(f"/api/v1/decisions/{second['id']}/approval", json={}))
    for given_at in (clock() - timedelta(minutes=10), clock() - timedelta(minutes=50)):
        created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/feedback", json={
            "given_at": iso(given_at), "method": "phone", "summary": "Told the outcome."}))
    meeting = created(staff.mash.post("/api/v1/strategy-meetings", json={
        "contact_id": contact["id"], "children": [amelia, ben], "convened_at": iso(clock()),
        "scheduled_for": iso(clock()), "chair": "T. Chair",
        "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}]}))
    clock.advance(hours=1)
    record_outcome(staff.mash, meeting["id"], held_at=iso(clock()))
    created(staff.mash.post(f"/api/v1/strategy-meetings/{meeting['id']}/minutes",
                            json={"minutes_recorded_at": iso(clock())}))
    created(staff.mash.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc", json={
        "held_on": clock().date().isoformat(), "child_protection_plan": [
            {"child_id": amelia, "plan": True}, {"child_id": ben, "plan": False}]}))
    # After the front door: allocation, an assessment allocated and authorised, the closure,
    # a child's disability (issue 18).
    created(staff.mash_manager.post(f"/api/v1/contacts/{contact['id']}/allocation", json={
        "team": "Assessment team 1", "worker": "sam"}))
    assessment = created(staff.mash.post("/api/v1/assessments", json={
        "contact_id": contact["id"], "child_id": amelia,
        "started_at": iso(clock() - timedelta(minutes=30))}))
    created(staff.mash_manager.post(f"/api/v1/assessments/{assessment['id']}/allocation",
                                    json={"team": "Assessment team 1", "worker": "sam"}))
    created(staff.mash_manager.post(f"/api/v1/assessments/{assessment['id']}/completion", json={
        "child_seen_at": iso(clock() - timedelta(minutes=20)),
        "authorised_at": iso(clock() - timedelta(minutes=10)), "factors": ["3A"],
        "outcome": "child_in_need_plan", "primary_need": "N1",
        "rationale": "Domestic abuse at home; a child in need plan with the family's agreement."}))
    created(staff.mash.post(f"/api/v1/referrals/{contact['id']}/closure", json={
        "closed_on": clock().date().isoformat(), "reason": "RC8",
        "rationale": "Assessed: the family's needs are met by the support already in place."}))
    created(staff.mash.post(f"/api/v1/children/{ben}/disability", json={
        "disability": True, "disabilities": ["HEAR"]}))
    down = created(step_down(staff.sc, amelia))
    created(staff.eh_manager.post(f"/api/v1/transitions/{down['id']}/response",
                                  json={"decision": "accepted"}))
    up = created(step_up(staff.eh, amelia))
    created(staff.eh.post(f"/api/v1/transitions/{up['id']}/withdrawal", json={}))
    account = create_account(system_actor("test"), name="state-check-person", kind="person",
                             secret="a long enough secret", role="practitioner",
                             service="mash", display_name="Pat Smith")
    disabled = staff.admin.post(f"/api/v1/accounts/{account.id}/disable", json={"reason": "Left."})
    assert disabled.status_code == 200, disabled.json

    appended = session.scalars(select(AuditEvent).where(AuditEvent.seq > before)).all()
    assert {e.entity_type for e in appended} >= {
        "child", "contact", "decision", "feedback", "strategy_meeting", "transition", "account",
        "information_request", "assessment"}
    assert [e.action for e in appended if e.state_hash is None] == []
    report = check(staff.auditor)
    assert report["findings"] == []
    assert report["valid"] is True
    assert report["checked"] >= 12


@pytest.mark.parametrize("path", ["first", "second"])
def test_a_decision_superseded_and_its_contact_decided_each_get_an_event_of_their_own(
    staff, police, path,
):
    contact = record_contact(police)
    first = decide(staff.mash, contact["id"], "nfa")
    events = {(e.entity_type, e.entity_id): e.action for e in session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id.in_([contact["id"], first["id"]]))
        .order_by(AuditEvent.seq))}
    if path == "first":
        assert events[("contact", contact["id"])] == "contact.decided"
        assert events[("decision", first["id"])] == "decision.recorded"
        return
    second = decide(staff.mash, contact["id"], "information_advice", supersedes=first["id"],
                    supersede_reason="More was known.")
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(2)).all()
    assert [(e.action, e.entity_id) for e in reversed(last)] == [
        ("decision.recorded", second["id"]), ("decision.superseded", first["id"])]


# ---- what the check finds ---------------------------------------------------------------------


def test_an_untouched_front_door_has_no_finding(staff, family):
    report = check(staff.auditor)
    assert (report["valid"], report["findings"], report["findings_truncated"]) == (True, [], False)
    assert report["differs"] == report["missing_event"] == report["orphan_event"] == 0


def test_a_concern_summary_edited_in_the_database_is_served_but_found(staff, family):
    behind_the_api("UPDATE contacts SET concern_summary = 'Nothing of concern.' WHERE id = :id",
                   id=uuid_param(family.contact))
    # The API serves the edited value; the audit event still holds the original ...
    assert read(staff.mash, f"/api/v1/contacts/{family.contact}")["concerns"]["summary"] == (
        "Nothing of concern.")
    assert audit.verify().valid is True  # ... and the chain alone says nothing.
    report = check(staff.auditor)
    assert report["valid"] is False
    assert findings(report) == {("contact", family.contact, "differs")}
    assert report["differs"] == 1


def test_a_decisions_outcome_and_rationale_edited_in_the_database_are_found(staff, family):
    decision = read(staff.mash, f"/api/v1/contacts/{family.contact}/decisions")["items"][0]
    behind_the_api("UPDATE decisions SET outcome = 'nfa', rationale = 'No concerns at all.' "
                   "WHERE id = :id", id=uuid_param(decision["id"]))
    assert findings(check(staff.auditor)) == {("decision", decision["id"], "differs")}


def test_a_consent_record_deleted_from_the_database_is_found_on_its_contact(staff, family):
    behind_the_api("DELETE FROM consent_records WHERE contact_id = :id",
                   id=uuid_param(family.contact))
    assert findings(check(staff.auditor)) == {("contact", family.contact, "differs")}


def test_a_meetings_attendance_changed_in_the_database_is_found_on_the_meeting(
    staff, family, clock,
):
    record_outcome(staff.mash, family.meeting, held_at=iso(clock()),
                   attendance=[{"agency": "wmp", "attended": False}])
    behind_the_api("UPDATE strategy_meeting_attendance SET attended = :yes WHERE meeting_id = :id",
                   yes=True, id=uuid_param(family.meeting))
    assert findings(check(staff.auditor)) == {("strategy_meeting", family.meeting, "differs")}


def test_a_record_added_in_the_database_has_no_event(staff, family):
    child_id = str(uuid.uuid4())
    behind_the_api(
        "INSERT INTO children (id, reference, given_name, family_name, sex, created_at) "
        "VALUES (:id, 'CH-FORGED', 'Nobody', 'Known', 'unknown', :at)",
        id=uuid_param(child_id), at=family_time())
    assert findings(check(staff.auditor)) == {("child", child_id, "missing_event")}


def family_time():
    return "2026-11-20 09:00:00"


def test_a_record_deleted_from_the_database_leaves_an_orphan_event(staff, family, clock):
    feedback = created(staff.mash.post(f"/api/v1/contacts/{family.other_contact}/feedback", json={
        "given_at": iso(clock()), "method": "email", "summary": "Told the school."}))
    behind_the_api("DELETE FROM feedback WHERE id = :id", id=uuid_param(feedback["id"]))
    report = check(staff.auditor)
    # The contact's feedback_given_at still says it was given: the contact is as last recorded.
    assert findings(report) == {("feedback", feedback["id"], "orphan_event")}
    assert report["orphan_event"] == 1


def test_a_record_whose_latest_event_has_no_state_is_reported_as_such(staff, family, monkeypatch):
    """As records last written before states were recorded (revision 0012) are."""
    monkeypatch.setattr(record_state, "current_state_hash", lambda kind, entity_id: None)
    created(staff.mash.post(f"/api/v1/contacts/{family.contact}/consent",
                            json={"status": "given", "given_by": "Mother"}))
    monkeypatch.undo()
    report = check(staff.auditor)
    assert findings(report) == {("contact", family.contact, "no_state_recorded")}
    assert (report["valid"], report["no_state_recorded"], report["differs"]) == (False, 1, 0)


def test_the_findings_listed_are_bounded_but_every_one_is_counted(staff, family):
    behind_the_api("UPDATE children SET given_name = 'Changed'")
    report = check(staff.auditor, limit=1)
    assert report["differs"] == 3  # Amelia, Ben and Zoe
    assert len(report["findings"]) == 1
    assert report["findings_truncated"] is True


def test_the_check_reads_in_batches_of_any_size_with_the_same_answer(staff, family):
    behind_the_api("UPDATE children SET given_name = 'Changed' WHERE id = :id",
                   id=uuid_param(family.ben))
    behind_the_api("DELETE FROM strategy_meeting_children WHERE meeting_id = :id",
                   id=uuid_param(family.meeting))
    whole = record_state.check_states().as_dict()
    assert record_state.check_states(batch_size=1).as_dict() == whole
    assert record_state.check_states(batch_size=2).as_dict() == whole
    assert findings(whole) == {("child", family.ben, "differs"),
                               ("strategy_meeting", family.meeting, "differs")}


@pytest.mark.parametrize("limit", [0, 1001, "x"])
def test_a_bad_limit_is_refused(staff, limit):
    assert staff.auditor.get(STATE, query_string={"limit": limit}).status_code == 422


def test_only_auditors_may_check_the_records(staff, anonymous):
    assert staff.mash.get(STATE).status_code == 403
    assert staff.admin.get(STATE).status_code == 403
    assert anonymous.get(STATE).status_code == 401


def test_checking_the_records_appends_nothing(staff, family):
    before = audit.chain_length()
    check(staff.auditor)
    assert audit.chain_length() == before


# ---- on the command line ----------------------------------------------------------------------


def test_audit_verify_with_state_reports_a_changed_record_and_exits_one(app, staff, family):
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["audit", "verify", "--state"])
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.output)["state"]["valid"] is True

    behind_the_api("UPDATE transitions SET rationale = 'Edited.' WHERE id = :id",
                   id=uuid_param(family.transition))
    result = runner.invoke(args=["audit", "verify", "--state"])
    assert result.exit_code == 1, result.output
    output = json.loads(result.output)
    assert output["valid"] is True  # the chain and the access log are intact
    assert findings(output["state"]) == {("transition", family.transition, "differs")}
    # Without --state the records are not checked.
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
