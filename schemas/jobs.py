"""Background jobs: what each kind is asked with, and a job as its requester reads it."""

from marshmallow import Schema, fields, validate

from api.vocab import JOB_KINDS, JOB_STATUSES

from .annex_a import LIST_COLUMNS, AnnexAArgsSchema
from .common import Characters, PageArgsSchema, PeriodArgsSchema, Timestamp

JOBS_DESCRIPTION = (
    "A job is long work done by a worker, not a request (a request is cut short by the server's "
    "timeout): POST queues it and answers 202 with its Location; GET /api/v1/jobs/{id} reports "
    "its progress (`done` of `of`, `eta`); when `status` is `finished`, an export's file is at "
    "`result_url` and a verification's report is in `result.report`. A job survives the request "
    "that queued it and a worker that stops: another worker takes it up (`start`: `resumed` from "
    "where it had got to, or `restarted`). Only the person who queued a job may read it.")


class VerificationJobCreateSchema(Schema):
    checkpoint = Characters(validate=validate.Length(min=1, max=4000), metadata={
        "description": "A signed checkpoint (GET /api/v1/audit/checkpoint, kept outside this "
        "system): only the events after it are recomputed, and the event at its length must "
        "still hold its hash. Not with from_last_verification."})
    from_last_verification = fields.Boolean(load_default=False, metadata={
        "description": "Start where the last finished verification job that found the chain "
        "valid ended (its length and head hash, as that job recorded them): a daily check costs "
        "a day's events. Not with checkpoint. Without either, the whole chain is recomputed."})


class DecisionExportJobCreateSchema(PeriodArgsSchema):
    format = fields.String(load_default="ndjson", validate=validate.OneOf(("ndjson", "csv")),
                           metadata={"description": "The file's format: ndjson (default) or csv, "
                                     "as GET /api/v1/exports/decisions writes them."})


class AnnexAExportJobCreateSchema(AnnexAArgsSchema):
    list = fields.String(required=True, validate=validate.OneOf(tuple(LIST_COLUMNS)),
                         metadata={"description": "The Annex A list, as in "
                                   "GET /api/v1/exports/annex-a/{list}."})


class JobListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(JOB_STATUSES))


class ExportResultSchema(Schema):
    rows = fields.Integer(metadata={"description": "Records in the file (lines less the CSV "
                                    "header or the NDJSON trailer)."})
    bytes = fields.Integer(metadata={"description": "The file's size."})
    sha256 = fields.String(metadata={"description": "SHA-256 (hex) of the whole file: check the "
                                     "file you fetched against it (`sha256sum`)."})
    media_type = fields.String()
    filename = fields.String()
    report = fields.Dict(metadata={"description": "A verification's report, as GET "
                                   "/api/v1/audit/verify gives it."})
    from_length = fields.Integer(metadata={"description": "A verification: the chain length it "
                                           "started after (0: the whole chain)."})


class JobSchema(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"description": ", ".join(JOB_KINDS)})
    params = fields.Dict(metadata={"description": "What the job was asked to do."})
    status = fields.String(metadata={"description": ", ".join(JOB_STATUSES)})
    done = fields.Integer(metadata={"description": "Records (events, rows) done so far."})
    of = fields.Integer(allow_none=True, metadata={"description": (
        "Records to do in all; null while not known (an Annex A list's rows, one a child and "
        "event, are known as they are read).")})
    eta = Timestamp(allow_none=True, metadata={"description": (
        "When a running job should end at its pace so far; null otherwise.")})
    attempts = fields.Integer(metadata={"description": "How many times a worker took it up."})
    start = fields.String(allow_none=True, metadata={"description": (
        "How the latest attempt began: started, resumed (a verification, from where it had "
        "got to) or restarted (an export, from its beginning).")})
    created_at = Timestamp()
    started_at = Timestamp(allow_none=True, metadata={"description": "When the latest attempt began."})
    finished_at = Timestamp(allow_none=True)
    result = fields.Nested(ExportResultSchema, allow_none=True, metadata={"description": (
        "When finished: an export's rows, size and sha256; a verification's report.")})
    result_url = fields.String(allow_none=True, metadata={"description": (
        "An export's file, once finished (GET: the file itself; an access event).")})
    error = fields.String(allow_none=True, metadata={"description": "Why a failed job failed."})
