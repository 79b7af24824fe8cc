"""Signed checkpoints of the audit chain: a chain checked only against itself can be recomputed
wholesale by anyone who can write to the database; one checked against checkpoints kept
elsewhere cannot."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import event, select, text

from api import audit
from api.keys import generate_key_pair, key_id
from api.db import session
from api.models import AuditEvent
from tests.helpers import (
    PRIVATE_KEY, PUBLIC_KEY, assert_problem, b64url, contact_body, drop_append_only_triggers,
    token_for,
)


CHECKPOINT = "/api/v1/audit/checkpoint"
VERIFY = "/api/v1/audit/verify"
GENESIS = "0" * 64
CHECKPOINT_TYPE = "mash-audit-checkpoint+jwt"


def take_checkpoint(auditor):
    response = auditor.get(CHECKPOINT)
    assert response.status_code == 200, response.json
    assert list(response.json) == ["checkpoint"]
    return response.json["checkpoint"]


def verify_with(auditor, *checkpoints):
    response = auditor.post(VERIFY, json={"checkpoints": list(checkpoints)})
    assert response.status_code == 200, response.json
    return response.json


def plain_verify(auditor):
    response = auditor.get(VERIFY)
    assert response.status_code == 200, response.json
    return response.json


def claims_of(app, checkpoint):
    return jwt.decode(checkpoint, PUBLIC_KEY, algorithms=["ES256"],
                      issuer=app.config["JWT_ISSUER"])


def sign_by_hand(claims, key=PRIVATE_KEY, typ=CHECKPOINT_TYPE):
    return jwt.encode(claims, key, algorithm="ES256", headers={"typ": typ})


def unb64url(segment):
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def record_a_contact(api_as, **overrides):
    response = api_as("practitioner").post("/api/v1/contacts", json=contact_body(**overrides))
    assert response.status_code == 201, response.json
    return response.json


def record_consent(api_as, contact_id):
    response = api_as("practitioner").post(
        f"/api/v1/contacts/{contact_id}/consent",
        json={"status": "overridden", "reason": "Significant harm: shared without consent."},
    )
    assert response.status_code == 201, response.json


def rewrite_from(seq, change):
    """Behind the API's back, as someone with the database password might: change event `seq`,
    then re-hash it and every event after it, so the chain is consistent with itself again."""
    drop_append_only_triggers()
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq)
    ).all()
    prev_hash = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1)) or GENESIS
    for stored in events:
        data = json.loads(stored.data)
        if stored.seq == seq:
            data = change(data)
        payload = {"seq": stored.seq, "at": audit.iso_utc(stored.at), "actor": stored.actor,
                   "action": stored.action, "entity_type": stored.entity_type,
                   "entity_id": stored.entity_id, "data": data}
        if stored.state_hash is not None:
            payload["state_hash"] = stored.state_hash
        new_hash = audit.compute_hash(prev_hash, payload)
        session.execute(
            text("UPDATE audit_events SET data = :data, prev_hash = :prev_hash, hash = :hash "
                 "WHERE seq = :seq"),
            {"data": audit.canonical_json(data), "prev_hash": prev_hash, "hash": new_hash,
             "seq": stored.seq},
        )
        prev_hash = new_hash
    session.commit()


def seq_of(action, entity_id):
    return session.scalar(select(AuditEvent.seq).where(
        AuditEvent.action == action, AuditEvent.entity_id == entity_id))


# ---- the checkpoint ---------------------------------------------------------------------------


def test_a_checkpoint_is_the_chains_length_and_head_hash_signed_with_the_servers_key(
    app, api_as, clock
):
    auditor = api_as("auditor")
    record_a_contact(api_as)
    clock.set(datetime(2026, 11, 20, 11, 30, 0, 250000, tzinfo=UTC))
    checkpoint = take_checkpoint(auditor)

    chain = plain_verify(auditor)
    assert jwt.get_unverified_header(checkpoint) == {
        "alg": "ES256", "typ": CHECKPOINT_TYPE,
        "kid": key_id(serialization.load_pem_public_key(PUBLIC_KEY.encode()))}
    assert claims_of(app, checkpoint) == {
        "length": chain["length"], "head_hash": chain["head_hash"],
        "at": "2026-11-20T11:30:00.250000Z", "iss": app.config["JWT_ISSUER"],
    }


def test_a_checkpoint_round_trips_through_verify(api_as):
    auditor = api_as("auditor")
    record_a_contact(api_as)
    checkpoint = take_checkpoint(auditor)
    chain = plain_verify(auditor)

    assert verify_with(auditor, checkpoint) == {
        **chain, "checkpoints": [{"valid": True, "length": chain["length"], "reason": None}],
    }


def test_an_earlier_checkpoint_still_holds_after_the_chain_has_grown(api_as):
    auditor = api_as("auditor")
    contact = record_a_contact(api_as)
    checkpoint = take_checkpoint(auditor)
    length = plain_verify(auditor)["length"]
    record_consent(api_as, contact["id"])
    record_a_contact(api_as, source_reference="PPN-2")

    result = verify_with(auditor, checkpoint)
    assert result["valid"] is True
    assert result["length"] > length
    assert result["checkpoints"] == [{"valid": True, "length": length, "reason": None}]


def test_a_checkpoint_of_the_empty_chain_in_the_documented_format_holds():
    # An auditor who reads openapi.yaml knows what a checkpoint says; the empty chain's is fixed.
    claims = {"length": 0, "head_hash": GENESIS, "at": "2026-01-01T00:00:00.000000Z",
              "iss": "mash-front-door"}
    read = audit.read_checkpoint(sign_by_hand(claims))
    assert read == ((0, GENESIS), None)
    _, checks = audit.verify_against([sign_by_hand(claims)])
    assert checks == [audit.CheckpointCheck(True, 0, None)]


# ---- what is not a checkpoint of this server -------------------------------------------------


def test_a_checkpoint_signed_with_another_key_has_a_bad_signature(app, api_as):
    auditor = api_as("auditor")
    genuine = take_checkpoint(auditor)
    other_private_key, _ = generate_key_pair()
    forged = sign_by_hand(claims_of(app, genuine), key=other_private_key)

    result = verify_with(auditor, forged)
    assert result["valid"] is False
    assert result["first_bad_seq"] is None
    assert result["checkpoints"] == [{"valid": False, "length": None, "reason": "bad signature"}]


@pytest.mark.parametrize("claim, value", [("length", 1), ("head_hash", "f" * 64),
                                          ("at", "2030-01-01T00:00:00.000000Z")])
def test_a_checkpoint_whose_payload_was_altered_has_a_bad_signature(api_as, claim, value):
    auditor = api_as("auditor")
    header, payload, signature = take_checkpoint(auditor).split(".")
    claims = json.loads(unb64url(payload))
    claims[claim] = value
    altered = ".".join([header, b64url(json.dumps(claims).encode()), signature])

    assert verify_with(auditor, altered)["checkpoints"] == [
        {"valid": False, "length": None, "reason": "bad signature"}
    ]


def test_a_checkpoint_claiming_hmac_with_the_public_key_as_secret_has_a_bad_signature(api_as):
    # The classic algorithm confusion: only the configured algorithm is ever used to verify.
    auditor = api_as("auditor")
    _, payload, _ = take_checkpoint(auditor).split(".")
    header = b64url(json.dumps({"alg": "HS256", "typ": CHECKPOINT_TYPE}).encode())
    signature = hmac.new(PUBLIC_KEY.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    confused = f"{header}.{payload}.{b64url(signature.digest())}"

    assert verify_with(auditor, confused)["checkpoints"] == [
        {"valid": False, "length": None, "reason": "bad signature"}
    ]


def test_an_access_token_signed_by_this_server_is_not_a_checkpoint(app, api_as):
    auditor = api_as("auditor")
    result = verify_with(auditor, token_for(app, "auditor"))
    assert result["valid"] is False
    assert result["checkpoints"] == [{"valid": False, "length": None, "reason": "not a checkpoint"}]


@pytest.mark.parametrize("claims, typ", [
    ({"length": 1, "head_hash": GENESIS, "at": "2026-01-01T00:00:00Z", "iss": "mash-front-door"},
     "JWT"),
    ({"length": 1, "head_hash": GENESIS, "at": "2026-01-01T00:00:00Z", "iss": "someone-else"},
     CHECKPOINT_TYPE),
    ({"length": "1", "head_hash": GENESIS, "at": "2026-01-01T00:00:00Z", "iss": "mash-front-door"},
     CHECKPOINT_TYPE),
    ({"length": -1, "head_hash": GENESIS, "at": "2026-01-01T00:00:00Z", "iss": "mash-front-door"},
     CHECKPOINT_TYPE),
    ({"length": 1, "head_hash": "not-a-hash", "iss": "mash-front-door"}, CHECKPOINT_TYPE),
])
def test_something_else_signed_with_the_servers_key_is_not_a_checkpoint(claims, typ):
    assert audit.read_checkpoint(sign_by_hand(claims, typ=typ)) == (None, "not a checkpoint")


def test_a_checkpoint_is_never_accepted_as_an_access_token(api_as, anonymous):
    checkpoint = take_checkpoint(api_as("auditor"))
    for path in ("/api/v1/contacts", CHECKPOINT, VERIFY):
        response = anonymous.get(path, headers={"Authorization": f"Bearer {checkpoint}"})
        assert response.status_code == 401, (path, response.json)
        assert_problem(response, 401)


# ---- several at once ------------------------------------------------------------------------


def test_several_checkpoints_are_reported_one_by_one_in_the_order_sent(app, api_as):
    auditor = api_as("auditor")
    contact = record_a_contact(api_as)
    first = take_checkpoint(auditor)
    first_length = plain_verify(auditor)["length"]
    record_consent(api_as, contact["id"])
    second = take_checkpoint(auditor)
    second_length = plain_verify(auditor)["length"]
    other_private_key, _ = generate_key_pair()
    forged = sign_by_hand(claims_of(app, second), key=other_private_key)

    result = verify_with(auditor, second, forged, first)
    assert result["valid"] is False
    assert result["first_bad_seq"] is None
    assert result["checkpoints"] == [
        {"valid": True, "length": second_length, "reason": None},
        {"valid": False, "length": None, "reason": "bad signature"},
        {"valid": True, "length": first_length, "reason": None},
    ]


def test_checking_many_checkpoints_reads_the_chain_once(app, api_as):
    auditor = api_as("auditor")
    contact = record_a_contact(api_as)
    checkpoints = [take_checkpoint(auditor), take_checkpoint(auditor)]  # each signed anew
    record_consent(api_as, contact["id"])
    checkpoints += [take_checkpoint(auditor), take_checkpoint(auditor)]
    statements = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        # The whole chain, in seq order (not the seals of the access log: one index range; nor
        # the one-row look-up of the chain's head, which says whether it fits a request).
        if "FROM audit_events" in statement and "WHERE" not in statement and "LIMIT" not in statement:
            statements.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = verify_with(auditor, *checkpoints, token_for(app, "auditor"))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [c["valid"] for c in result["checkpoints"]] == [True, True, True, True, False]
    assert len(statements) == 1, statements


# ---- what checkpoints catch that the chain alone cannot ---------------------------------------


def test_a_consistent_rewrite_passes_plain_verify_but_fails_the_checkpoint_taken_before_it(
    api_as,
):
    auditor = api_as("auditor")
    before_the_contact = take_checkpoint(auditor)
    contact = record_a_contact(api_as)
    after_the_contact = take_checkpoint(auditor)
    record_consent(api_as, contact["id"])
    record_a_contact(api_as, source_reference="PPN-2")
    chain_before = plain_verify(auditor)

    def soften(data):
        return {**data, "concern_summary": "Nothing of concern."}

    rewritten_from = seq_of("contact.recorded", contact["id"])
    rewrite_from(rewritten_from, soften)
    after_the_rewrite = take_checkpoint(auditor)

    chain_after = plain_verify(auditor)
    assert chain_after["valid"] is True
    assert chain_after["length"] == chain_before["length"]
    assert chain_after["head_hash"] != chain_before["head_hash"]

    result = verify_with(auditor, before_the_contact, after_the_contact, after_the_rewrite)
    assert result["valid"] is False
    assert result["first_bad_seq"] is None  # the chain itself is consistent
    assert result["checkpoints"] == [
        {"valid": True, "length": rewritten_from - 2, "reason": None},
        {"valid": False, "length": rewritten_from, "reason": "hash at length differs"},
        {"valid": True, "length": chain_after["length"], "reason": None},
    ]


def test_events_cut_from_the_end_pass_plain_verify_but_not_a_checkpoint(api_as):
    auditor = api_as("auditor")
    contact = record_a_contact(api_as)
    record_consent(api_as, contact["id"])
    checkpoint = take_checkpoint(auditor)
    length = plain_verify(auditor)["length"]

    drop_append_only_triggers()
    session.execute(text("DELETE FROM audit_events WHERE seq > :keep"), {"keep": length - 2})
    session.commit()

    assert plain_verify(auditor)["valid"] is True
    result = verify_with(auditor, checkpoint)
    assert result["valid"] is False
    assert result["checkpoints"] == [
        {"valid": False, "length": length, "reason": "chain shorter than checkpoint"}
    ]


def test_a_checkpoint_after_a_change_the_chain_itself_reports_fails_too(api_as):
    auditor = api_as("auditor")
    contact = record_a_contact(api_as)
    checkpoint = take_checkpoint(auditor)
    length = plain_verify(auditor)["length"]

    drop_append_only_triggers()
    changed = seq_of("contact.recorded", contact["id"])
    session.execute(text("UPDATE audit_events SET data = '{}' WHERE seq = :seq"), {"seq": changed})
    session.commit()

    result = verify_with(auditor, checkpoint)
    assert (result["valid"], result["first_bad_seq"]) == (False, changed)
    assert result["checkpoints"] == [
        {"valid": False, "length": length, "reason": "hash at length differs"}
    ]


# ---- the request ------------------------------------------------------------------------------


@pytest.mark.parametrize("body, field", [
    ({"checkpoints": []}, "checkpoints"),
    ({}, "checkpoints"),
    ({"checkpoints": "a.b.c"}, "checkpoints"),
    ({"checkpoints": [42]}, "checkpoints[0]"),
    ({"checkpoints": ["a.b.c", "not a token"]}, "checkpoints[1]"),
    ({"checkpoints": ["a.b.c"] * 101}, "checkpoints"),
    ({"checkpoints": ["a.b.c"], "also": 1}, "also"),
])
def test_a_body_that_is_not_a_list_of_checkpoints_is_rejected_naming_the_field(
    api_as, body, field
):
    response = api_as("auditor").post(VERIFY, json=body)
    assert response.status_code == 422, response.json
    assert_problem(response, 422)
    assert field in response.json["errors"], response.json


def test_checking_checkpoints_appends_no_audit_event(api_as):
    auditor = api_as("auditor")
    record_a_contact(api_as)
    checkpoint = take_checkpoint(auditor)
    before = plain_verify(auditor)

    verify_with(auditor, checkpoint)
    take_checkpoint(auditor)
    assert auditor.post(VERIFY, json={"checkpoints": []}).status_code == 422
    assert plain_verify(auditor) == before


def test_only_auditors_may_take_or_check_checkpoints(api_as, anonymous):
    checkpoint = take_checkpoint(api_as("auditor"))
    body = {"checkpoints": [checkpoint]}
    assert anonymous.get(CHECKPOINT).status_code == 401
    assert anonymous.post(VERIFY, json=body).status_code == 401
    for role in ("agency", "practitioner", "manager", "admin"):
        client = api_as(role)
        for response in (client.get(CHECKPOINT), client.post(VERIFY, json=body)):
            assert response.status_code == 403, (role, response.json)
            assert_problem(response, 403)


# ---- the command line ------------------------------------------------------------------------


def test_the_audit_checkpoint_command_prints_a_checkpoint_the_api_accepts(app, api_as):
    auditor = api_as("auditor")
    record_a_contact(api_as)
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])

    assert result.exit_code == 0, result.output
    checkpoint = result.output.strip()
    assert "\n" not in checkpoint
    chain = plain_verify(auditor)
    assert claims_of(app, checkpoint)["length"] == chain["length"]
    assert verify_with(auditor, checkpoint)["checkpoints"] == [
        {"valid": True, "length": chain["length"], "reason": None}
    ]


def test_the_audit_checkpoint_command_says_so_when_there_is_no_signing_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "JWT_PRIVATE_KEY", None)
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1
    assert "JWT_PRIVATE_KEY" in result.output
