"""Tokens: issuing them, refusing bad ones, and which roles may call what."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import jwt
import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from api.caller import system_actor
from api.keys import generate_key_pair
from api.db import session
from api.domain.accounts import create_account
from api.models import Account, AuditEvent, Contact, IdempotencyRecord
from api.vocab import ROLES
from tests.helpers import (
    PUBLIC_KEY, SECRET, assert_problem, b64url, bearer, claims, contact_body, es256, make_account,
    token_for,
)


TOKEN_URL = "/api/v1/auth/token"


def decoded(app, token):
    """Verify a token independently of the app: signature, algorithm and issuer."""
    return jwt.decode(
        token, PUBLIC_KEY, algorithms=["ES256"], issuer=app.config["JWT_ISSUER"],
        audience=app.config["JWT_AUDIENCE"], options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )


# ---- issuing tokens -------------------------------------------------------------------------


def test_a_partner_client_exchanges_its_secret_for_an_hour_long_agency_token(app, anonymous):
    make_account("police-system", "client", "agency", agency="wmp")

    response = anonymous.post(
        TOKEN_URL, json={"client_id": "police-system", "client_secret": SECRET}
    )

    assert response.status_code == 200, response.json
    body = response.json
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    token = decoded(app, body["access_token"])
    assert token["sub"] == "police-system"
    assert token["role"] == "agency"
    assert token["agency"] == "wmp"
    assert "service" not in token
    assert token["exp"] - token["iat"] == 3600


def test_a_person_exchanges_a_password_for_a_fifteen_minute_practitioner_token(app, anonymous):
    make_account("priya.test", "person", "practitioner", service="early_help")

    response = anonymous.post(TOKEN_URL, json={"username": "priya.test", "password": SECRET})

    assert response.status_code == 200, response.json
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    token = decoded(app, body["access_token"])
    assert token["sub"] == "priya.test"
    assert token["role"] == "practitioner"
    assert token["service"] == "early_help"
    assert "agency" not in token
    assert token["exp"] - token["iat"] == 900


def test_a_managers_token_carries_the_managers_service(app, anonymous):
    make_account("sara.test", "person", "manager", service="social_care")

    response = anonymous.post(TOKEN_URL, json={"username": "sara.test", "password": SECRET})

    token = decoded(app, response.json["access_token"])
    assert (token["role"], token["service"]) == ("manager", "social_care")


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_an_auditor_or_admin_token_carries_neither_agency_nor_service(app, anonymous, role):
    make_account(f"{role}.test", "person", role)

    response = anonymous.post(TOKEN_URL, json={"username": f"{role}.test", "password": SECRET})

    token = decoded(app, response.json["access_token"])
    assert token["role"] == role
    assert "agency" not in token and "service" not in token


def test_token_lifetimes_follow_the_configuration(app, anonymous, monkeypatch):
    monkeypatch.setitem(app.config, "TOKEN_MINUTES_CLIENT", 5)
    monkeypatch.setitem(app.config, "TOKEN_MINUTES_PERSON", 2)
    make_account("police-system", "client", "agency", agency="wmp")
    make_account("priya.test", "person", "practitioner", service="mash")

    client = anonymous.post(TOKEN_URL, json={"client_id": "police-system", "client_secret": SECRET})
    person = anonymous.post(TOKEN_URL, json={"username": "priya.test", "password": SECRET})

    assert client.json["expires_in"] == 300
    assert person.json["expires_in"] == 120
    client_token = decoded(app, client.json["access_token"])
    person_token = decoded(app, person.json["access_token"])
    assert client_token["exp"] - client_token["iat"] == 300
    assert person_token["exp"] - person_token["iat"] == 120


def test_an_issued_token_is_accepted_by_the_api(app, anonymous):
    make_account("priya.test", "person", "practitioner", service="mash")
    token = anonymous.post(
        TOKEN_URL, json={"username": "priya.test", "password": SECRET}
    ).json["access_token"]

    response = anonymous.get("/api/v1/contacts", headers=bearer(token))

    assert response.status_code == 200, response.json


TEST_ACCOUNTS = {
    "police-system": dict(kind="client", role="agency", agency="wmp"),
    "retired-system": dict(kind="client", role="agency", agency="wmp", active=False),
    "priya.test": dict(kind="person", role="practitioner", service="mash"),
    "left.test": dict(kind="person", role="practitioner", service="mash", active=False),
}

# (the account that exists, the credentials presented)
REFUSED_CREDENTIALS = {
    "a wrong client secret": (
        "police-system", {"client_id": "police-system", "client_secret": "not-the-secret"}),
    "an unknown client": (None, {"client_id": "no-such-system", "client_secret": SECRET}),
    "a disabled client": (
        "retired-system", {"client_id": "retired-system", "client_secret": SECRET}),
    "a wrong password": ("priya.test", {"username": "priya.test", "password": "not-the-secret"}),
    "an unknown person": (None, {"username": "nobody.test", "password": SECRET}),
    "a disabled person": ("left.test", {"username": "left.test", "password": SECRET}),
    "a client's credentials presented as a person's": (
        "police-system", {"username": "police-system", "password": SECRET}),
    "a person's credentials presented as a client's": (
        "priya.test", {"client_id": "priya.test", "client_secret": SECRET}),
}


def make_test_account(name):
    spec = dict(TEST_ACCOUNTS[name])
    return make_account(name, spec.pop("kind"), spec.pop("role"), **spec)


@pytest.mark.parametrize(
    ("existing", "body"), REFUSED_CREDENTIALS.values(), ids=REFUSED_CREDENTIALS.keys()
)
def test_refused_credentials_get_a_401_that_does_not_say_why(anonymous, existing, body):
    if existing:
        make_test_account(existing)

    response = anonymous.post(TOKEN_URL, json=body)

    problem = assert_problem(response, 401)
    assert "access_token" not in problem
    text = response.get_data(as_text=True)
    assert SECRET not in text and "not-the-secret" not in text


def test_every_refusal_reads_the_same_whatever_the_reason(anonymous):
    for name in TEST_ACCOUNTS:
        make_test_account(name)

    def refusal(body):
        problem = anonymous.post(TOKEN_URL, json=body).get_json()
        del problem["request_id"]  # each response's own
        return json.dumps(problem, sort_keys=True)

    bodies = {refusal(body) for _existing, body in REFUSED_CREDENTIALS.values()}

    assert len(bodies) == 1, bodies


def test_a_disabled_account_is_refused_even_with_the_right_secret(anonymous):
    account = make_account("priya.test", "person", "practitioner", service="mash")
    assert anonymous.post(
        TOKEN_URL, json={"username": "priya.test", "password": SECRET}
    ).status_code == 200

    session.execute(update(Account).where(Account.id == account.id).values(active=False))
    session.commit()

    assert_problem(
        anonymous.post(TOKEN_URL, json={"username": "priya.test", "password": SECRET}), 401
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client_id": "a", "client_secret": "b", "username": "c", "password": "d"}, "body"),
        ({}, "body"),
        ({"client_id": "police-system"}, "client_secret"),
        ({"client_secret": SECRET}, "client_id"),
        ({"username": "priya.test"}, "password"),
        ({"password": SECRET}, "username"),
        ({"client_id": "", "client_secret": SECRET}, "client_id"),
        ({"username": "priya.test", "password": ""}, "password"),
        ({"username": "priya.test", "password": 12345}, "password"),
        ({"username": "priya.test", "password": SECRET, "scope": "admin"}, "scope"),
    ],
    ids=["both pairs", "neither pair", "client id alone", "client secret alone", "username alone",
         "password alone", "blank client id", "blank password", "numeric password",
         "an unknown field"],
)
def test_a_token_request_that_is_not_exactly_one_pair_is_422_naming_the_field(
    anonymous, body, field
):
    response = anonymous.post(TOKEN_URL, json=body)

    problem = assert_problem(response, 422)
    assert field in problem["errors"], problem
    assert all(isinstance(m, str) for m in problem["errors"][field])
    assert field in problem["detail"]


def test_both_or_neither_pair_is_explained_in_terms_of_the_two_pairs(anonymous):
    for body in ({}, {"client_id": "a", "client_secret": "b", "username": "c", "password": "d"}):
        message = " ".join(anonymous.post(TOKEN_URL, json=body).json["errors"]["body"])
        assert "client_id" in message and "username" in message


def test_secrets_are_stored_only_as_salted_hashes():
    first = make_account("first-system", "client", "agency", agency="wmp")
    second = make_account("second-system", "client", "agency", agency="wmp")

    stored = session.scalars(
        select(Account.secret_hash).where(Account.id.in_([first.id, second.id]))
    ).all()

    assert len(stored) == 2
    assert stored[0] != stored[1]  # same secret, different salt
    for secret_hash in stored:
        assert SECRET not in secret_hash
        assert check_password_hash(secret_hash, SECRET)
        assert not check_password_hash(secret_hash, SECRET + "!")


def test_the_audit_event_for_a_new_account_holds_neither_the_secret_nor_its_hash():
    account = make_account("first-system", "client", "agency", agency="wmp")

    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "account", AuditEvent.entity_id == str(account.id)
        )
    ).one()

    assert event.action == "account.created"
    assert SECRET not in event.data
    assert account.secret_hash not in event.data
    assert "secret_hash" not in json.loads(event.data)


@pytest.mark.parametrize(
    ("role", "companions"),
    [("agency", {}), ("practitioner", {}), ("manager", {}), ("manager", {"service": "nowhere"}),
     ("superuser", {})],
    ids=["agency without agency", "practitioner without service", "manager without service",
         "manager with an unknown service", "unknown role"],
)
def test_an_account_cannot_be_created_without_its_roles_companion(role, companions):
    with pytest.raises(ValueError):
        create_account(system_actor("test"), name="x", kind="person", secret=SECRET, role=role,
                       display_name="x", **companions)


# ---- tokens the API refuses -----------------------------------------------------------------


def _tampered(app):
    header, payload, signature = token_for(app, "agency", agency="wmp").split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["role"] = "auditor"
    data.pop("agency")
    return f"{header}.{b64url(json.dumps(data).encode())}.{signature}"


def _unsigned(app, alg="none"):
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims(app)).encode())
    return f"{header}.{payload}."


def _hs256_with_the_public_key(app):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims(app)).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(PUBLIC_KEY.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def _of_a_disabled_client(app):
    make_account("retired-system", "client", "agency", agency="wmp", active=False)
    return es256(app, sub="retired-system", role="agency", agency="wmp", kind="client")


def _expired(app):
    return create_access_token(
        "test-auditor", additional_claims={"role": "auditor"},
        expires_delta=timedelta(minutes=-1),
    )


BAD_AUTHORIZATION = {
    "missing header": lambda app: None,
    "expired token": lambda app: f"Bearer {_expired(app)}",
    "tampered payload": lambda app: f"Bearer {_tampered(app)}",
    "unsigned alg none": lambda app: f"Bearer {_unsigned(app)}",
    "unsigned alg None": lambda app: f"Bearer {_unsigned(app, 'None')}",
    "unsigned alg NONE": lambda app: f"Bearer {_unsigned(app, 'NONE')}",
    "hs256 with the public key as secret": lambda app: f"Bearer {_hs256_with_the_public_key(app)}",
    "signed by another es256 key": lambda app: f"Bearer {es256(app, key=generate_key_pair()[0])}",
    "wrong issuer": lambda app: f"Bearer {es256(app, iss='someone-else')}",
    "no issuer": lambda app: f"Bearer {es256(app, iss=None)}",
    "no role claim": lambda app: f"Bearer {es256(app, role=None)}",
    "unknown role": lambda app: f"Bearer {es256(app, role='superuser')}",
    "agency role without agency": lambda app: f"Bearer {es256(app, role='agency')}",
    "not yet valid": lambda app: f"Bearer {es256(app, nbf=int(time.time()) + 600)}",
    "issued in the future": lambda app: f"Bearer {es256(app, iat=int(time.time()) + 600)}",
    "expired by its own claims": lambda app: f"Bearer {es256(app, exp=int(time.time()) - 60)}",
    "wrong audience": lambda app: f"Bearer {es256(app, aud='another-api')}",
    "no audience": lambda app: f"Bearer {es256(app, aud=None)}",
    "no expiry": lambda app: f"Bearer {es256(app, exp=None)}",
    "no subject": lambda app: f"Bearer {es256(app, sub=None)}",
    "no issued-at": lambda app: f"Bearer {es256(app, iat=None)}",
    "no not-before": lambda app: f"Bearer {es256(app, nbf=None)}",
    "no token id": lambda app: f"Bearer {es256(app, jti=None)}",
    "a disabled client's token": lambda app: f"Bearer {_of_a_disabled_client(app)}",
    "a refresh token": lambda app: f"Bearer {es256(app, type='refresh')}",
    "bearer with garbage": lambda app: "Bearer garbage",
    "bearer with three garbage segments": lambda app: "Bearer a.b.c",
    "bearer with nothing": lambda app: "Bearer",
    "basic scheme": lambda app: "Basic dXNlcjpwYXNz",
    "a bare token without scheme": lambda app: es256(app),
}


@pytest.mark.parametrize("make_header", BAD_AUTHORIZATION.values(), ids=BAD_AUTHORIZATION.keys())
def test_a_bad_or_missing_token_is_a_401_problem(app, anonymous, make_header):
    header = make_header(app)
    headers = {"Authorization": header} if header is not None else {}

    response = anonymous.get("/api/v1/agencies", headers=headers)

    problem = assert_problem(response, 401)
    assert problem["type"].endswith("unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("make_header", BAD_AUTHORIZATION.values(), ids=BAD_AUTHORIZATION.keys())
def test_a_bad_token_is_refused_before_the_body_is_read(app, anonymous, make_header):
    header = make_header(app)
    headers = {"Authorization": header} if header is not None else {}

    response = anonymous.post("/api/v1/contacts", json={"not": "a contact"}, headers=headers)

    assert_problem(response, 401)


def test_the_hand_built_tokens_are_accepted_when_nothing_is_wrong_with_them(app, anonymous):
    # The control for the cases above: each refusal is down to the one thing changed.
    assert anonymous.get("/api/v1/agencies", headers=bearer(es256(app))).status_code == 200
    agency = es256(app, role="agency", agency="wmp", kind="client")
    assert anonymous.get("/api/v1/agencies", headers=bearer(agency)).status_code == 200
    untampered = token_for(app, "agency", agency="wmp")
    assert anonymous.get("/api/v1/agencies", headers=bearer(untampered)).status_code == 200


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_a_token_a_few_seconds_ahead_is_accepted_within_the_leeway_and_refused_beyond(
    app, anonymous, claim
):
    # Another server, its clock a little fast, issued it a moment ago.
    leeway = app.config["TOKEN_LEEWAY_SECONDS"]
    now = int(time.time())
    within = es256(app, **{"iat": now, "nbf": now, claim: now + leeway - 10})
    beyond = es256(app, **{"iat": now, "nbf": now, claim: now + leeway + 10})

    assert anonymous.get("/api/v1/agencies", headers=bearer(within)).status_code == 200
    assert "not yet valid" in assert_problem(
        anonymous.get("/api/v1/agencies", headers=bearer(beyond)), 401)["detail"]


def test_an_expired_token_is_refused_once_past_the_leeway(app, anonymous):
    leeway = app.config["TOKEN_LEEWAY_SECONDS"]
    now = int(time.time())
    just_expired = es256(app, iat=now - 600, nbf=now - 600, exp=now - leeway + 10)
    long_expired = es256(app, iat=now - 600, nbf=now - 600, exp=now - leeway - 10)

    assert anonymous.get("/api/v1/agencies", headers=bearer(just_expired)).status_code == 200
    assert_problem(anonymous.get("/api/v1/agencies", headers=bearer(long_expired)), 401)


def test_a_tampered_token_cannot_reach_what_its_new_role_could(app, anonymous):
    response = anonymous.get("/api/v1/audit/verify", headers=bearer(_tampered(app)))

    assert_problem(response, 401)


def test_an_expired_token_says_it_has_expired(app, anonymous):
    response = anonymous.get("/api/v1/agencies", headers=bearer(_expired(app)))

    assert "expired" in assert_problem(response, 401)["detail"]


# ---- a token is read once per request, and its time checked at every use ----------------------


class _ClockAhead:
    """Moves the clock PyJWT reads, by `seconds`."""

    def __init__(self, monkeypatch, seconds):
        import datetime as real

        class _Ahead(real.datetime):
            @classmethod
            def now(cls, tz=None):
                return real.datetime.now(tz) + timedelta(seconds=seconds)

        monkeypatch.setattr(jwt.api_jwt, "datetime", _Ahead)


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/contacts"),  # a read of case data: the limiter, the check and the access log
    ("POST", "/api/v1/contacts"),  # a write: the limiter, the check and the key's scope
])
def test_a_requests_token_is_verified_once_however_many_layers_ask(app, anonymous, monkeypatch,
                                                                   method, path):
    token = token_for(app, "practitioner")
    checks = []
    real_verify = jwt.api_jws.PyJWS._verify_signature
    monkeypatch.setattr(jwt.api_jws.PyJWS, "_verify_signature",
                        lambda self, *args, **kwargs: checks.append(1) or real_verify(
                            self, *args, **kwargs))

    response = anonymous.open(path, method, headers={**bearer(token), "Idempotency-Key": "once"},
                              json=contact_body() if method == "POST" else None)

    assert response.status_code in (200, 201), response.json
    assert len(checks) == 1


def test_a_token_accepted_before_is_refused_once_it_has_expired(app, anonymous, monkeypatch):
    now = int(time.time())
    token = es256(app, iat=now, nbf=now, exp=now + 3600)
    assert anonymous.get("/api/v1/agencies", headers=bearer(token)).status_code == 200

    _ClockAhead(monkeypatch, 3600 + app.config["TOKEN_LEEWAY_SECONDS"] + 1)

    assert "expired" in assert_problem(
        anonymous.get("/api/v1/agencies", headers=bearer(token)), 401)["detail"]


def test_a_token_accepted_before_is_refused_if_the_clock_goes_back_before_it_was_valid(app, anonymous,
                                                                          monkeypatch):
    token = es256(app)
    assert anonymous.get("/api/v1/agencies", headers=bearer(token)).status_code == 200

    _ClockAhead(monkeypatch, -(3600 + app.config["TOKEN_LEEWAY_SECONDS"]))

    assert "not yet valid" in assert_problem(
        anonymous.get("/api/v1/agencies", headers=bearer(token)), 401)["detail"]


def test_a_token_stops_at_once_when_its_account_is_disabled(app, anonymous):
    make_account("soon-retired-system", "client", "agency", agency="wmp")
    token = es256(app, sub="soon-retired-system", role="agency", agency="wmp", kind="client")
    assert anonymous.get("/api/v1/agencies", headers=bearer(token)).status_code == 200

    session.execute(update(Account).where(Account.name == "soon-retired-system")
                    .values(active=False))
    session.commit()

    assert_problem(anonymous.get("/api/v1/agencies", headers=bearer(token)), 401)


def test_a_token_stops_at_once_for_a_write_too_and_the_write_leaves_nothing(
        app, anonymous):
    make_account("soon-retired-writer", "client", "agency", agency="wmp")
    token = es256(app, sub="soon-retired-writer", role="agency", agency="wmp", kind="client")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = anonymous.post("/api/v1/contacts", json=contact_body(source_reference="KEPT-1"),
                           headers={**bearer(token), **key})
    assert first.status_code == 201, first.json

    session.execute(update(Account).where(Account.name == "soon-retired-writer")
                    .values(active=False))
    session.commit()
    contacts_before = session.scalar(select(func.count()).select_from(Contact))
    records_before = session.scalar(select(func.count()).select_from(IdempotencyRecord))

    refused = anonymous.post("/api/v1/contacts", json=contact_body(source_reference="KEPT-2"),
                             headers={**bearer(token), "Idempotency-Key": uuid.uuid4().hex})
    assert_problem(refused, 401)
    assert session.scalar(select(func.count()).select_from(Contact)) == contacts_before
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == records_before


def test_on_a_real_database_a_keyed_write_checks_its_account_in_its_own_transaction(
        fresh_database_url):
    """The account lookup is the first statement of the write's one transaction, on either
    engine: the key's claim and the work follow in the same transaction."""
    from sqlalchemy import event as sqlalchemy_event

    from tests.helpers import ApiClient, build_app

    app = build_app(fresh_database_url)
    engine = app.extensions["db"].engine
    begun = []
    on_begin = begun.append  # one bound method, to remove
    try:
        with app.app_context():
            make_account("wmp-client", "client", "agency", agency="wmp")
        writer = ApiClient(app, token_for(app, "agency", sub="wmp-client", agency="wmp"))
        sqlalchemy_event.listen(engine, "begin", on_begin)
        try:
            created = writer.post("/api/v1/contacts", json=contact_body(),
                                  headers={"Idempotency-Key": uuid.uuid4().hex})
        finally:
            sqlalchemy_event.remove(engine, "begin", on_begin)
        assert created.status_code == 201, created.json
        assert len(begun) == 1
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Contact)).scalar() == 1
    finally:
        engine.dispose()


# ---- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_list_agencies(api_as, role):
    response = api_as(role).get("/api/v1/agencies")

    assert response.status_code == 200, response.json
    assert any(agency["code"] == "wmp" for agency in response.json["items"])


@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/verify"])
def test_an_auditor_may_read_the_audit_trail(api_as, path):
    response = api_as("auditor").get(path)

    assert response.status_code == 200, response.json


@pytest.mark.parametrize("role", [role for role in ROLES if role != "auditor"])
@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/verify"])
def test_only_an_auditor_may_read_the_audit_trail(api_as, role, path):
    response = api_as(role).get(path)

    problem = assert_problem(response, 403)
    assert problem["type"].endswith("forbidden")
    assert role in problem["detail"]


@pytest.mark.parametrize("path", ["/api/v1/agencies", "/api/v1/audit/events",
                                  "/api/v1/audit/verify", "/api/v1/contacts"])
def test_a_request_without_a_token_is_401_not_403(anonymous, path):
    assert_problem(anonymous.get(path), 401)


def test_the_health_check_is_open_to_anyone(anonymous):
    response = anonymous.get("/api/v1/health")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_the_openapi_document_is_open_to_anyone(anonymous):
    response = anonymous.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert "/api/v1/auth/token" in response.json["paths"]


def test_a_role_that_may_not_write_is_403_before_its_body_is_checked(api_as):
    response = api_as("auditor").post("/api/v1/contacts", json={"not": "a contact"})

    assert_problem(response, 403)


def test_the_token_endpoint_needs_no_token(anonymous):
    make_account("priya.test", "person", "practitioner", service="mash")

    response = anonymous.post(
        TOKEN_URL, json={"username": "priya.test", "password": SECRET},
        headers={"Authorization": "Bearer garbage"},
    )

    assert response.status_code == 200, response.json
