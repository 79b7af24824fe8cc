"""The decision history export: a JSON page, or every row streamed as NDJSON or CSV."""

import csv
import hashlib
import io
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from api.models import AccessEvent
from schemas.exports import CSV_HEADER
from tests.helpers import (
    assert_problem, child, created, decide, iso, last_event_id, new_nhs_number, only_event_after,
    record_contact, utc, walk_pages,
)


EXPORT = "/api/v1/exports/decisions"
OCTOBER = {"from": "2026-10-01", "to": "2026-11-01"}
NDJSON = {"Accept": "application/x-ndjson"}
CSV = {"Accept": "text/csv"}


def contact_decided(staff, received_at, decided_at, outcome="information_advice", **extra):
    contact = record_contact(staff.mash, received_at=iso(received_at),
                             children=[child("Amelia", new_nhs_number())])
    decision = decide(staff.mash, contact["id"], outcome, decided_at=iso(decided_at), **extra)
    return contact, decision


@pytest.fixture
def history(staff):
    """October 2026 in London (BST to the 25th, then GMT): a contact decided, re-decided (the
    first superseded), approved and fed back on; decisions either side of each boundary."""
    contact, first = contact_decided(staff, utc("2026-10-05T08:00:00Z"), utc("2026-10-05T09:00:00Z"))
    second = decide(staff.mash, contact["id"], "universal_services", decided_at=iso(utc("2026-10-07T10:00:00Z")),
                    supersedes=first["id"], supersede_reason="The school nurse can offer support.")
    created(staff.mash_manager.post(f"/api/v1/decisions/{second['id']}/approval", json={"note": "Agreed."}))
    for given in ("2026-10-08T10:00:00Z", "2026-10-06T10:00:00Z"):
        created(staff.mash.post(f"/api/v1/contacts/{contact['id']}/feedback", json={
            "given_at": given, "method": "phone", "summary": "Told the referrer the outcome."}))
    # 23:59:59 BST on 30 September: September in London, though October's eve in UTC.
    _, before = contact_decided(staff, utc("2026-09-30T20:00:00Z"), utc("2026-09-30T22:59:59Z"))
    _, first_day = contact_decided(staff, utc("2026-09-30T20:00:00Z"), utc("2026-09-30T23:00:00Z"))
    _, last_day = contact_decided(staff, utc("2026-10-31T20:00:00Z"), utc("2026-10-31T23:59:59Z"))
    _, after = contact_decided(staff, utc("2026-10-31T20:00:00Z"), utc("2026-11-01T00:00:00Z"))
    return SimpleNamespace(contact=contact, first=first, second=second, before=before,
                           first_day=first_day, last_day=last_day, after=after)


def october_ids(history):
    return [history.first_day["id"], history.first["id"], history.second["id"], history.last_day["id"]]


def walk(client, limit, **period):
    """Every row of the export for `period` (October unless told), `limit` a page; and pages."""
    return walk_pages(client, EXPORT, **(period or OCTOBER), limit=limit)


def ndjson(response):
    """The records of a streamed NDJSON body, whose last line must be the trailer counting the
    lines before it and carrying the sha256 of their bytes."""
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.is_streamed
    body = response.get_data()
    *records, trailer, after = body.split(b"\n")
    assert after == b""
    assert json.loads(trailer) == {"@end": {
        "rows": len(records), "sha256": hashlib.sha256(body[:-len(trailer) - 1]).hexdigest()}}
    return [json.loads(line) for line in records]


# ---- contents -------------------------------------------------------------------------------


def test_a_row_carries_the_contact_the_decision_its_approval_supersession_and_feedback(
        staff, history):
    items, _ = walk(staff.auditor, 50)
    rows = {row["id"]: row for row in items}
    first, second = rows[history.first["id"]], rows[history.second["id"]]
    assert first["contact"] == {
        "id": history.contact["id"], "reference": history.contact["reference"],
        "received_at": "2026-10-05T08:00:00Z", "source_agency": "wmp"}
    assert first["outcome"] == "information_advice" and first["rationale"]
    assert first["decided_by"] == {"sub": "priya", "role": "practitioner", "service": "mash"}
    assert first["decided_at"] == "2026-10-05T09:00:00Z"
    assert first["within_24_hours"] is True and first["within_1_working_day"] is True
    assert first["current"] is False and first["superseded_by"] == history.second["id"]
    assert first["supersedes"] is None and first["approval"] is None
    assert second["current"] is True and second["supersedes"] == history.first["id"]
    assert second["supersede_reason"] == "The school nurse can offer support."
    assert second["within_24_hours"] is False
    assert second["approval"]["approved_by"] == "mark" and second["approval"]["note"] == "Agreed."
    signed_off = next(d for d in staff.auditor.get(
        f"/api/v1/contacts/{history.contact['id']}/decisions").json["items"] if d["id"] == second["id"])
    assert second["approval"]["approved_at"] == signed_off["approval"]["approved_at"] is not None
    # Feedback belongs to the contact: both decisions show all of it, oldest first.
    for row in (first, second):
        assert [f["given_at"] for f in row["feedback"]] == ["2026-10-06T10:00:00Z",
                                                             "2026-10-08T10:00:00Z"]
        assert row["feedback"][0] == {"given_at": "2026-10-06T10:00:00Z", "method": "phone",
                                      "summary": "Told the referrer the outcome.",
                                      "recorded_by": "priya"}
    assert rows[history.first_day["id"]]["feedback"] == []


def test_the_period_is_london_dates_from_inclusive_to_exclusive(staff, history):
    items, _ = walk(staff.auditor, 50)
    assert [row["id"] for row in items] == october_ids(history)
    september, _ = walk(staff.auditor, 50, **{"from": "2026-09-30", "to": "2026-10-01"})
    assert [row["id"] for row in september] == [history.before["id"]]
    november, _ = walk(staff.auditor, 50, **{"from": "2026-11-01", "to": "2026-11-02"})
    assert [row["id"] for row in november] == [history.after["id"]]


def test_json_pages_walk_every_row_once_in_order(staff, history):
    items, pages = walk(staff.auditor, 1)
    assert [row["id"] for row in items] == october_ids(history)
    assert pages == 4


def test_a_period_that_ends_before_it_starts_is_rejected(staff):
    response = staff.auditor.get(EXPORT, query_string={"from": "2026-10-02", "to": "2026-10-02"})
    assert response.status_code == 422
    assert "to" in response.json["errors"]


# ---- streamed formats -----------------------------------------------------------------------


def test_ndjson_streams_every_row_as_the_json_page_shows_it(staff, history):
    page, _ = walk(staff.auditor, 500)
    lines = ndjson(staff.auditor.get(EXPORT, query_string={**OCTOBER, "limit": 1}, headers=NDJSON))
    assert lines == page


def test_csv_has_a_header_and_one_flattened_row_per_decision(staff, history):
    page, _ = walk(staff.auditor, 500)
    response = staff.auditor.get(EXPORT, query_string=OCTOBER, headers=CSV)
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert 'filename="decisions-2026-10-01-2026-11-01.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == CSV_HEADER
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["decision_id"] for r in records] == [row["id"] for row in page]
    second = next(r for r in records if r["decision_id"] == history.second["id"])
    assert second["contact_reference"] == history.contact["reference"]
    assert second["contact_received_at"] == "2026-10-05T08:00:00Z"
    assert second["decided_at"] == "2026-10-07T10:00:00Z"
    assert second["approved_by"] == "mark" and second["approval_note"] == "Agreed."
    assert second["supersedes"] == history.first["id"] and second["current"] == "true"
    assert second["within_24_hours"] == "false" and second["within_1_working_day"] == "false"
    assert second["feedback_count"] == "2"
    assert json.loads(second["feedback"]) == page[2]["feedback"]
    first = next(r for r in records if r["decision_id"] == history.first["id"])
    assert first["superseded_by"] == history.second["id"] and first["approved_by"] == ""
    assert first["supersede_reason"] == ""


def test_an_accept_header_naming_no_offered_format_is_refused(staff):
    response = staff.auditor.get(EXPORT, query_string=OCTOBER, headers={"Accept": "text/html"})
    assert response.status_code == 406


# ---- who may export, and the access log ----------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "mash_manager", "sc_manager"])
def test_auditors_and_managers_may_export(staff, who):
    assert getattr(staff, who).get(EXPORT, query_string=OCTOBER).status_code == 200


@pytest.mark.parametrize("who", ["mash", "sc", "agency", "admin"])
def test_others_may_not_export_in_any_format(staff, who):
    for headers in (None, NDJSON, CSV):
        response = getattr(staff, who).get(EXPORT, query_string=OCTOBER, headers=headers)
        assert response.status_code == 403


@pytest.mark.parametrize("headers", [None, NDJSON, CSV], ids=["json", "ndjson", "csv"])
def test_each_export_is_recorded_in_the_access_log(staff, history, headers):
    before = last_event_id()
    response = staff.auditor.get(EXPORT, query_string=OCTOBER, headers=headers)
    response.get_data()  # the whole body, streamed or not
    assert response.status_code == 200
    event = only_event_after(before)
    assert isinstance(event, AccessEvent)
    assert (event.entity_type, event.endpoint, event.actor_sub, event.status) == (
        "export", "exports.export_decisions", "alex", 200)
    assert event.query == "from=2026-10-01&to=2026-11-01"
    # The event is committed before the body is read: it is there even if the client stops early.
    assert staff.auditor.get("/api/v1/audit/access", query_string={"actor": "alex"}).json["items"]


def test_a_refused_export_is_recorded_too(staff):
    before = last_event_id()
    assert staff.mash.get(EXPORT, query_string=OCTOBER, headers=CSV).status_code == 403
    event = only_event_after(before)
    assert (event.entity_type, event.status, event.actor_sub) == ("export", 403, "priya")


# ---- the audit trail as NDJSON ---------------------------------------------------------------


def walk_audit(auditor, **filters):
    return walk_pages(auditor, "/api/v1/audit/events", limit=2, **filters)[0]


def test_audit_events_stream_as_ndjson_every_event_the_pages_show(staff, history):
    pages = walk_audit(staff.auditor)
    assert len(pages) > 2
    lines = ndjson(staff.auditor.get("/api/v1/audit/events", query_string={"limit": 1},
                                     headers=NDJSON))
    assert lines == pages
    assert [e["seq"] for e in lines] == sorted(e["seq"] for e in lines)


def test_audit_events_ndjson_honours_the_filters(staff, history):
    filters = {"entity_type": "decision", "entity_id": history.second["id"]}
    lines = ndjson(staff.auditor.get("/api/v1/audit/events", query_string=filters, headers=NDJSON))
    assert [e["action"] for e in lines] == ["decision.recorded", "decision.approved"]
    assert lines == walk_audit(staff.auditor, **filters)


def test_only_auditors_stream_audit_events(staff):
    response = staff.mash_manager.get("/api/v1/audit/events", headers=NDJSON)
    assert response.status_code == 403
    assert_problem(response, 403)


def test_a_decision_made_today_is_in_the_stream_of_today(staff, clock):
    _, decision = contact_decided(staff, clock() - timedelta(hours=2), clock() - timedelta(hours=1))
    lines = ndjson(staff.auditor.get(EXPORT, query_string={"from": "2026-11-20", "to": "2026-11-21"},
                                     headers=NDJSON))
    assert [line["id"] for line in lines] == [decision["id"]]


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text(staff, clock):
    formula = "=HYPERLINK(\"http://example.invalid\", \"click\") - the referral needs an assessment"
    _, decision = contact_decided(staff, clock() - timedelta(hours=3), clock() - timedelta(hours=1),
                                  rationale=formula)
    today = clock().date()
    response = staff.auditor.get(EXPORT, headers=CSV, query_string={
        "from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    row = next(r for r in rows if r["decision_id"] == decision["id"])
    assert row["rationale"] == "'" + formula
