"""Idempotency-Key on POST /api/v1/contacts (and consent): replay, reuse, scope, in-flight claims."""

import json

import pytest
from sqlalchemy import func, select

from api.db import session
from api.transactions import request_fingerprint
from api.models import IdempotencyRecord
from tests.helpers import assert_problem, contact_body

CONTACTS = "/api/v1/contacts"
KEY = "Idempotency-Key"


def post(client, body, key, **headers):
    return client.post(CONTACTS, json=body, headers={KEY: key, **headers})


def contact_ids(api_as):
    """Every contact, as staff see them."""
    page = api_as("auditor").get(f"{CONTACTS}?limit=500")
    assert page.status_code == 200
    return [item["id"] for item in page.json["items"]]


def recorded_events(api_as):
    events = api_as("auditor").get("/api/v1/audit/events?entity_type=contact&limit=500")
    assert events.status_code == 200
    return [e for e in events.json["items"] if e["action"] == "contact.recorded"]


def fingerprint_of(app, path, body):
    with app.test_request_context(path, method="POST", json=body):
        return request_fingerprint()


def hold_key(sub, key, *, request_hash, locked_at):
    """A claim left by a request that is still running (or crashed) under this client and key."""
    session.add(IdempotencyRecord(scope=sub, key=key, request_hash=request_hash,
                                  state="in_progress", locked_at=locked_at))
    session.commit()


# ---- replay -------------------------------------------------------------------------------------


def test_the_same_key_and_body_replays_the_first_response(police):
    first = post(police, contact_body(), "ppn-0042")
    again = post(police, contact_body(), "ppn-0042")

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.mimetype == "application/json"


def test_a_replay_records_no_second_contact(api_as, police):
    first = post(police, contact_body(), "ppn-0042")
    for _ in range(3):
        post(police, contact_body(), "ppn-0042")

    assert contact_ids(api_as) == [first.json["id"]]
    assert [e["entity_id"] for e in recorded_events(api_as)] == [first.json["id"]]


def test_a_replay_returns_the_first_response_even_after_the_contact_changed(api_as, police):
    first = post(police, contact_body(), "ppn-0042")
    api_as("practitioner").post(f"{CONTACTS}/{first.json['id']}/consent", json={"status": "given"})

    again = post(police, contact_body(), "ppn-0042")

    assert again.json["consent"]["status"] == "not_sought"
    assert again.headers["Idempotent-Replayed"] == "true"


def test_key_order_and_white_space_in_the_body_do_not_make_a_different_request(api_as, police):
    body = contact_body()
    compact = json.dumps(body, separators=(",", ":"))
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4, sort_keys=False)
    assert compact != reordered

    first = police.post(CONTACTS, data=compact, content_type="application/json", headers={KEY: "k-1"})
    again = police.post(CONTACTS, data=reordered, content_type="application/json", headers={KEY: "k-1"})

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert contact_ids(api_as) == [first.json["id"]]


def test_a_new_key_records_a_new_contact(api_as, police):
    first = post(police, contact_body(), "ppn-0042")
    second = post(police, contact_body(), "ppn-0043")

    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert second.json["id"] != first.json["id"]
    assert len(contact_ids(api_as)) == 2


def test_without_a_key_each_post_records_a_contact(api_as, police):
    police.post(CONTACTS, json=contact_body())
    police.post(CONTACTS, json=contact_body())

    assert len(contact_ids(api_as)) == 2


def test_a_consent_change_with_the_same_key_is_replayed_not_repeated(api_as, police, clock):
    contact_id = post(police, contact_body(), "ppn-0042").json["id"]
    # Consent history is read back in recorded_at order: a later instant, not a tie with the
    # contact's own first consent (which PostgreSQL may return either way round).
    clock.advance(minutes=5)
    practitioner = api_as("practitioner")
    url = f"{CONTACTS}/{contact_id}/consent"

    first = practitioner.post(url, json={"status": "given"}, headers={KEY: "consent-1"})
    again = practitioner.post(url, json={"status": "given"}, headers={KEY: "consent-1"})

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    session.expire_all()
    history = practitioner.get(f"{CONTACTS}/{contact_id}").json["consent_history"]
    assert [c["status"] for c in history] == ["not_sought", "given"]


# ---- reuse with a different request ---------------------------------------------------------------


def test_the_same_key_with_a_different_body_is_rejected(api_as, police):
    first = post(police, contact_body(), "ppn-0042")

    response = post(police, contact_body(source_reference="PPN-2026-0099"), "ppn-0042")

    assert_problem(response, 422, KEY)
    assert contact_ids(api_as) == [first.json["id"]]


def test_the_same_key_on_a_different_path_is_rejected(api_as, police):
    contact_id = post(police, contact_body(), "shared-key").json["id"]
    practitioner = api_as("practitioner", sub="pat.practitioner")
    practitioner.post(CONTACTS, json=contact_body(), headers={KEY: "pat-key"})

    response = practitioner.post(f"{CONTACTS}/{contact_id}/consent", json=contact_body(),
                                 headers={KEY: "pat-key"})

    assert_problem(response, 422, KEY)


# ---- scope --------------------------------------------------------------------------------------


def test_keys_are_scoped_to_the_calling_client(api_as):
    one = api_as("agency", agency="wmp", sub="wmp-case-system")
    other = api_as("agency", agency="wmp", sub="wmp-custody-system")
    staff = api_as("practitioner", sub="pat.practitioner")

    responses = [post(client, contact_body(), "1") for client in (one, other, staff)]

    assert [r.status_code for r in responses] == [201, 201, 201]
    assert not any("Idempotent-Replayed" in r.headers for r in responses)
    assert len({r.json["id"] for r in responses}) == 3
    assert len(contact_ids(api_as)) == 3


# ---- failures free the key ----------------------------------------------------------------------


@pytest.mark.parametrize("wrong, field", [
    pytest.param({"channel": "fax"}, "channel",
                 id="a request that failed validation leaves its key free"),
    pytest.param({"received_at": "2026-11-21T09:00:00Z"}, "received_at",
                 id="a request that broke a rule leaves its key free"),
])
def test_a_refused_request_leaves_its_key_free(api_as, police, wrong, field):
    refused = post(police, contact_body(**wrong), "ppn-0042")
    assert_problem(refused, 422, field)

    corrected = post(police, contact_body(), "ppn-0042")

    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers
    assert contact_ids(api_as) == [corrected.json["id"]]


def test_a_request_that_was_forbidden_leaves_its_key_free(police):
    assert_problem(post(police, contact_body(source_agency="btp"), "ppn-0042"), 403, "source_agency")

    corrected = post(police, contact_body(), "ppn-0042")

    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers


def test_a_failed_request_leaves_no_idempotency_record(police):
    post(police, contact_body(channel="fax"), "ppn-0042")

    count = session.scalar(select(func.count()).select_from(IdempotencyRecord))
    assert count == 0


# ---- claims left unfinished by an earlier version ------------------------------------------------
# Claims were once committed on their own, before the work; one left by a crash is still on record
# as in progress. Claims are now part of the write's own transaction, so none is ever left behind.


def test_a_claim_left_unfinished_by_an_earlier_version_is_taken_over_at_once(
        app, api_as, clock, police):
    body = contact_body()
    hold_key("wmp-case-system", "ppn-0042", locked_at=clock(),
             request_hash=fingerprint_of(app, CONTACTS, body))

    taken_over = post(police, body, "ppn-0042")
    replayed = post(police, body, "ppn-0042")

    assert taken_over.status_code == 201
    assert "Idempotent-Replayed" not in taken_over.headers
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json["id"] == taken_over.json["id"]
    assert contact_ids(api_as) == [taken_over.json["id"]]


def test_a_left_claim_for_another_body_still_refuses_the_key(app, api_as, clock, police):
    hold_key("wmp-case-system", "ppn-0042", locked_at=clock(),
             request_hash=fingerprint_of(app, CONTACTS, contact_body(channel="phone")))

    assert_problem(post(police, contact_body(), "ppn-0042"), 422, KEY)
    assert contact_ids(api_as) == []


def test_a_claim_left_by_another_client_does_not_block_this_one(app, clock, police):
    body = contact_body()
    hold_key("wmp-custody-system", "ppn-0042", locked_at=clock(),
             request_hash=fingerprint_of(app, CONTACTS, body))

    assert post(police, body, "ppn-0042").status_code == 201


# ---- the key itself -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k" * 256, ""])
def test_a_key_of_the_wrong_length_is_rejected(api_as, police, key):
    assert_problem(post(police, contact_body(), key), 422, KEY)
    assert contact_ids(api_as) == []


def test_the_longest_key_allowed_is_accepted(police):
    assert post(police, contact_body(), "k" * 255).status_code == 201


def test_a_key_does_not_bypass_authorisation(api_as):
    auditor = api_as("auditor")

    assert_problem(post(auditor, contact_body(), "ppn-0042"), 403)
    assert contact_ids(api_as) == []
