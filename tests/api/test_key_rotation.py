"""Rotating the token signing key (README, "Rotating the token signing key"): while both keys are
accepted, tokens signed by either work; once the old one is retired, its tokens are refused and
the audit checkpoints it signed still verify."""

import jwt
import pytest

from api import audit, create_app
from api.caller import read_token
from api.config import TestConfig
from api.keys import generate_key_pair

OLD = generate_key_pair()
NEW = generate_key_pair()
STRANGER = generate_key_pair()


def server(private, *publics, retired=()):
    config = type("RotationConfig", (TestConfig,), {
        "DATABASE_URL": "sqlite://", "JWT_PRIVATE_KEY": private[0],
        "JWT_PUBLIC_KEY": "\n".join(key[1] for key in publics),
        "JWT_RETIRED_PUBLIC_KEYS": "\n".join(key[1] for key in retired) or None,
        "ACCESS_SEAL_SECONDS": 0})
    return create_app(config)


def token_of(app, sub="pat.practitioner"):
    from api.auth import mint_token

    with app.app_context():
        return mint_token(app, sub, "practitioner", service="mash")[0]


def state_of(app, token):
    with app.test_request_context():
        caller = read_token(token)
        return caller._state, caller.problem


def test_while_both_keys_are_accepted_tokens_signed_by_either_are_good():
    old_signer = server(OLD, OLD, NEW)  # step 2: accept both, still sign with the old
    new_signer = server(NEW, NEW, OLD)  # step 3: sign with the new

    for app in (old_signer, new_signer):
        assert state_of(app, token_of(old_signer))[0] == "valid"
        assert state_of(app, token_of(new_signer))[0] == "valid"


def test_each_token_names_the_key_that_signed_it():
    app = server(NEW, OLD, NEW)
    header = jwt.get_unverified_header(token_of(app))
    other = jwt.get_unverified_header(token_of(server(OLD, OLD)))

    assert header["kid"] != other["kid"]


def test_a_token_from_before_tokens_named_their_key_is_checked_with_every_key():
    app = server(NEW, NEW, OLD)
    with server(OLD, OLD).app_context():
        claims = jwt.decode(token_of(server(OLD, OLD)), options={"verify_signature": False})
    unnamed = jwt.encode(claims, OLD[0], algorithm="ES256")  # no kid in its header

    assert state_of(app, unnamed)[0] == "valid"


def test_once_the_old_key_is_dropped_its_tokens_are_refused():
    old_token = token_of(server(OLD, OLD))
    after = server(NEW, NEW, retired=[OLD])  # step 4

    state, problem = state_of(after, old_token)
    assert state == "invalid" and "does not accept" in problem


def test_a_token_signed_by_a_key_nobody_configured_is_refused_even_naming_a_known_kid():
    app = server(NEW, NEW, OLD)
    known_kid = jwt.get_unverified_header(token_of(app))["kid"]
    claims = jwt.decode(token_of(app), options={"verify_signature": False})
    forged = jwt.encode(claims, STRANGER[0], algorithm="ES256", headers={"kid": known_kid})

    assert state_of(app, forged)[0] == "invalid"


def test_a_checkpoint_signed_with_a_retired_key_still_verifies_and_a_strangers_does_not():
    before = server(OLD, OLD)
    with before.app_context():
        checkpoint = jwt.encode({"length": 7, "head_hash": "ab" * 32, "at": "2026-12-01T00:00:00Z",
                                 "iss": "mash-front-door"}, OLD[0], algorithm="ES256",
                                headers={"typ": audit.CHECKPOINT_TYPE,
                                         "kid": jwt.get_unverified_header(token_of(before))["kid"]})
    after = server(NEW, NEW, retired=[OLD])
    without = server(NEW, NEW)

    with after.app_context():
        assert audit.read_checkpoint(checkpoint) == ((7, "ab" * 32), None)
    with without.app_context():
        assert audit.read_checkpoint(checkpoint) == (None, audit.BAD_SIGNATURE)


def test_a_signing_key_whose_public_half_is_not_accepted_stops_the_server_starting():
    with pytest.raises(RuntimeError, match="not among JWT_PUBLIC_KEY"):
        server(NEW, OLD)
