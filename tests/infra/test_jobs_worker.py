"""A jobs worker in a process of its own (`flask jobs work`), as `make run` starts one: it takes a
job queued through the API and does it; killed in the middle of an export, another worker takes
the job over once the first has been quiet for JOB_STALE_SECONDS, restarts it, and the file is
whole and the same as the request's."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from api.db import session
from api.models import Job
from tests.helpers import ApiClient, build_app, contact_body, decide, token_for, wait_until

ROOT = Path(__file__).resolve().parents[2]
PERIOD = {"from": "2026-11-01", "to": "2026-12-01"}


@pytest.fixture
def app(fresh_database_url):
    app = build_app(fresh_database_url)
    yield app
    app.extensions["db"].engine.dispose()


def worker(url, *arguments, **settings):
    env = {**os.environ, "DATABASE_URL": url, "JOB_POLL_SECONDS": "0.1",
           **{name: str(value) for name, value in settings.items()}}
    env.pop("MIGRATION_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work", *arguments],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def job_of(app, job_id):
    with app.app_context():
        job = session.scalar(select(Job).where(Job.id == uuid.UUID(job_id)))
        state = (job.status, job.done, job.attempts, job.start)
        session.remove()
    return state


def test_a_worker_process_does_a_queued_job(app):
    auditor = ApiClient(app, token_for(app, "auditor", sub="alex"))
    queued = auditor.post("/api/v1/jobs/audit-verifications", json={})
    assert queued.status_code == 202, queued.json
    process = worker(app.config["DATABASE_URL"], "--once")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    done = auditor.get(f"/api/v1/jobs/{queued.json['id']}").json
    assert done["status"] == "finished" and done["result"]["report"]["valid"] is True


def test_an_export_whose_worker_is_killed_is_restarted_by_another_and_comes_out_whole(app):
    police = ApiClient(app, token_for(app, "agency", sub="wmp-case-system", agency="wmp"))
    mash = ApiClient(app, token_for(app, "practitioner", sub="priya", service="mash"))
    manager = ApiClient(app, token_for(app, "manager", sub="mark", service="mash"))
    for _ in range(12):
        contact = police.post("/api/v1/contacts", json=contact_body())
        assert contact.status_code == 201, contact.json
        decide(mash, contact.json["id"], "nfa")
    queued = manager.post("/api/v1/jobs/decision-exports", json={**PERIOD, "format": "csv"})
    assert queued.status_code == 202, queued.json
    job_id = queued.json["id"]

    # Slow pieces, so that it is killed part of the way through.
    first = worker(app.config["DATABASE_URL"], JOB_CHUNK_BYTES=200, JOB_PAUSE_SECONDS=0.5,
                   JOB_HEARTBEAT_SECONDS=0.1)
    try:
        def writing():
            status, done, _attempts, _start = job_of(app, job_id)
            return status == "running" and done > 0

        assert wait_until(writing, 30), job_of(app, job_id)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        first.stderr.close()
    status, done, attempts, _start = job_of(app, job_id)
    assert (status, attempts) == ("running", 1) and 0 < done < 12

    # Another worker takes it over once the first has been quiet for JOB_STALE_SECONDS.
    time.sleep(1.2)
    second = worker(app.config["DATABASE_URL"], "--once", JOB_STALE_SECONDS=1,
                    JOB_CHUNK_BYTES=200)
    _out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    finished = manager.get(f"/api/v1/jobs/{job_id}").json
    assert (finished["status"], finished["attempts"], finished["start"]) == ("finished", 2, "restarted")
    assert finished["result"]["rows"] == 12
    body = manager.get(finished["result_url"]).get_data()
    streamed = manager.get(f"/api/v1/exports/decisions?from={PERIOD['from']}&to={PERIOD['to']}",
                           headers={"Accept": "text/csv"}).get_data()
    assert body == streamed
