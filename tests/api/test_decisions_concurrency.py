"""Decisions under concurrent writers: real row locks on PostgreSQL (two approvals, two first
decisions, a decision waiting on the contact's lock), and If-Match on the writes to a contact."""

import threading
import uuid
from time import monotonic

import pytest
from sqlalchemy import text

from tests.helpers import (
    DECISION_RATIONALE, assert_problem, audit_actions, audit_length, client_as, consent_body,
    contact_body, decided, live_staff, only_on, race, record_contact,
)


# ---- real concurrency (PostgreSQL) ----------------------------------------------------------

postgres_only = only_on(
    "postgresql", "real concurrency needs PostgreSQL's row locks; SQLite serialises every writer "
    "(set TEST_DATABASE_URL to run it).")


@postgres_only
def test_two_managers_approving_one_decision_at_once_get_one_201_and_one_409(live_app):
    staff = live_staff(live_app)
    managers = {"mark": staff.mash_manager,
                "maya": client_as(live_app, "manager", sub="maya", service="mash")}
    for round_ in range(3):
        contact = record_contact(staff.agency, source_reference=f"R{round_}")
        decision = decided(staff.mash, contact["id"])
        url = f"/api/v1/decisions/{decision['id']}/approval"
        before = audit_length(staff.auditor)
        answers = race(*(lambda m=m, sub=sub, url=url: m.post(url, {"note": f"Agreed by {sub}."})
                         for sub, m in managers.items()))
        statuses = [answer.status_code for answer in answers]
        assert sorted(statuses) == [201, 409], statuses
        assert audit_length(staff.auditor) == before + 1
        assert audit_actions(staff.auditor, decision["id"]) == [
            "decision.recorded", "decision.approved"]
    assert staff.auditor.get("/api/v1/audit/verify").json["valid"] is True


@postgres_only
def test_two_first_decisions_posted_at_once_on_one_contact_get_one_201_and_one_409(live_app):
    staff = live_staff(live_app)
    deciders = [staff.mash, staff.mash_manager]
    for round_ in range(3):
        contact = record_contact(staff.agency, source_reference=f"R{round_}")
        url = f"/api/v1/contacts/{contact['id']}/decisions"
        before = audit_length(staff.auditor)
        answers = race(*(
            lambda d=d, o=o, url=url: d.post(url, {"outcome": o, "rationale": DECISION_RATIONALE})
            for d, o in zip(deciders, ("nfa", "information_advice"), strict=True)))
        statuses = [answer.status_code for answer in answers]
        assert sorted(statuses) == [201, 409], statuses
        assert audit_length(staff.auditor) == before + 2  # decision.recorded, contact.decided
        items = deciders[0].get(url).json["items"]
        assert len(items) == 1
        assert items[0]["superseded_by"] is None
        read = deciders[0].get(f"/api/v1/contacts/{contact['id']}").json
        assert read["status"] == "decided"
        assert read["current_outcome"]["outcome"] == items[0]["outcome"]


def _wait_until_blocked_on_a_lock(engine, contact_id, deadline_seconds=20):
    """Return once another session waits on a row lock (polled, without sleeping)."""
    deadline = monotonic() + deadline_seconds
    with engine.connect() as watcher:
        while monotonic() < deadline:
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE '%FOR UPDATE%'")).scalar()
            watcher.rollback()
            if waiting:
                return
    raise AssertionError(f"no request came to wait on contact {contact_id}'s lock")


@postgres_only
def test_a_decision_waiting_for_the_contacts_lock_judges_consent_as_it_stands_once_granted(
    live_app
):
    app = live_app
    staff = live_staff(app)
    practitioner = staff.mash
    contact_id = record_contact(staff.agency, consent=consent_body("given"))["id"]
    engine = app.extensions["db"].engine
    statuses, bodies = [], []

    def decide_early_help():
        response = practitioner.post(f"/api/v1/contacts/{contact_id}/decisions",
                                     {"outcome": "early_help", "rationale": DECISION_RATIONALE})
        statuses.append(response.status_code)
        bodies.append(response.json)

    # Another transaction holds the contact and withdraws consent while the decision waits.
    with engine.connect() as other:
        other.execute(text("SELECT id FROM contacts WHERE id = :id FOR UPDATE"),
                      {"id": uuid.UUID(contact_id)})
        worker = threading.Thread(target=decide_early_help)
        worker.start()
        try:
            _wait_until_blocked_on_a_lock(engine, contact_id)
            other.execute(text(
                "UPDATE contacts SET consent_status = 'refused', version = version + 1 "
                "WHERE id = :id"), {"id": uuid.UUID(contact_id)})
        finally:
            other.commit()  # releases the lock, whatever happened above
            worker.join(timeout=60)
    assert statuses == [422], bodies
    assert "refused" in bodies[0]["errors"]["outcome"][0]


# ---- If-Match -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path, body", [
    ("decisions", {"outcome": "nfa", "rationale": "Single verbal argument; child safe with mother."}),
    ("feedback", {"given_at": "2026-11-20T09:30:00Z", "method": "phone",
                  "summary": "Told the referrer the outcome."}),
])
def test_a_write_on_a_contact_honours_if_match(api_as, path, body):
    practitioner = api_as("practitioner")
    contact = practitioner.post("/api/v1/contacts", json=contact_body()).json
    url = f"/api/v1/contacts/{contact['id']}"
    etag = practitioner.get(url).headers["ETag"]
    stale = practitioner.post(f"{url}/{path}", json=body, headers={"If-Match": '"not-the-etag"'})
    assert_problem(stale, 412)
    assert practitioner.get(url).headers["ETag"] == etag  # nothing changed
    current = practitioner.post(f"{url}/{path}", json=body, headers={"If-Match": etag})
    assert current.status_code == 201, current.json
