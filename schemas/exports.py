"""The decision history export: its arguments, one row, and the row flattened to CSV columns."""

import json

from marshmallow import Schema, fields

from api.streams import CSV, JSON, NDJSON, NDJSON_TRAILER_DESCRIPTION

from .common import Day, PageArgsSchema, PeriodArgsSchema, Timestamp



class DecisionExportArgsSchema(PageArgsSchema, PeriodArgsSchema):
    from_ = Day(required=True, data_key="from", metadata={
        "description": "First London date of the period (inclusive), by decided_at."})


class ExportContactSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    received_at = Timestamp()
    source_agency = fields.String()


class ExportDeciderSchema(Schema):
    sub = fields.String()
    role = fields.String()
    service = fields.String(allow_none=True)


class ExportApprovalSchema(Schema):
    approved_by = fields.String()
    approved_at = Timestamp()
    note = fields.String(allow_none=True)


class ExportFeedbackSchema(Schema):
    given_at = Timestamp()
    method = fields.String()
    summary = fields.String(metadata={"description": "What the referrer was told."})
    recorded_by = fields.String()


class DecisionExportSchema(Schema):
    """One threshold decision as exported (one NDJSON line; one CSV row, flattened)."""

    id = fields.UUID(metadata={"description": "The decision."})
    contact = fields.Nested(ExportContactSchema)
    outcome = fields.String()
    rationale = fields.String()
    decided_by = fields.Nested(ExportDeciderSchema)
    decided_at = Timestamp()
    recorded_at = Timestamp()
    within_24_hours = fields.Boolean(metadata={"description": "Decided within 24 clock hours of receipt."})
    within_1_working_day = fields.Boolean(metadata={"description": "Decided by the statutory "
        "deadline (the end of the first working day after the London date of receipt, by "
        "default), whatever the contact's RAG rating."})
    approval = fields.Nested(ExportApprovalSchema, allow_none=True, metadata={
        "description": "Management sign-off, or null."})
    current = fields.Boolean(metadata={"description": "False when a later decision superseded it."})
    supersedes = fields.UUID(allow_none=True, metadata={"description": "The decision this one replaced."})
    supersede_reason = fields.String(allow_none=True, metadata={"description": "Why it replaced it."})
    superseded_by = fields.UUID(allow_none=True, metadata={"description": "The decision that replaced this one."})
    feedback = fields.List(fields.Nested(ExportFeedbackSchema), metadata={
        "description": "Feedback given to the contact's referrer (all of it, oldest first)."})


# The CSV's columns, in order: (name, how to read it off a dumped row).
def _flag(value):
    return "" if value is None else ("true" if value else "false")


CSV_COLUMNS = (
    ("decision_id", lambda r: r["id"]),
    ("contact_id", lambda r: r["contact"]["id"]),
    ("contact_reference", lambda r: r["contact"]["reference"]),
    ("contact_received_at", lambda r: r["contact"]["received_at"]),
    ("source_agency", lambda r: r["contact"]["source_agency"]),
    ("outcome", lambda r: r["outcome"]),
    ("rationale", lambda r: r["rationale"]),
    ("decided_by", lambda r: r["decided_by"]["sub"]),
    ("decided_by_role", lambda r: r["decided_by"]["role"]),
    ("decided_by_service", lambda r: r["decided_by"]["service"]),
    ("decided_at", lambda r: r["decided_at"]),
    ("recorded_at", lambda r: r["recorded_at"]),
    ("within_24_hours", lambda r: _flag(r["within_24_hours"])),
    ("within_1_working_day", lambda r: _flag(r["within_1_working_day"])),
    ("approved_by", lambda r: (r["approval"] or {}).get("approved_by")),
    ("approved_at", lambda r: (r["approval"] or {}).get("approved_at")),
    ("approval_note", lambda r: (r["approval"] or {}).get("note")),
    ("current", lambda r: _flag(r["current"])),
    ("supersedes", lambda r: r["supersedes"]),
    ("supersede_reason", lambda r: r["supersede_reason"]),
    ("superseded_by", lambda r: r["superseded_by"]),
    ("feedback_count", lambda r: len(r["feedback"])),
    ("feedback", lambda r: json.dumps(r["feedback"], separators=(",", ":")) if r["feedback"] else ""),
)
CSV_HEADER = [name for name, _read in CSV_COLUMNS]


def csv_row(dumped):
    """A dumped DecisionExportSchema row as CSV cells (null as an empty cell)."""
    cells = []
    for _name, read in CSV_COLUMNS:
        value = read(dumped)
        cells.append("" if value is None else value)
    return cells


EXPORT_DESCRIPTION = (
    "Every threshold decision decided in the period (London dates, from inclusive, to exclusive), "
    "superseded ones included, ordered by decided_at then id. Choose the format with Accept:\n\n"
    f"- `{JSON}` (default): one page `{{items, next_cursor}}`, `limit` and `cursor` as elsewhere.\n"
    f"- `{NDJSON}`: every row, streamed, one JSON object per line (`limit` and `cursor` are "
    f"ignored). {NDJSON_TRAILER_DESCRIPTION}\n"
    f"- `{CSV}`: every row, streamed, with a header line. Columns: "
    + ", ".join(f"`{name}`" for name in CSV_HEADER)
    + ". Nested fields are flattened (`approval.approved_by` is `approved_by`, `contact.reference` "
    "is `contact_reference`); timestamps are ISO 8601 in UTC with a Z; flags are true/false; null "
    "is an empty cell; `feedback` is the feedback list as a JSON array (empty when none).\n\n"
    "The export is recorded in the access log (entity_type `export`)."
)
