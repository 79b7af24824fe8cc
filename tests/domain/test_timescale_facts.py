"""`flask timescales recompute`: stored working-day facts put right when a holiday is announced.

The records are made through the API on the real calendar; then a one-off bank holiday on
Monday 23 November 2026 is "announced" by adding it to the calendar, as a new release of the
`holidays` package would, and the command is run.
"""

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from api import audit
from api.caller import system_actor
from api.db import session
from api.domain.timescale_facts import recompute_working_day_facts
from api.models import AuditEvent, Contact, Decision, StrategyMeeting, Transition
from api.vocab import nhs_number_with_check_digit
from tests.helpers import NEW_HOLIDAY, contact_body


RATIONALE = "Threshold reasoning recorded in full, with the risks and the family's strengths."
MEETING_RATIONALE = "Disclosure of physical harm by a household adult; police and health agree s47."
NO_CHANGE = {"contacts": 0, "decisions": 0, "transitions": 0, "strategy_meetings": 0}


def utc(text):
    return datetime.fromisoformat(text).astimezone(UTC)


def child(given_name, nhs_base):
    return {"given_name": given_name, "family_name": "Hughes", "date_of_birth": "2019-04-02",
            "sex": "female", "nhs_number": nhs_number_with_check_digit(nhs_base)}


class Records:
    """A week of front door work around Monday 23 November 2026, made through the API."""

    def __init__(self, api_as, clock):
        agency = api_as("agency", agency="wmp")
        mash = api_as("practitioner", sub="priya", service="mash")
        early_help = api_as("practitioner", sub="erin", service="early_help")
        social_care_manager = api_as("manager", sub="sara", service="social_care")

        def contact(received_at, children, **overrides):
            created = agency.post("/api/v1/contacts", json=contact_body(
                received_at=received_at, children=children, **overrides))
            assert created.status_code == 201, created.json
            return created.json

        def decide(contact_id, outcome, decided_at, **extra):
            decided = mash.post(f"/api/v1/contacts/{contact_id}/decisions", json={
                "outcome": outcome, "rationale": RATIONALE, "decided_at": decided_at, **extra})
            assert decided.status_code == 201, decided.json
            return decided.json

        def step_up(child_id, requested_at):
            requested = early_help.post("/api/v1/transitions", json={
                "child_id": child_id, "direction": "step_up", "requested_at": requested_at,
                "rationale": "Two missing episodes this month; the worker fears exploitation."})
            assert requested.status_code == 201, requested.json
            return requested.json

        consent = {"status": "given", "given_by": "Mother"}

        # Friday 20 November, 10:00.
        clock.set(utc("2026-11-20T10:00:00Z"))
        # Received Tuesday: due Wednesday either way.
        self.earlier = contact("2026-11-17T09:00:00Z", [child("Bella", "401023213")],
                               consent=consent)
        self.earlier_decision = decide(self.earlier["id"], "early_help", "2026-11-19T09:00:00Z")
        # Received Friday: due at the end of Monday, then of Tuesday once Monday is a holiday.
        self.friday = contact("2026-11-20T09:00:00Z", [child("Amelia", "943476591")])
        self.friday_decision = decide(self.friday["id"], "strategy_discussion",
                                      "2026-11-20T09:30:00Z")
        self.meeting = self._hold_meeting(mash)
        self.other_friday = contact("2026-11-20T09:10:00Z", [child("Cara", "401023221")])
        # Early help asks social care to take Bella on: 5 working days, due Friday 27 (Monday 30
        # once Monday 23 is a holiday).
        self.step_up = step_up(self.earlier["children"][0]["id"], "2026-11-20T09:50:00Z")

        # Monday 23 November, 16:00: a first decision, on time either way.
        clock.set(utc("2026-11-23T16:00:00Z"))
        self.first_decision = decide(self.other_friday["id"], "information_advice",
                                     "2026-11-23T15:00:00Z")

        # Tuesday 24 November, 11:00: minutes and a replacing decision, late until Monday is a
        # holiday.
        clock.set(utc("2026-11-24T11:00:00Z"))
        minutes = mash.post(f"/api/v1/strategy-meetings/{self.meeting['id']}/minutes",
                            json={"minutes_recorded_at": "2026-11-24T10:00:00Z"})
        assert minutes.status_code == 201, minutes.json
        self.meeting = minutes.json
        self.second_decision = decide(self.other_friday["id"], "nfa", "2026-11-24T10:30:00Z",
                                      supersedes=self.first_decision["id"],
                                      supersede_reason="The school has since explained the bruise.")

        # Wednesday 25 November: a contact and a step-up after the new holiday.
        clock.set(utc("2026-11-25T12:00:00Z"))
        self.wednesday = contact("2026-11-25T09:00:00Z", [child("Dina", "401023230")],
                                 consent=consent)
        decide(self.wednesday["id"], "early_help", "2026-11-25T10:00:00Z")
        self.later_step_up = step_up(self.wednesday["children"][0]["id"], "2026-11-25T11:00:00Z")

        # Monday 30 November: social care accepts the first step-up.
        clock.set(utc("2026-11-30T10:00:00Z"))
        accepted = social_care_manager.post(
            f"/api/v1/transitions/{self.step_up['id']}/response", json={"decision": "accepted"})
        assert accepted.status_code == 201, accepted.json
        self.step_up = accepted.json

    def _hold_meeting(self, mash):
        meetings = "/api/v1/strategy-meetings"
        convened = mash.post(meetings, json={
            "contact_id": self.friday["id"], "children": [self.friday["children"][0]["id"]],
            "convened_at": "2026-11-20T09:35:00Z", "scheduled_for": "2026-11-20T09:40:00Z",
            "chair": "Mark Evans", "invited": [{"agency": "wmp"}, {"agency": "hilltop-gp"}],
        })
        assert convened.status_code == 201, convened.json
        held = mash.post(f"{meetings}/{convened.json['id']}/outcome", json={
            "held_at": "2026-11-20T09:40:00Z",
            "attendance": [{"agency": "wmp", "attended": True},
                           {"agency": "hilltop-gp", "attended": True}],
            "outcome": "s47_enquiry", "rationale": MEETING_RATIONALE,
            "medical_examination": {"decision": "required"},
        })
        assert held.status_code == 201, held.json
        return held.json


@pytest.fixture
def records(api_as, clock):
    return Records(api_as, clock)


def stored(model, record):
    session.expire_all()
    return session.get(model, uuid.UUID(record["id"]))


def recomputed_events():
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.actor_sub == "system:timescales")
        .order_by(AuditEvent.seq)
    ).all()


def audit_length():
    return session.scalar(select(func.count()).select_from(AuditEvent))


# ---- as recorded --------------------------------------------------------------------------------


def test_the_records_are_made_on_the_published_calendar(records):
    assert records.friday["decision_due_at"] == "2026-11-23T23:59:59.999999Z"
    assert records.second_decision["within_1_working_day"] is False
    assert records.meeting["icpc_due_date"] == "2026-12-11"
    assert records.meeting["minutes_within_1_working_day"] is False
    assert records.step_up["response_due_at"] == "2026-11-27T23:59:59.999999Z"
    assert stored(Transition, records.step_up).working_days_to_response == 6


def test_on_an_unchanged_calendar_recompute_agrees_with_what_was_recorded(records, recompute):
    before = audit_length()

    assert recompute() == NO_CHANGE

    assert audit_length() == before


# ---- a newly announced bank holiday ----------------------------------------------------------


def test_a_new_holiday_moves_exactly_the_facts_it_touches(records, recompute, announce_holiday):
    untouched = {
        "earlier": (stored(Contact, records.earlier).decision_due_at,
                    stored(Contact, records.earlier).version),
        "wednesday": stored(Contact, records.wednesday).decision_due_at,
        "decisions": {d["id"]: stored(Decision, d).within_1_working_day for d in (
            records.earlier_decision, records.friday_decision, records.first_decision)},
        "later_step_up": stored(Transition, records.later_step_up).response_due_at,
    }
    announce_holiday(NEW_HOLIDAY)

    counts = recompute()

    assert counts == {"contacts": 2, "decisions": 1, "transitions": 1, "strategy_meetings": 1}
    for contact in (records.friday, records.other_friday):
        assert stored(Contact, contact).decision_due_at == utc("2026-11-24T23:59:59.999999Z")
    assert stored(Decision, records.second_decision).within_1_working_day is True
    step_up = stored(Transition, records.step_up)
    assert step_up.response_due_at == utc("2026-11-30T23:59:59.999999Z")
    assert step_up.working_days_to_response == 5
    meeting = stored(StrategyMeeting, records.meeting)
    assert meeting.icpc_due_date == date(2026, 12, 14)
    assert meeting.minutes_within_1_working_day is True

    earlier = stored(Contact, records.earlier)
    assert (earlier.decision_due_at, earlier.version) == untouched["earlier"]
    assert stored(Contact, records.wednesday).decision_due_at == untouched["wednesday"]
    for decision_id, within in untouched["decisions"].items():
        assert session.get(Decision, uuid.UUID(decision_id)).within_1_working_day is within
    assert stored(Transition, records.later_step_up).response_due_at == untouched["later_step_up"]


def test_each_changed_record_gets_one_audit_event_saying_from_what_to_what(
    records, recompute, announce_holiday
):
    announce_holiday(NEW_HOLIDAY)

    recompute()

    events = [(e.action, e.entity_type, e.entity_id, json.loads(e.data))
              for e in recomputed_events()]
    assert events == [
        ("contact.timescales_recomputed", "contact", records.friday["id"],
         {"decision_due_at": {"from": "2026-11-23T23:59:59.999999Z",
                              "to": "2026-11-24T23:59:59.999999Z"}}),
        ("contact.timescales_recomputed", "contact", records.other_friday["id"],
         {"decision_due_at": {"from": "2026-11-23T23:59:59.999999Z",
                              "to": "2026-11-24T23:59:59.999999Z"}}),
        # Unrated: its RAG deadline is the statutory one, so both facts move together.
        ("decision.timescales_recomputed", "decision", records.second_decision["id"],
         {"within_1_working_day": {"from": False, "to": True},
          "within_rag_deadline": {"from": False, "to": True}}),
        ("transition.timescales_recomputed", "transition", records.step_up["id"],
         {"response_due_at": {"from": "2026-11-27T23:59:59.999999Z",
                              "to": "2026-11-30T23:59:59.999999Z"},
          "working_days_to_response": {"from": 6, "to": 5}}),
        ("strategy_meeting.timescales_recomputed", "strategy_meeting", records.meeting["id"],
         {"icpc_due_date": {"from": "2026-12-11", "to": "2026-12-14"},
          "minutes_within_1_working_day": {"from": False, "to": True}}),
    ]
    assert {(e.actor_role, e.actor_agency, e.actor_service) for e in recomputed_events()} == {
        ("system", None, None)}
    assert audit.verify().valid


def test_the_api_serves_the_recomputed_facts_under_a_new_etag(
    records, recompute, announce_holiday, api_as
):
    auditor = api_as("auditor", sub="alex")
    contact_path = f"/api/v1/contacts/{records.friday['id']}"
    etag_before = auditor.get(contact_path).headers["ETag"]
    announce_holiday(NEW_HOLIDAY)
    recompute()

    contact = auditor.get(contact_path)
    meeting = auditor.get(f"/api/v1/strategy-meetings/{records.meeting['id']}")
    transition = auditor.get(f"/api/v1/transitions/{records.step_up['id']}")

    assert contact.json["decision_due_at"] == "2026-11-24T23:59:59.999999Z"
    # A client holding the old representation gets 412 on If-Match, and reads it again.
    assert contact.headers["ETag"] != etag_before
    assert meeting.json["icpc_due_date"] == "2026-12-14"
    assert meeting.json["minutes_within_1_working_day"] is True
    assert transition.json["response_due_at"] == "2026-11-30T23:59:59.999999Z"


def test_a_second_run_changes_nothing_and_writes_no_events(records, recompute, announce_holiday):
    announce_holiday(NEW_HOLIDAY)
    recompute()
    before = audit_length()

    assert recompute() == NO_CHANGE

    assert audit_length() == before
    assert audit.verify().valid


def test_a_holiday_before_every_record_changes_nothing(records, recompute, announce_holiday):
    announce_holiday(date(2026, 11, 16))  # the Monday before the first contact
    before = audit_length()

    assert recompute() == NO_CHANGE

    assert audit_length() == before


def test_records_are_streamed_in_batches_with_the_same_result(records, announce_holiday):
    announce_holiday(NEW_HOLIDAY)

    counts = recompute_working_day_facts(system_actor("timescales"), batch_size=1)

    assert counts == {"contacts": 2, "decisions": 1, "transitions": 1, "strategy_meetings": 1}
    assert len(recomputed_events()) == 5
    assert audit.verify().valid


def test_a_decision_made_at_the_last_instant_of_its_deadline_stays_on_time(api_as, clock, recompute):
    """The deadline is the end of the working day (23:59:59.999999 London): a decision at that
    instant is on time when written and stays so when recomputed."""
    agency = api_as("agency", agency="wmp")
    mash = api_as("practitioner", sub="priya", service="mash")
    clock.set(utc("2026-11-20T10:00:00Z"))
    contact = agency.post("/api/v1/contacts", json=contact_body(
        received_at="2026-11-20T09:00:00Z", children=[child("Ella", "401023248")])).json
    assert contact["decision_due_at"] == "2026-11-23T23:59:59.999999Z"  # Monday, GMT
    clock.set(utc("2026-11-24T10:00:00Z"))
    decided = mash.post(f"/api/v1/contacts/{contact['id']}/decisions", json={
        "outcome": "information_advice", "rationale": RATIONALE,
        "decided_at": "2026-11-23T23:59:59.999999Z"})
    assert decided.status_code == 201, decided.json
    assert decided.json["within_1_working_day"] is True

    assert recompute() == NO_CHANGE
    stored = session.get(Decision, uuid.UUID(decided.json["id"]))
    assert stored.within_1_working_day is True and stored.within_rag_deadline is True
