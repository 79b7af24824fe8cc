"""Decisions under concurrent writers: real row locks on PostgreSQL (two approvals, two first
decisions, a decision waiting on the contact's lock), and If-Match on the writes to a contact."""

import threading
import uuid
from time import monotonic

import pytest
from sqlalchemy import text

from tests.helpers import (
    DECISION_RATIONALE, FakeClock, assert_problem, build_app, consent_body, contact_body, only_on,
    token_for,
)


# ---- real concurrency (PostgreSQL) ----------------------------------------------------------

postgres_only = only_on(
    "postgresql", "real concurrency needs PostgreSQL's row locks; SQLite serialises every writer "
    "(set TEST_DATABASE_URL to run it).")


@pytest.fixture
def committing_app(fresh_database_url):
    """An app on a database of its own: real commits, real connections, one per thread."""
    app = build_app(fresh_database_url, clock=FakeClock())
    yield app
    app.extensions["db"].engine.dispose()


class Caller:
    def __init__(self, app, role, sub=None, **claims):
        self.sub = sub
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token_for(app, role, sub=sub, **claims)}"}

    def post(self, path, body):
        return self.client.post(path, json=body, headers=self.headers)

    def get(self, path):
        return self.client.get(path, headers=self.headers)


def _all_at_once(calls):
    """Run the calls in threads released together by a barrier; their status codes, in order."""
    barrier = threading.Barrier(len(calls))
    statuses = [None] * len(calls)
    failures = []

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            statuses[index] = call().status_code
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return statuses


@postgres_only
def test_two_managers_approving_one_decision_at_once_get_one_201_and_one_409(committing_app):
    app = committing_app
    police = Caller(app, "agency", agency="wmp")
    practitioner = Caller(app, "practitioner", sub="priya", service="mash")
    managers = [Caller(app, "manager", sub="mark", service="mash"),
                Caller(app, "manager", sub="maya", service="mash")]
    auditor = Caller(app, "auditor", sub="alex")
    for round_ in range(3):
        contact = police.post("/api/v1/contacts", contact_body(source_reference=f"R{round_}"))
        assert contact.status_code == 201, contact.json
        decision = practitioner.post(f"/api/v1/contacts/{contact.json['id']}/decisions",
                                     {"outcome": "nfa", "rationale": DECISION_RATIONALE})
        assert decision.status_code == 201, decision.json
        url = f"/api/v1/decisions/{decision.json['id']}/approval"
        before = auditor.get("/api/v1/audit/verify").json["length"]
        statuses = _all_at_once([lambda m=m: m.post(url, {"note": f"Agreed by {m.sub}."})
                                 for m in managers])
        assert sorted(statuses) == [201, 409], statuses
        assert auditor.get("/api/v1/audit/verify").json["length"] == before + 1
        events = auditor.get(f"/api/v1/audit/events?entity_id={decision.json['id']}").json
        assert [e["action"] for e in events["items"]] == ["decision.recorded", "decision.approved"]
    assert auditor.get("/api/v1/audit/verify").json["valid"] is True


@postgres_only
def test_two_first_decisions_posted_at_once_on_one_contact_get_one_201_and_one_409(
    committing_app
):
    app = committing_app
    police = Caller(app, "agency", agency="wmp")
    deciders = [Caller(app, "practitioner", sub="priya", service="mash"),
                Caller(app, "manager", sub="mark", service="mash")]
    auditor = Caller(app, "auditor", sub="alex")
    for round_ in range(3):
        contact = police.post("/api/v1/contacts", contact_body(source_reference=f"R{round_}"))
        assert contact.status_code == 201, contact.json
        url = f"/api/v1/contacts/{contact.json['id']}/decisions"
        before = auditor.get("/api/v1/audit/verify").json["length"]
        statuses = _all_at_once([
            lambda d=d, o=o: d.post(url, {"outcome": o, "rationale": DECISION_RATIONALE})
            for d, o in zip(deciders, ("nfa", "information_advice"), strict=True)])
        assert sorted(statuses) == [201, 409], statuses
        assert auditor.get("/api/v1/audit/verify").json["length"] == before + 1
        items = deciders[0].get(url).json["items"]
        assert len(items) == 1
        assert items[0]["superseded_by"] is None
        read = deciders[0].get(f"/api/v1/contacts/{contact.json['id']}").json
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
    committing_app
):
    app = committing_app
    police = Caller(app, "agency", agency="wmp")
    practitioner = Caller(app, "practitioner", sub="priya", service="mash")
    contact = police.post("/api/v1/contacts", contact_body(consent=consent_body("given")))
    assert contact.status_code == 201, contact.json
    contact_id = contact.json["id"]
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
