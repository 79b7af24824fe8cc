"""Background jobs (api/jobs.py): queued by a request, done by a worker, read by who queued them.

The worker is run in-process here (`jobs.run_one`), inside the test's transaction; a worker in a
process of its own, killed mid-job and replaced, is in tests/infra/test_jobs_worker.py."""

import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from api import audit, jobs
from api.db import session
from api.models import AuditEvent, Job, JobChunk
from tests.helpers import (
    assert_problem, decide, drop_append_only_triggers, make_account, only_on, record_contact,
)

VERIFICATIONS = "/api/v1/jobs/audit-verifications"
DECISION_EXPORTS = "/api/v1/jobs/decision-exports"
ANNEX_A_EXPORTS = "/api/v1/jobs/annex-a-exports"
PERIOD = {"from": "2026-11-01", "to": "2026-12-01"}


def queued(response):
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.json
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{body['id']}")
    assert (body["status"], body["attempts"], body["done"]) == ("queued", 0, 0)
    return body


def uid(job):
    return uuid.UUID(job["id"])


def read(client, job):
    response = client.get(f"/api/v1/jobs/{job['id']}")
    assert response.status_code == 200, response.json
    return response.json


def decisions(police, practitioner, n):
    for outcome in ["nfa", "information_advice", "universal_services"] * (n // 3) + ["nfa"] * (n % 3):
        contact = record_contact(police)
        decide(practitioner, contact["id"], outcome)


def run_until_done():
    ran = []
    while (job_id := jobs.run_one("test-worker")) is not None:
        ran.append(job_id)
    return ran


# ---- verifying the audit chain --------------------------------------------------------------------


def test_a_verification_job_checks_the_whole_chain_and_is_audited(police, auditor):
    record_contact(police)
    job = queued(auditor.post(VERIFICATIONS, json={}))
    assert read(auditor, job)["status"] == "queued"

    assert [str(i) for i in run_until_done()] == [job["id"]]
    finished = read(auditor, job)
    assert finished["status"] == "finished" and finished["attempts"] == 1
    assert finished["start"] == "started" and finished["error"] is None
    report = finished["result"]["report"]
    assert report["valid"] is True and report["first_bad_seq"] is None
    assert finished["result"]["from_length"] == 0
    # The chain at the verification's start: everything before the job.started event.
    started = session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "job.started"))
    assert report["length"] >= started
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "job", AuditEvent.entity_id == job["id"]).order_by(AuditEvent.seq)).all()
    assert actions == ["job.queued", "job.started", "job.finished"]
    assert finished["done"] == finished["of"] > 0
    assert finished["result_url"] is None  # a report, not a file


def test_a_verification_job_finds_a_changed_event(police, auditor):
    record_contact(police)
    record_contact(police)
    drop_append_only_triggers()
    changed = session.scalar(select(func.max(AuditEvent.seq)))
    session.execute(text("UPDATE audit_events SET data = '{}' WHERE seq = :seq"), {"seq": changed})
    job = queued(auditor.post(VERIFICATIONS, json={}))
    run_until_done()
    report = read(auditor, job)["result"]["report"]
    assert report["valid"] is False and report["first_bad_seq"] == changed


def test_a_verification_from_a_signed_checkpoint_recomputes_only_what_came_after(police, auditor):
    record_contact(police)
    checkpoint = auditor.get("/api/v1/audit/checkpoint").json["checkpoint"]
    length = audit.chain_length()
    record_contact(police)
    job = queued(auditor.post(VERIFICATIONS, json={"checkpoint": checkpoint}))
    assert job["params"]["from"]["length"] == length
    run_until_done()
    finished = read(auditor, job)
    assert finished["result"]["from_length"] == length
    report = finished["result"]["report"]
    assert report["valid"] is True and report["length"] > length
    # Only the events after the checkpoint were read (and the access events).
    assert finished["of"] < report["length"] + 1000

    # An event after the checkpoint changed: found.
    drop_append_only_triggers()
    changed = length + 1
    session.execute(text("UPDATE audit_events SET data = '{}' WHERE seq = :seq"), {"seq": changed})
    again = queued(auditor.post(VERIFICATIONS, json={"checkpoint": checkpoint}))
    run_until_done()
    assert read(auditor, again)["result"]["report"]["first_bad_seq"] == changed


def test_the_checkpoints_own_event_must_still_hold_its_hash(police, auditor):
    record_contact(police)
    checkpoint = auditor.get("/api/v1/audit/checkpoint").json["checkpoint"]
    length = audit.chain_length()
    drop_append_only_triggers()
    session.execute(text("UPDATE audit_events SET hash = :h WHERE seq = :seq"),
                    {"h": "f" * 64, "seq": length})
    job = queued(auditor.post(VERIFICATIONS, json={"checkpoint": checkpoint}))
    run_until_done()
    report = read(auditor, job)["result"]["report"]
    assert report["valid"] is False and report["first_bad_seq"] == length


def test_a_verification_from_the_last_one_that_passed(police, auditor):
    assert_problem(auditor.post(VERIFICATIONS, json={"from_last_verification": True}), 422,
                   "from_last_verification")
    record_contact(police)
    first = queued(auditor.post(VERIFICATIONS, json={}))
    run_until_done()
    reached = read(auditor, first)["result"]["report"]
    record_contact(police)
    second = queued(auditor.post(VERIFICATIONS, json={"from_last_verification": True}))
    assert second["params"]["from"] == {"length": reached["length"], "head_hash": reached["head_hash"]}
    run_until_done()
    finished = read(auditor, second)
    assert finished["result"]["from_length"] == reached["length"]
    assert finished["result"]["report"]["valid"] is True


def test_a_bad_checkpoint_or_both_starting_points_are_refused(auditor):
    assert_problem(auditor.post(VERIFICATIONS, json={"checkpoint": "not.a.checkpoint"}), 422,
                   "checkpoint")
    checkpoint = auditor.get("/api/v1/audit/checkpoint").json["checkpoint"]
    assert_problem(auditor.post(VERIFICATIONS, json={
        "checkpoint": checkpoint, "from_last_verification": True}), 422, "from_last_verification")
    assert session.scalar(select(func.count()).select_from(Job)) == 0


# ---- exports ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("wanted, accept", [("ndjson", "application/x-ndjson"),
                                             ("csv", "text/csv")])
def test_a_decision_export_job_writes_the_file_the_request_would_have_streamed(
        police, practitioner, manager, app, monkeypatch, wanted, accept):
    monkeypatch.setitem(app.config, "JOB_CHUNK_BYTES", 300)  # several pieces
    decisions(police, practitioner, 7)
    job = queued(manager.post(DECISION_EXPORTS, json={**PERIOD, "format": wanted}))
    run_until_done()
    finished = read(manager, job)
    assert finished["status"] == "finished", finished
    assert session.scalar(select(func.count()).select_from(JobChunk)
                          .where(JobChunk.job_id == uid(job))) > 1
    response = manager.get(finished["result_url"])
    assert response.status_code == 200
    assert response.mimetype == accept
    body = response.get_data()
    streamed = manager.get(f"/api/v1/exports/decisions?from={PERIOD['from']}&to={PERIOD['to']}",
                           headers={"Accept": accept}).get_data()
    assert body == streamed
    result = finished["result"]
    assert result["rows"] == 7 and finished["done"] == finished["of"] == 7
    assert result["bytes"] == len(body) == int(response.headers["Content-Length"])
    assert result["sha256"] == hashlib.sha256(body).hexdigest()
    assert result["filename"].startswith("decisions-2026-11-01-2026-12-01")
    assert result["filename"] in response.headers["Content-Disposition"]


@pytest.mark.parametrize("name", ["contacts", "referrals", "section-47"])
def test_an_annex_a_export_job_writes_the_list_the_request_would_have_streamed(
        police, practitioner, auditor, name):
    decisions(police, practitioner, 3)
    contact = record_contact(police)
    decide(practitioner, contact["id"], "strategy_discussion")
    job = queued(auditor.post(ANNEX_A_EXPORTS, json={**PERIOD, "list": name}))
    run_until_done()
    finished = read(auditor, job)
    assert finished["status"] == "finished", finished
    body = auditor.get(finished["result_url"]).get_data()
    streamed = auditor.get(f"/api/v1/exports/annex-a/{name}?from={PERIOD['from']}&to={PERIOD['to']}",
                           headers={"Accept": "text/csv"}).get_data()
    assert body == streamed
    assert finished["result"]["rows"] == body.count(b"\n") - 1


def test_an_export_that_is_not_finished_has_no_file_yet(police, manager):
    job = queued(manager.post(DECISION_EXPORTS, json=PERIOD))
    assert read(manager, job)["result_url"] is None
    assert_problem(manager.get(f"/api/v1/jobs/{job['id']}/result"), 409)


def test_a_verifications_result_is_its_report_not_a_file(auditor):
    job = queued(auditor.post(VERIFICATIONS, json={}))
    run_until_done()
    assert_problem(auditor.get(f"/api/v1/jobs/{job['id']}/result"), 409)


def test_fetching_an_exports_file_is_an_access_event(police, practitioner, manager):
    from api.models import AccessEvent

    decisions(police, practitioner, 1)
    job = queued(manager.post(DECISION_EXPORTS, json=PERIOD))
    run_until_done()
    assert manager.get(f"/api/v1/jobs/{job['id']}/result").status_code == 200
    event = session.scalars(select(AccessEvent).where(AccessEvent.entity_id == job["id"])).one()
    assert (event.entity_type, event.actor_sub, event.status) == ("export", "mark", 200)


# ---- who may ----------------------------------------------------------------------------------------


def test_only_who_queued_a_job_may_read_it(api_as, manager, auditor):
    job = queued(manager.post(DECISION_EXPORTS, json=PERIOD))
    other = api_as("manager", sub="morgan", service="mash")
    assert_problem(other.get(f"/api/v1/jobs/{job['id']}"), 404)
    assert_problem(other.get(f"/api/v1/jobs/{job['id']}/result"), 404)
    assert [j["id"] for j in manager.get("/api/v1/jobs").json["items"]] == [job["id"]]
    assert other.get("/api/v1/jobs").json["items"] == []
    assert auditor.get("/api/v1/jobs").json["items"] == []


def test_only_auditors_verify_and_only_overseers_export(practitioner, police, manager):
    assert_problem(manager.post(VERIFICATIONS, json={}), 403)
    assert_problem(practitioner.post(DECISION_EXPORTS, json=PERIOD), 403)
    assert_problem(police.post(ANNEX_A_EXPORTS, json={**PERIOD, "list": "contacts"}), 403)
    assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_an_export_job_leaves_out_what_is_restricted_from_who_asked(
        police, practitioner, manager, api_as):
    make_account("priya", "person", "practitioner", service="mash")
    decisions(police, practitioner, 2)
    hidden = record_contact(police)
    decide(practitioner, hidden["id"], "nfa")
    restricted = manager.post("/api/v1/restrictions", json={
        "entity_type": "contact", "entity_id": hidden["id"], "allowed": ["priya"],
        "reason": "A member of staff's own family: only the allocated worker may see it."})
    assert restricted.status_code == 201, restricted.json
    other = api_as("manager", sub="morgan", service="mash")  # not among those allowed
    job = queued(other.post(DECISION_EXPORTS, json=PERIOD))
    run_until_done()
    finished = read(other, job)
    body = other.get(finished["result_url"]).get_data(as_text=True)
    assert finished["result"]["rows"] == 2 and hidden["id"] not in body


# ---- a worker that stops ------------------------------------------------------------------------------


def test_an_export_abandoned_by_its_worker_is_restarted_from_its_beginning(
        police, practitioner, manager, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_CHUNK_BYTES", 200)
    decisions(police, practitioner, 4)
    job = queued(manager.post(DECISION_EXPORTS, json=PERIOD))
    # A worker takes it, writes a piece of the file, and is killed.
    assert str(jobs.claim("lost-worker")) == job["id"]
    jobs.Progress(uid(job), of=4).chunk(0, b"half a file", 1)
    assert jobs.run_one("another") is None  # not yet stale: nobody takes it over
    clock.advance(seconds=app.config["JOB_STALE_SECONDS"] + 1)
    assert str(jobs.run_one("another")) == job["id"]
    finished = read(manager, job)
    assert (finished["status"], finished["attempts"], finished["start"]) == ("finished", 2, "restarted")
    body = manager.get(finished["result_url"]).get_data()
    assert b"half a file" not in body and finished["result"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert finished["result"]["rows"] == 4


def test_a_verification_from_a_checkpoint_counts_only_the_access_events_it_reads(
    police, auditor, clock,
):
    """`of` (and so `eta`) is the events after the checkpoint and the access events from where
    the seals before it ended: not the whole access log, which it does not read."""
    from api import sealing
    from api.models import AccessEvent

    record_contact(police)
    auditor.get("/api/v1/audit/access")  # a read, logged
    clock.advance(minutes=1)
    before = sealing.seal()
    session.commit()
    assert before is not None
    checkpoint = auditor.get("/api/v1/audit/checkpoint").json["checkpoint"]
    length = audit.chain_length()
    record_contact(police)
    auditor.get("/api/v1/audit/access")  # a read after the seal: the job reads it
    unsealed = session.scalar(select(func.count()).select_from(AccessEvent).where(
        AccessEvent.id > before.data_object["to_id"]))
    everything = session.scalar(select(func.count()).select_from(AccessEvent))
    assert 0 < unsealed < everything
    job = queued(auditor.post(VERIFICATIONS, json={"checkpoint": checkpoint}))
    run_until_done()
    finished = read(auditor, job)
    report = finished["result"]["report"]
    assert report["valid"] is True
    assert finished["of"] == report["length"] - length + unsealed
    assert finished["done"] == finished["of"]


def test_a_verification_abandoned_by_its_worker_resumes_where_it_had_got_to(
        police, auditor, app, clock):
    for _ in range(3):
        record_contact(police)
    job = queued(auditor.post(VERIFICATIONS, json={}))
    assert str(jobs.claim("lost-worker")) == job["id"]
    position = audit.chain_length() - 2
    head_hash = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == position))
    jobs.Progress(uid(job))(0, force=True, resume={"length": position, "head_hash": head_hash})
    clock.advance(seconds=app.config["JOB_STALE_SECONDS"] + 1)
    assert str(jobs.run_one("another")) == job["id"]
    finished = read(auditor, job)
    assert (finished["attempts"], finished["start"]) == (2, "resumed")
    assert finished["result"]["from_length"] == position
    assert finished["result"]["report"]["valid"] is True


def test_a_failed_job_says_why_and_the_worker_goes_on(police, manager, auditor, monkeypatch):
    def broken(job):
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(jobs.RUNNERS, "exports.decisions", broken)
    failing = queued(manager.post(DECISION_EXPORTS, json=PERIOD))
    fine = queued(auditor.post(VERIFICATIONS, json={}))
    run_until_done()
    failed = read(manager, failing)
    assert failed["status"] == "failed" and "the disk is full" in failed["error"]
    assert read(auditor, fine)["status"] == "finished"
    assert session.scalar(select(AuditEvent.action).where(
        AuditEvent.entity_id == failing["id"]).order_by(AuditEvent.seq.desc()).limit(1)) == "job.failed"


def test_a_running_jobs_eta_follows_its_pace(manager, clock):
    job = queued(manager.post(DECISION_EXPORTS, json=PERIOD))
    jobs.claim("worker")
    record = session.get(Job, uid(job))
    record.done, record.of = 25, 100
    record.heartbeat_at = record.started_at + timedelta(seconds=10)
    session.flush()
    shown = read(manager, job)
    assert (shown["status"], shown["done"], shown["of"]) == ("running", 25, 100)
    # 25 in 10 s: the other 75 in 30 s more.
    expected = record.heartbeat_at + timedelta(seconds=30)
    assert shown["eta"] == expected.isoformat().replace("+00:00", "Z")


# ---- a request too long for the server's timeout points to the job --------------------------------


def test_a_chain_too_long_to_verify_in_a_request_points_to_the_job(police, auditor, app, monkeypatch):
    record_contact(police)
    checkpoint = auditor.get("/api/v1/audit/checkpoint").json["checkpoint"]
    monkeypatch.setitem(app.config, "VERIFY_SYNC_MAX_EVENTS", 3)
    for response in (auditor.get("/api/v1/audit/verify"),
                     auditor.post("/api/v1/audit/verify", json={"checkpoints": [checkpoint]})):
        problem = assert_problem(response, 422, slug="use-a-job")
        assert problem["job"] == VERIFICATIONS and problem["job_body"] == {}
        assert "POST /api/v1/jobs/audit-verifications" in problem["detail"]
    job = queued(auditor.post(problem["job"], json=problem["job_body"]))
    run_until_done()
    assert read(auditor, job)["result"]["report"]["valid"] is True
    monkeypatch.setitem(app.config, "VERIFY_SYNC_MAX_EVENTS", 10_000)
    assert auditor.get("/api/v1/audit/verify").status_code == 200


@pytest.mark.parametrize("accept", ["application/x-ndjson", "text/csv"])
def test_an_export_too_big_to_stream_in_a_request_points_to_the_job(
        police, practitioner, manager, app, monkeypatch, accept):
    decisions(police, practitioner, 3)
    monkeypatch.setitem(app.config, "EXPORT_SYNC_MAX_ROWS", 2)
    query = f"from={PERIOD['from']}&to={PERIOD['to']}"
    problem = assert_problem(manager.get(f"/api/v1/exports/decisions?{query}",
                                         headers={"Accept": accept}), 422, slug="use-a-job")
    wanted = "ndjson" if accept.endswith("ndjson") else "csv"
    assert problem["job"] == DECISION_EXPORTS
    assert problem["job_body"] == {**PERIOD, "format": wanted}
    # A page of JSON is still a request's work.
    assert manager.get(f"/api/v1/exports/decisions?{query}",
                       headers={"Accept": "application/json"}).status_code == 200
    job = queued(manager.post(problem["job"], json=problem["job_body"]))
    run_until_done()
    assert read(manager, job)["result"]["rows"] == 3

    problem = assert_problem(manager.get(f"/api/v1/exports/annex-a/contacts?{query}",
                                         headers={"Accept": "text/csv"}), 422, slug="use-a-job")
    assert (problem["job"], problem["job_body"]) == (ANNEX_A_EXPORTS, {**PERIOD, "list": "contacts"})
    monkeypatch.setitem(app.config, "EXPORT_SYNC_MAX_ROWS", 3)
    assert manager.get(f"/api/v1/exports/annex-a/contacts?{query}",
                       headers={"Accept": "text/csv"}).status_code == 200


@only_on("postgresql", "statement timeouts and plan_cache_mode are PostgreSQL's")
def test_a_jobs_read_is_untimed_and_planned_statement_by_statement(manager, monkeypatch):
    """On PostgreSQL a job reads without the requests' statement timeout and with each statement
    planned for its own parameters (as a streamed body's read does)."""
    seen = {}

    def runner(job):
        seen["plan"] = session.scalar(text("SHOW plan_cache_mode"))
        seen["timeout"] = session.scalar(text("SHOW statement_timeout"))
        return {"rows": 0}

    monkeypatch.setitem(jobs.RUNNERS, "exports.decisions", runner)
    job = queued(manager.post(DECISION_EXPORTS, json=PERIOD))
    run_until_done()
    assert read(manager, job)["status"] == "finished"
    assert seen == {"plan": "force_custom_plan", "timeout": "0"}


# ---- the state check ---------------------------------------------------------------------------------


def test_a_state_check_job_reports_as_the_request_would(police, auditor, app, monkeypatch):
    record_contact(police)
    job = queued(auditor.post("/api/v1/jobs/state-checks", json={"limit": 5}))
    run_until_done()
    finished = read(auditor, job)
    assert finished["status"] == "finished" and finished["done"] == finished["of"] > 0
    assert finished["result"]["report"] == auditor.get("/api/v1/audit/state?limit=5").json

    monkeypatch.setitem(app.config, "STATE_SYNC_MAX_RECORDS", 1)
    problem = assert_problem(auditor.get("/api/v1/audit/state?limit=7"), 422, slug="use-a-job")
    assert (problem["job"], problem["job_body"]) == ("/api/v1/jobs/state-checks", {"limit": 7})


def test_a_state_check_job_finds_a_record_changed_behind_the_apis_back(police, auditor):
    contact = record_contact(police)
    session.execute(text("UPDATE contacts SET concern_summary = 'changed' WHERE id = :id"),
                    {"id": uuid.UUID(contact["id"]).hex if session.get_bind().dialect.name == "sqlite"
                     else contact["id"]})
    job = queued(auditor.post("/api/v1/jobs/state-checks", json={}))
    run_until_done()
    report = read(auditor, job)["result"]["report"]
    assert report["valid"] is False
    assert {"entity_type": "contact", "entity_id": contact["id"], "finding": "differs"} in report["findings"]
