"""The audit trail over HTTP: every write appends its events; auditors list and verify them."""

import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api.db import session
from api.models import ConsentRecord
from api.vocab import nhs_number_with_check_digit
from tests.helpers import (
    DROP, ApiClient, assert_problem, build_app, child, contact_body, race, token_for, walk_pages,
)

EVENTS = "/api/v1/audit/events"
VERIFY = "/api/v1/audit/verify"
GENESIS = "0" * 64


def chain(auditor):
    response = auditor.get(VERIFY)
    assert response.status_code == 200, response.json
    return response.json


def walk(auditor, limit=500, **filters):
    """Every event matching `filters`, following next_cursor; also the number of pages read."""
    return walk_pages(auditor, EVENTS, limit=limit, **filters)


def events_after(auditor, seq):
    return [event for event in walk(auditor)[0] if event["seq"] > seq]


# ---- every write appends ----------------------------------------------------------------------


def test_recording_a_contact_appends_one_event_per_new_child_then_the_contact_event(api_as):
    auditor = api_as("auditor")
    before = chain(auditor)["length"]
    practitioner = api_as("practitioner", sub="priya.mash", service="mash")
    body = contact_body(children=[
        child("Amelia", "9434765919", local_child_id="LC-1001"),
        child("Jayden", DROP, local_child_id="LC-1002"),
    ])
    created = practitioner.post("/api/v1/contacts", json=body)
    assert created.status_code == 201, created.json

    events = events_after(auditor, before)
    assert [e["action"] for e in events] == ["child.recorded", "child.recorded", "contact.recorded"]
    assert [e["seq"] for e in events] == [before + 1, before + 2, before + 3]
    for event in events:
        assert event["actor"] == {"sub": "priya.mash", "role": "practitioner", "agency": None,
                                  "service": "mash"}
        assert event["at"] == "2026-11-20T10:00:00.000000Z"

    child_ids = [c["id"] for c in created.json["children"]]
    assert [(e["entity_type"], e["entity_id"]) for e in events] == [
        ("child", child_ids[0]), ("child", child_ids[1]), ("contact", created.json["id"]),
    ]
    assert events[0]["data"]["given_name"] == "Amelia"
    assert events[0]["data"]["nhs_number"] == "9434765919"
    assert events[0]["data"]["local_child_id"] == "LC-1001"
    assert events[1]["data"]["given_name"] == "Jayden"

    # The whole event: every column of the new contact (version 1, nothing allocated, rated,
    # told or closed yet) and its children in order.
    assert events[2]["data"] == {
        "id": created.json["id"],
        "reference": created.json["reference"],
        "received_at": "2026-11-20T09:00:00.000000Z",
        "recorded_at": "2026-11-20T10:00:00.000000Z",
        "source_agency": "wmp",
        "source_reference": "PPN-2026-0042",
        "channel": "api",
        "referrer": body["referrer"],
        "concern_categories": ["domestic_abuse"],
        "concern_summary": body["concerns"]["summary"],
        "consent_status": "not_sought",
        "consent_given_by": None,
        "consent_reason": body["consent"]["reason"],
        "status": "awaiting_decision",
        "decision_due_at": "2026-11-23T23:59:59.999999Z",
        "rag_rating": None,
        "feedback_given_at": None,
        "recorded_by_sub": "priya.mash",
        "recorded_by_role": "practitioner",
        "allocated_at": None,
        "allocated_team": None,
        "allocated_worker": None,
        "primary_need": None,
        "closed_on": None,
        "closure_reason": None,
        "closure_rationale": None,
        "closure_recorded_at": None,
        "closed_by_sub": None,
        "version": 1,
        "children": child_ids,
    }


def test_an_agency_clients_events_name_its_agency_and_no_service(api_as):
    auditor = api_as("auditor")
    before = chain(auditor)["length"]
    police = api_as("agency", sub="wmp-client", agency="wmp")
    assert police.post("/api/v1/contacts", json=contact_body()).status_code == 201

    events = events_after(auditor, before)
    assert len(events) == 2
    assert {json.dumps(e["actor"], sort_keys=True) for e in events} == {
        json.dumps({"sub": "wmp-client", "role": "agency", "agency": "wmp", "service": None},
                   sort_keys=True)
    }


def test_a_second_contact_about_a_known_child_appends_only_the_contact_event(api_as):
    auditor = api_as("auditor")
    practitioner = api_as("practitioner")
    first = practitioner.post("/api/v1/contacts", json=contact_body())
    assert first.status_code == 201
    before = chain(auditor)["length"]

    second = practitioner.post("/api/v1/contacts", json=contact_body(source_reference="PPN-2"))
    assert second.status_code == 201
    events = events_after(auditor, before)
    assert [e["action"] for e in events] == ["contact.recorded"]
    assert events[0]["data"]["children"] == [first.json["children"][0]["id"]]


def test_recording_consent_appends_an_event_with_the_new_status_and_reason(api_as):
    auditor = api_as("auditor")
    practitioner = api_as("practitioner")
    contact = practitioner.post("/api/v1/contacts", json=contact_body()).json
    before = chain(auditor)["length"]

    response = practitioner.post(
        f"/api/v1/contacts/{contact['id']}/consent",
        json={"status": "overridden", "reason": "Significant harm: shared without consent."},
    )
    assert response.status_code == 201, response.json
    events = events_after(auditor, before)
    assert [e["action"] for e in events] == ["contact.consent_recorded"]
    assert events[0]["entity_type"] == "contact"
    assert events[0]["entity_id"] == contact["id"]
    [latest] = session.scalars(select(ConsentRecord.id).where(
        ConsentRecord.contact_id == uuid.UUID(contact["id"]), ConsentRecord.status == "overridden"))
    assert events[0]["data"] == {  # the whole event: which record, and what it says
        "consent_record_id": str(latest), "status": "overridden", "given_by": None,
        "reason": "Significant harm: shared without consent."}


@pytest.mark.parametrize("caller, body, status", [
    pytest.param({"role": "practitioner"}, {"children": []}, 422,
                 id="a request the schema rejects appends nothing"),
    pytest.param({"role": "agency", "agency": "wmp"}, {"source_agency": "btp"}, 403,
                 id="a forbidden write appends nothing"),
])
def test_a_refused_write_appends_nothing(api_as, caller, body, status):
    auditor = api_as("auditor")
    before = chain(auditor)
    response = api_as(**caller).post("/api/v1/contacts", json=contact_body(**body))
    assert response.status_code == status
    assert chain(auditor) == before


def test_a_request_refused_after_a_child_was_recorded_appends_nothing(api_as, monkeypatch):
    from api.domain import children as children_module

    auditor = api_as("auditor")
    practitioner = api_as("practitioner")
    known = child("Amelia", "9434765919", local_child_id="LC-2001")
    assert practitioner.post("/api/v1/contacts", json=contact_body(children=[known])).status_code == 201
    before = chain(auditor)

    # The first child is new (its child.recorded event is appended in the transaction); the
    # second's lookup misses the known child, whose NHS number its insert then meets: refused
    # as a concurrent change (a contact is no longer refused for the identifiers it gives).
    real = children_module._candidates
    monkeypatch.setattr(children_module, "_candidates",
                        lambda data: (None, {}, []) if data.get("nhs_number") == "9434765919"
                        else real(data))
    new = child("Jayden", nhs_number_with_check_digit("940000123"), family_name="Khan",
                local_child_id="LC-2002")
    response = practitioner.post("/api/v1/contacts", json=contact_body(children=[new, known]))
    assert response.status_code == 409, response.json

    assert chain(auditor) == before
    assert events_after(auditor, before["length"]) == []


def test_reading_the_audit_trail_appends_nothing(api_as):
    auditor = api_as("auditor")
    before = chain(auditor)
    walk(auditor, limit=3)
    after = chain(auditor)
    # Each page read is in the access log (not yet sealed), not in the trail.
    assert after["access_log"]["unsealed_events"] > before["access_log"]["unsealed_events"]
    assert {**after, "access_log": None} == {**before, "access_log": None}


# ---- listing: filters and pages ---------------------------------------------------------------


def _two_contacts_an_hour_apart(api_as, clock):
    first = api_as("practitioner", sub="priya.mash").post(
        "/api/v1/contacts", json=contact_body(children=[child(nhs_number=DROP, local_child_id="LC-3001")])
    )
    clock.advance(hours=1)
    second = api_as("agency", sub="wmp-client", agency="wmp").post(
        "/api/v1/contacts",
        json=contact_body(received_at="2026-11-20T10:30:00Z", children=[child(nhs_number=DROP, local_child_id="LC-3002")]),
    )
    assert first.status_code == second.status_code == 201
    return first.json, second.json


def test_events_can_be_filtered_by_entity_type(api_as, clock):
    auditor = api_as("auditor")
    first, second = _two_contacts_an_hour_apart(api_as, clock)
    events, _ = walk(auditor, entity_type="contact")
    assert [e["entity_id"] for e in events] == [first["id"], second["id"]]
    assert {e["entity_type"] for e in events} == {"contact"}
    agencies, _ = walk(auditor, entity_type="agency")
    assert agencies and {e["action"] for e in agencies} == {"agency.created"}


def test_events_can_be_filtered_by_entity_id(api_as, clock):
    auditor = api_as("auditor")
    first, _ = _two_contacts_an_hour_apart(api_as, clock)
    child_id = first["children"][0]["id"]
    events, _ = walk(auditor, entity_id=child_id)
    assert [(e["action"], e["entity_id"]) for e in events] == [("child.recorded", child_id)]
    events, _ = walk(auditor, entity_type="contact", entity_id=first["id"])
    assert [e["action"] for e in events] == ["contact.recorded"]


def test_events_can_be_filtered_by_the_actors_sub(api_as, clock):
    auditor = api_as("auditor")
    first, second = _two_contacts_an_hour_apart(api_as, clock)
    events, _ = walk(auditor, actor="wmp-client")
    assert [e["action"] for e in events] == ["child.recorded", "contact.recorded"]
    assert events[1]["entity_id"] == second["id"]
    assert {e["actor"]["sub"] for e in events} == {"wmp-client"}
    assert walk(auditor, actor="nobody-at-all")[0] == []


def test_events_can_be_filtered_by_time_inclusive_whatever_the_offset_sent(api_as, clock):
    auditor = api_as("auditor")
    _first, second = _two_contacts_an_hour_apart(api_as, clock)
    since_utc, _ = walk(auditor, since="2026-11-20T11:00:00Z")
    assert [e["action"] for e in since_utc] == ["child.recorded", "contact.recorded"]
    assert since_utc[1]["entity_id"] == second["id"]
    since_offset, _ = walk(auditor, since="2026-11-20T12:00:00+01:00")
    assert since_offset == since_utc
    assert walk(auditor, since="2026-11-20T11:00:00.000001Z")[0] == []


def test_filters_combine(api_as, clock):
    auditor = api_as("auditor")
    first, _ = _two_contacts_an_hour_apart(api_as, clock)
    events, _ = walk(auditor, actor="priya.mash", entity_type="contact")
    assert [e["entity_id"] for e in events] == [first["id"]]
    assert walk(auditor, actor="priya.mash", since="2026-11-20T11:00:00Z")[0] == []


def test_walking_the_pages_two_at_a_time_returns_every_event_once_in_seq_order(api_as, clock):
    auditor = api_as("auditor")
    _two_contacts_an_hour_apart(api_as, clock)
    length = chain(auditor)["length"]
    events, pages = walk(auditor, limit=2)
    assert [e["seq"] for e in events] == list(range(1, length + 1))
    assert pages == -(-length // 2)  # every page full but perhaps the last; no empty page
    assert events == walk(auditor)[0]


def test_a_page_of_events_says_when_it_is_the_last(api_as):
    auditor = api_as("auditor")
    length = chain(auditor)["length"]
    whole = auditor.get(EVENTS, query_string={"limit": length}).json
    assert len(whole["items"]) == length
    assert whole["next_cursor"] is None
    short = auditor.get(EVENTS, query_string={"limit": length - 1}).json
    assert short["next_cursor"] is not None
    rest = auditor.get(EVENTS, query_string={"limit": 5, "cursor": short["next_cursor"]}).json
    assert [e["seq"] for e in rest["items"]] == [length]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("query, field", [
    pytest.param({"since": "2026-11-20T11:00:00"}, "since",
                 id="a since without an offset is rejected"),
    pytest.param({"entity": "contact"}, "entity",
                 id="an unknown filter is rejected rather than ignored"),
    pytest.param({"cursor": "not-a-cursor"}, "cursor",
                 id="a cursor the list never gave out is rejected"),
    pytest.param({"limit": 501}, "limit", id="a page larger than 500 is rejected"),
])
def test_a_bad_query_of_the_audit_trail_is_rejected_naming_it(api_as, query, field):
    assert_problem(api_as("auditor").get(EVENTS, query_string=query), 422, field)


# ---- who may read it ----------------------------------------------------------------------------


def test_only_auditors_may_read_the_audit_trail(api_as, anonymous):
    for path in (EVENTS, VERIFY):
        assert anonymous.get(path).status_code == 401
        for role in ("agency", "practitioner", "manager", "admin"):
            response = api_as(role).get(path)
            assert response.status_code == 403, (role, path)
            assert_problem(response, 403)


# ---- verification over HTTP -------------------------------------------------------------------


def test_verify_reports_a_valid_chain_whose_head_is_the_last_events_hash(api_as):
    auditor = api_as("auditor")
    assert api_as("practitioner").post("/api/v1/contacts", json=contact_body()).status_code == 201
    events, _ = walk(auditor)
    result = chain(auditor)
    assert {**result, "access_log": None} == {
        "valid": True, "length": len(events), "head_hash": events[-1]["hash"],
        "first_bad_seq": None, "access_log": None}
    assert result["access_log"]["valid"] is True


def test_each_event_links_to_the_hash_of_the_one_before(api_as):
    auditor = api_as("auditor")
    assert api_as("practitioner").post("/api/v1/contacts", json=contact_body()).status_code == 201
    events, _ = walk(auditor)
    assert events[0]["seq"] == 1
    assert events[0]["prev_hash"] == GENESIS
    for earlier, later in zip(events, events[1:]):
        assert later["prev_hash"] == earlier["hash"]
    assert len({e["hash"] for e in events}) == len(events)


def _independent_hash(event):
    """sha256(prev_hash + canonical JSON), written from the description in the OpenAPI schema."""
    at = datetime.fromisoformat(event["at"]).astimezone(UTC)
    payload = {
        "seq": event["seq"],
        "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": event["actor"],
        "action": event["action"],
        "entity_type": event["entity_type"],
        "entity_id": event["entity_id"],
        "data": event["data"],
    }
    if event["state_hash"] is not None:  # left out when null
        payload["state_hash"] = event["state_hash"]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((event["prev_hash"] + canonical).encode("utf-8")).hexdigest()


def test_an_events_hash_can_be_recomputed_by_an_auditor_from_its_published_fields(api_as, clock):
    clock.set(datetime(2026, 11, 20, 10, 0, 0, 250000, tzinfo=UTC))
    auditor = api_as("auditor")
    before = chain(auditor)["length"]
    body = contact_body(children=[child("Zoë", DROP, family_name="Ó Briain", local_child_id="LC-4001")])
    assert api_as("practitioner").post("/api/v1/contacts", json=body).status_code == 201

    child_event, contact_event = events_after(auditor, before)
    assert child_event["data"]["given_name"] == "Zoë"
    assert child_event["at"] == "2026-11-20T10:00:00.250000Z"
    assert _independent_hash(child_event) == child_event["hash"]
    assert _independent_hash(contact_event) == contact_event["hash"]
    first = walk(auditor, limit=1)[0][0]
    assert _independent_hash(first) == first["hash"]


# ---- concurrent retries ---------------------------------------------------------------------------


def test_concurrent_posts_with_one_idempotency_key_record_exactly_one_contact(fresh_database_url):
    app = build_app(fresh_database_url)
    try:
        token = token_for(app, "agency", sub="wmp-client", agency="wmp")
        auditor = ApiClient(app, token_for(app, "auditor"))
        before = chain(auditor)["length"]
        clients = [ApiClient(app, token) for _ in range(6)]
        body = contact_body(source_reference="PPN-RETRY-1")

        def post(client):
            response = client.post("/api/v1/contacts", json=body,
                                   headers={"Idempotency-Key": "retry-0001"})
            return (response.status_code, response.get_json(),
                    response.headers.get("Idempotent-Replayed"))

        results = race(*(lambda client=client: post(client) for client in clients))

        statuses = [status for status, _, _ in results]
        assert set(statuses) <= {201, 409}, results
        created = {body["id"] for status, body, _ in results if status == 201}
        assert len(created) == 1, results
        # One request did the work; any other 201 is its replay; the rest were told to retry.
        assert [replayed for status, _, replayed in results if status == 201].count(None) == 1
        for status, body, _ in results:
            if status == 409:
                assert body["type"].endswith("idempotency-key-in-use"), body

        listed = auditor.get("/api/v1/contacts", query_string={"limit": 500}).json["items"]
        assert [c["id"] for c in listed if c["source_reference"] == "PPN-RETRY-1"] == list(created)
        result = chain(auditor)
        assert result["valid"] is True
        assert result["length"] == before + 2
        recorded = walk(auditor, entity_type="contact")[0]
        assert [e["entity_id"] for e in recorded] == list(created)
    finally:
        app.extensions["db"].engine.dispose()
