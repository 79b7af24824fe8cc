"""Background jobs: long work done by a worker process, not a request.

A request would be cut short by the server's timeout (gunicorn kills a worker after 30 s, and an
export's body is then cut mid-stream): verifying a long audit chain and exporting years of records
run as jobs instead. `POST /api/v1/jobs` queues one (202 and its Location); `GET /jobs/{id}`
reports its progress (`done` of `of`, and an estimate of when it will end); `GET
/jobs/{id}/result` serves an export's file once it is finished (a verification's report is in
the job itself).

Workers (`flask jobs work`; `make run` starts one beside the server) take the oldest queued job,
or a running one whose worker has gone quiet for JOB_STALE_SECONDS (killed, or its machine lost):
on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several workers on several app servers share the
queue without taking the same job; on SQLite under the database's one write lock. A job taken up
again says how: `resumed` (a verification goes on from the last position it recorded with its
hash) or `restarted` (an export is written again from its start; the pieces already written are
dropped).

Why not a job library: the ones that fit PostgreSQL's SKIP LOCKED (procrastinate, pgqueuer) are
PostgreSQL-only, and the others need a broker (Redis, RabbitMQ: Celery, RQ, Dramatiq, Huey); the
embedded default is one SQLite file and nothing else. A queue in the database is a table and one
statement, and keeps a job in the same database and transactions as the records it reads.

Each job acts as the person who asked for it: it sees only what they may see (restricted records
stay hidden from an export), and only they may read it. Queueing, starting, finishing and failing
are audit events; progress is not (it is where a worker is, not a record).
"""

import hashlib
import logging
import os
import socket
import time as clock
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, and_, select, update

from . import audit
from .caller import Actor, system_actor
from .db import session
from .engines import READ_ONLY, lift_timeouts
from .errors import NotFound, UseAJob
from .models import Job, JobChunk
from .pages import keyset_page
from .timescales import now
from .transactions import plan_each_statement

log = logging.getLogger(__name__)

WORKER = system_actor("jobs")
EXPORT_KINDS = ("exports.decisions", "exports.annex_a")


# ---- work too long for a request -------------------------------------------------------------


def verification_fits_a_request():
    """Refuse (UseAJob) a verification the server's timeout would cut short."""
    from .sealing import count_access_events

    limit = current_app.config["VERIFY_SYNC_MAX_EVENTS"]
    events = audit.chain_length() + count_access_events()
    if events > limit:
        raise UseAJob(
            f"The audit chain and access log hold {events:,} events, more than one request "
            f"verifies ({limit:,}): queue a verification job (POST /api/v1/jobs/"
            "audit-verifications), and read its report when it has finished.",
            "/api/v1/jobs/audit-verifications", {})


def state_check_fits_a_request(limit):
    """Refuse (UseAJob) a state check over more records than one request checks."""
    from . import record_state

    most = current_app.config["STATE_SYNC_MAX_RECORDS"]
    records = record_state.count_to_check()
    if records > most:
        raise UseAJob(
            f"The state check reads {records:,} records and named records, more than one request "
            f"checks ({most:,}): queue a state check job (POST /api/v1/jobs/state-checks), and "
            "read its report when it has finished.",
            "/api/v1/jobs/state-checks", {"limit": limit})


def export_fits_a_request(rows, job_path, job_body):
    """Refuse (UseAJob) a streamed export of more than EXPORT_SYNC_MAX_ROWS rows."""
    limit = current_app.config["EXPORT_SYNC_MAX_ROWS"]
    if rows > limit:
        raise UseAJob(
            f"The export holds {rows:,} records, more than one response streams ({limit:,}): "
            f"queue an export job (POST {job_path}), and fetch its file when it has finished.",
            job_path, job_body)


# ---- asking for a job and reading it -----------------------------------------------------------


def queue(actor, kind, params):
    """A job of `kind` with its (already validated) `params`, queued by `actor`; audited."""
    job = Job(
        id=uuid.uuid4(), kind=kind, params=params, status="queued",
        requested_by_sub=actor.sub, requested_by_role=actor.role,
        requested_by_service=actor.service, requested_by_agency=actor.agency,
        created_at=now(), attempts=0, done=0,
    )
    session.add(job)
    session.flush()
    audit.record(actor, "job.queued", "job", job.id, {"kind": kind, "params": params})
    return job


def get_job(actor, job_id):
    """The job, if `actor` asked for it (anyone else: 404, as if there were none)."""
    job = session.get(Job, job_id)
    if job is None or job.requested_by_sub != actor.sub:
        raise NotFound(f"No job {job_id} of yours.")
    return job


def list_jobs(actor, args):
    stmt = select(Job).where(Job.requested_by_sub == actor.sub)
    if "status" in args:
        stmt = stmt.where(Job.status == args["status"])
    return keyset_page(stmt, [Job.created_at, Job.id], limit=args["limit"],
                       cursor=args.get("cursor"), descending=True)


def last_verified():
    """Where the last finished verification that found the chain valid ended, or None."""
    for job in session.scalars(select(Job).where(Job.kind == "audit.verify", Job.status == "finished")
                               .order_by(Job.finished_at.desc(), Job.id).limit(50)):
        report = (job.result or {}).get("report") or {}
        if report.get("valid"):
            return {"length": report["length"], "head_hash": report["head_hash"]}
    return None


def eta(job):
    """When a running job should end, at its pace since this attempt began (None until then)."""
    if job.status != "running" or not job.of or not job.done or job.heartbeat_at is None:
        return None
    elapsed = (job.heartbeat_at - job.started_at).total_seconds()
    if elapsed <= 0:
        return None
    return job.heartbeat_at + timedelta(seconds=max(job.of - job.done, 0) * elapsed / job.done)


def chunks_of(reading, job_id):
    """An export's file, piece by piece, read through `reading` (a session of its own)."""
    position = -1
    while True:
        piece = reading.execute(
            select(JobChunk.position, JobChunk.data)
            .where(JobChunk.job_id == job_id, JobChunk.position > position)
            .order_by(JobChunk.position).limit(1)
        ).first()
        if piece is None:
            return
        position = piece.position
        yield bytes(piece.data)


# ---- the worker ---------------------------------------------------------------------------------


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _own_session():
    return current_app.extensions["db"].sessionmaker()


def claim(name):
    """Take the oldest job waiting (or abandoned), mark it running, and commit. None if none."""
    config = current_app.config
    session.connection()  # a write transaction (SQLite: the write lock, held to the commit)
    current = now()  # once the transaction is ours: a writer that went first is committed by now
    stale = current - timedelta(seconds=config["JOB_STALE_SECONDS"])
    job = session.scalars(
        select(Job).where(or_(
            Job.status == "queued",
            and_(Job.status == "running", Job.heartbeat_at < stale),
        )).order_by(Job.created_at, Job.id).limit(1).with_for_update(skip_locked=True)
    ).first()
    if job is None:
        session.rollback()
        return None
    again = job.attempts > 0
    start = "started" if not again else ("resumed" if job.resume else "restarted")
    job.status, job.attempts, job.start, job.worker = "running", job.attempts + 1, start, name
    job.started_at = job.heartbeat_at = current
    if start == "restarted":
        job.done = 0
        session.execute(delete(JobChunk).where(JobChunk.job_id == job.id))
    session.flush()
    audit.record(WORKER, "job.started", "job", job.id,
                 {"attempt": job.attempts, "start": start, "worker": name})
    session.commit()
    return job.id


class Progress:
    """A running job's progress, written in short transactions of its own (and so its heartbeat,
    which tells other workers it is alive): at most every JOB_HEARTBEAT_SECONDS, and with
    every piece of an export's file."""

    def __init__(self, job_id, of=None):
        self.job_id, self.done, self.of = job_id, 0, of
        self.interval = current_app.config["JOB_HEARTBEAT_SECONDS"]
        self.pause = current_app.config["JOB_PAUSE_SECONDS"]
        self.written = clock.monotonic()

    def _write(self, own, **values):
        own.execute(update(Job).where(Job.id == self.job_id).values(
            done=self.done, of=self.of, heartbeat_at=now(), **values))

    def __call__(self, n, force=False, **values):
        self.done += n
        if force or values or clock.monotonic() - self.written >= self.interval:
            with _own_session() as own:
                self._write(own, **values)
                own.commit()
            self.written = clock.monotonic()
        if self.pause:
            clock.sleep(self.pause)  # let the requests' reads and writes go first

    def chunk(self, position, data, rows):
        """One piece of the file and the progress it makes, in one transaction."""
        self.done += rows
        with _own_session() as own:
            own.add(JobChunk(job_id=self.job_id, position=position, data=data))
            self._write(own)
            own.commit()
        self.written = clock.monotonic()
        if self.pause:
            clock.sleep(self.pause)


def _finish(job_id, status, result=None, error=None):
    job = session.get(Job, job_id, populate_existing=True)  # with the progress written meanwhile
    job.status, job.finished_at = status, now()
    job.heartbeat_at, job.result, job.error = job.finished_at, result, error
    if status == "finished" and job.of is not None:
        job.done = job.of
    session.flush()
    summary = {"status": status}
    if result is not None:
        summary["result"] = {k: v for k, v in result.items() if k != "report"}
        if "report" in result:
            summary["result"]["valid"] = result["report"]["valid"]
    if error is not None:
        summary["error"] = error
    audit.record(WORKER, f"job.{status}", "job", job_id, summary)
    session.commit()


def run_one(name=None):
    """Claim one job and do it. Returns its id, or None when there was nothing to do."""
    job_id = claim(name or worker_name())
    if job_id is None:
        return None
    try:
        job = session.get(Job, job_id)
        kind = job.kind
        _reading()
        result = RUNNERS[kind](job)
    except Exception as error:  # noqa: BLE001 - recorded on the job; the worker goes on
        log.exception("job %s failed", job_id)
        session.rollback()
        _finish(job_id, "failed", error=f"{type(error).__name__}: {error}"[:2000])
    else:
        # The job's read ends here: committed, not rolled back, though it wrote nothing (where
        # a test runs every session in one connection, a rollback would also undo the progress
        # the job wrote meanwhile in sessions of their own).
        session.commit()
        _finish(job_id, "finished", result=result)
    finally:
        session.remove()
    return job_id


def work(name=None, once=False, poll=None):
    """Do jobs until stopped (or, with `once`, until none is waiting)."""
    name = name or worker_name()
    poll = current_app.config["JOB_POLL_SECONDS"] if poll is None else poll
    while True:
        done = run_one(name)
        if done is None:
            if once:
                return
            clock.sleep(poll)


def _actor_of(job):
    return Actor(job.requested_by_sub, job.requested_by_role,
                 service=job.requested_by_service, agency=job.requested_by_agency)


def _reading():
    """The job's long read, on the worker's session: read-only (SQLite: no write lock), and on
    PostgreSQL without the requests' statement timeout and with each statement planned for its
    own parameters (api/transactions.py reading_session)."""
    session.rollback()
    connection = session.connection(execution_options=READ_ONLY)
    lift_timeouts(connection)
    plan_each_statement(connection)  # batched statements keep their per-batch plans


# ---- what each kind of job does ----------------------------------------------------------------


def _verify(job):
    from .sealing import access_events_to_check

    start = job.resume if job.start == "resumed" else job.params.get("from")
    after = int(start["length"]) if start else 0
    # Of: the events after the start, and the access events the seals after it cover (with any
    # not sealed yet, which are counted), so that `done` and `eta` follow the work.
    progress = Progress(job.id, of=audit.chain_length() - after + access_events_to_check(after))
    progress(0, force=True)  # how much there is to do, before the first batch

    def reached(position, head_hash):
        # Where this verification has got to, kept so a worker taking it up again resumes.
        progress(0, force=True, resume={"length": position, "head_hash": head_hash})

    verification = audit.verify(progress=progress, start=start, reached=reached)
    return {"report": verification.as_dict(), "from_length": after}


def _state_check(job):
    from . import record_state

    progress = Progress(job.id, of=record_state.count_to_check())
    progress(0, force=True)
    report = record_state.check_states(limit=job.params["limit"], progress=progress)
    return {"report": report.as_dict()}


def _export(job, media_type, filename, lines):
    """Write an export's lines to the job's file in pieces of JOB_CHUNK_BYTES; its row count,
    size and sha256 are the result."""
    size = current_app.config["JOB_CHUNK_BYTES"]
    progress = Progress(job.id)
    digest, rows, total, position = hashlib.sha256(), 0, 0, 0
    buffer, pending, counted = [], 0, 0

    def write():
        nonlocal total, position, buffer, pending, counted
        piece = b"".join(buffer)
        digest.update(piece)
        total += len(piece)
        progress.chunk(position, piece, counted)
        position, buffer, pending, counted = position + 1, [], 0, 0

    for line, is_row in lines(progress):
        data = line.encode()
        buffer.append(data)
        pending += len(data)
        rows += is_row
        counted += is_row
        if pending >= size:
            write()
    if buffer or position == 0:
        write()
    return {"rows": rows, "bytes": total, "sha256": digest.hexdigest(),
            "media_type": media_type, "filename": filename}


def _decisions_export(job):
    from .domain import exports, restrictions
    from .streams import CSV, NDJSON, csv_lines, ndjson_lines
    from schemas.exports import CSV_HEADER, DecisionExportSchema, csv_row

    args = job_period(job)
    shut = restrictions.hidden(_actor_of(job))
    wanted = job.params["format"]

    def lines(progress):
        progress.of = exports.count_decisions(session, args, shut)
        progress(0, force=True)
        rows = exports.stream_decisions(session, args, shut)
        if wanted == "ndjson":
            return ((line, not line.startswith(TRAILER_START))
                    for line in ndjson_lines(rows, DecisionExportSchema()))
        return ((line, n > 0)
                for n, line in enumerate(csv_lines(rows, DecisionExportSchema(), CSV_HEADER, csv_row)))

    stem = f"decisions-{args['from_'].isoformat()}-{args['to'].isoformat()}"
    if wanted == "ndjson":
        return _export(job, NDJSON, f"{stem}.ndjson", lines)
    return _export(job, CSV, f"{stem}.csv", lines)


def _annex_a_export(job):
    from .domain import annex_a, restrictions
    from .streams import CSV, csv_lines
    from schemas.annex_a import LIST_TITLES, headings

    args = job_period(job)
    name = job.params["list"]
    shut = restrictions.hidden(_actor_of(job))

    def lines(progress):
        # `of` stays null: a list's rows (one per child and event) are known as they are read.
        rows = annex_a.LISTS[name](session, args["from_"], args["to"], shut)
        return ((line, n > 0) for n, line in enumerate(csv_lines(rows, None, headings(name), list)))

    number = LIST_TITLES[name][0].split()[-1]
    return _export(job, CSV, f"annex-a-list-{number}-{name}-{args['from_'].isoformat()}-"
                             f"{args['to'].isoformat()}.csv", lines)


def job_period(job):
    from datetime import date

    return {"from_": date.fromisoformat(job.params["from"]), "to": date.fromisoformat(job.params["to"])}


# The first characters of an NDJSON export's last line (api/streams.py), which is not a row.
TRAILER_START = '{"@end"'


RUNNERS = {
    "audit.verify": _verify,
    "audit.state": _state_check,
    "exports.decisions": _decisions_export,
    "exports.annex_a": _annex_a_export,
}
