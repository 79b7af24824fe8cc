from flask import Response, stream_with_context, url_for

from .. import audit, jobs
from ..auth import AUDITORS, OVERSEERS
from ..caller import current_actor
from ..errors import Conflict, RuleViolation
from ..transactions import reading_session
from . import Blueprint, located
from schemas.audit import StateArgsSchema
from schemas.common import page_of
from schemas.jobs import (
    JOBS_DESCRIPTION, AnnexAExportJobCreateSchema, DecisionExportJobCreateSchema, JobListArgsSchema,
    JobSchema, VerificationJobCreateSchema,
)

blp = Blueprint("jobs", __name__, description=JOBS_DESCRIPTION)


def view(job):
    finished_export = job.status == "finished" and job.kind in jobs.EXPORT_KINDS
    return {
        "id": job.id, "kind": job.kind, "params": job.params, "status": job.status,
        "done": job.done, "of": job.of, "eta": jobs.eta(job), "attempts": job.attempts,
        "start": job.start, "created_at": job.created_at, "started_at": job.started_at,
        "finished_at": job.finished_at, "result": job.result, "error": job.error,
        "result_url": url_for("jobs.get_job_result", job_id=job.id) if finished_export else None,
    }


def _queued(job):
    body, headers = located(job, "jobs.get_job", job_id=job.id)
    return view(body), headers


@blp.route("/jobs/audit-verifications", methods=["POST"], roles=AUDITORS, writes=True)
@blp.arguments(VerificationJobCreateSchema)
@blp.response(202, JobSchema)
def queue_verification(data):
    """Queue a verification of the audit chain and the sealed access log: the whole chain, or
    only the events after a signed checkpoint or after the last verification that passed."""
    if data.get("checkpoint") and data["from_last_verification"]:
        raise RuleViolation("from_last_verification", "Give a checkpoint or this, not both.")
    params = {}
    if data.get("checkpoint"):
        claimed, reason = audit.read_checkpoint(data["checkpoint"])
        if claimed is None:
            raise RuleViolation("checkpoint", f"Not a checkpoint this system signed ({reason}).")
        length, head_hash = claimed
        if length > audit.chain_length():
            raise Conflict("The chain is shorter than the checkpoint: it has lost events.",
                           errors={"checkpoint": ["The chain is shorter than this checkpoint."]})
        params["from"] = {"length": length, "head_hash": head_hash}
    elif data["from_last_verification"]:
        params["from"] = jobs.last_verified()
        if params["from"] is None:
            raise RuleViolation("from_last_verification",
                                "No verification job has passed yet: verify the whole chain first.")
    return _queued(jobs.queue(current_actor(), "audit.verify", params))


@blp.route("/jobs/state-checks", methods=["POST"], roles=AUDITORS, writes=True)
@blp.arguments(StateArgsSchema)
@blp.response(202, JobSchema)
def queue_state_check(data):
    """Queue a check of every current record against the state its latest audit event
    recorded (GET /api/v1/audit/state, for any number of records)."""
    return _queued(jobs.queue(current_actor(), "audit.state", {"limit": data["limit"]}))


@blp.route("/jobs/decision-exports", methods=["POST"], roles=OVERSEERS, writes=True)
@blp.arguments(DecisionExportJobCreateSchema)
@blp.response(202, JobSchema)
def queue_decision_export(data):
    """Queue an export of the threshold decisions of a period (NDJSON or CSV), of any size."""
    params = {"from": data["from_"].isoformat(), "to": data["to"].isoformat(),
              "format": data["format"]}
    return _queued(jobs.queue(current_actor(), "exports.decisions", params))


@blp.route("/jobs/annex-a-exports", methods=["POST"], roles=OVERSEERS, writes=True)
@blp.arguments(AnnexAExportJobCreateSchema)
@blp.response(202, JobSchema)
def queue_annex_a_export(data):
    """Queue an export of an Ofsted Annex A list for a period (CSV), of any size."""
    params = {"list": data["list"], "from": data["from_"].isoformat(),
              "to": data["to"].isoformat()}
    return _queued(jobs.queue(current_actor(), "exports.annex_a", params))


@blp.route("/jobs", roles=OVERSEERS)
@blp.arguments(JobListArgsSchema, location="query")
@blp.response(200, page_of(JobSchema))
def list_jobs(args):
    """Your jobs, the most recent first."""
    page = jobs.list_jobs(current_actor(), args)
    return {**page, "items": [view(job) for job in page["items"]]}


@blp.route("/jobs/<uuid:job_id>", roles=OVERSEERS)
@blp.response(200, JobSchema)
def get_job(job_id):
    """One of your jobs: its progress, and when finished its result."""
    return view(jobs.get_job(current_actor(), job_id))


@blp.route("/jobs/<uuid:job_id>/result", roles=OVERSEERS, logs_access="export")
@blp.doc(responses={"200": {"description": (
    "The export's file, as the job wrote it (its rows, size and sha256 are in the job's "
    "result). An access event."), "content": {
        "application/x-ndjson": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}}}},
    "409": "CONFLICT"})
def get_job_result(job_id):
    """An export job's file, once the job has finished."""
    job = jobs.get_job(current_actor(), job_id)
    if job.kind not in jobs.EXPORT_KINDS:
        raise Conflict("A verification's result is its report, in the job itself.")
    if job.status != "finished":
        raise Conflict(f"The job is {job.status}: its file is ready once it has finished.")
    result = job.result

    def body():
        with reading_session() as reading:
            yield from jobs.chunks_of(reading, job.id)

    return Response(stream_with_context(body()), mimetype=result["media_type"], headers={
        "Content-Length": str(result["bytes"]),
        "Content-Disposition": f'attachment; filename="{result["filename"]}"',
    })
