"""Tokens from the council's identity providers (api/issuers.py): Entra-shaped and Keycloak-shaped
tokens mapped to this API's roles, the providers' keys found by discovery and rotated, and every
bad token refused. The providers are real HTTP servers on free ports (tests/oidc_provider.py)."""

import base64
import hashlib
import hmac
import json

import jwt
import pytest
from sqlalchemy import select

from api import issuers
from api.caller import system_actor
from api.db import session
from api.domain import accounts
from api.errors import RuleViolation
from api.issuers import MAX_SUBJECT, Issuer, Issuers
from api.models import AccessEvent, AuditEvent
from tests.helpers import (
    ApiClient, CONTACTS, as_audited, assert_problem, audit_events, bearer, build_app, client_as,
    contact_body,
)
from tests.oidc_provider import AUDIENCE, Provider

OID = "3f2a9c1e-0d5b-4c1a-9a77-2b6f0c9d8e11"
GROUP_MANAGERS = "9d0c1b2a-group-social-care-managers"
POLICE_APP = "c0ffee00-police-case-system"
METRICS = "/api/v1/metrics/timeliness?from=2026-11-01&to=2026-11-30"


@pytest.fixture(scope="module")
def entra():
    provider = Provider(realm="entra")
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def keycloak():
    provider = Provider(realm="keycloak", alg="ES256")
    yield provider
    provider.stop()


def entra_issuer(provider, **overrides):
    settings = dict(name="council", issuer=provider.issuer, audience=AUDIENCE, subject_claim="oid",
                    groups={GROUP_MANAGERS: "manager:social_care"},
                    clients={POLICE_APP: "agency:wmp"}, refetch_seconds=30)
    return Issuer(**{**settings, **overrides})


def keycloak_issuer(provider):
    return Issuer(name="keycloak", issuer=provider.issuer, audience=AUDIENCE,
                  role_claims=("realm_access.roles", "resource_access.mash-api.roles"))


@pytest.fixture
def trusted(app, entra, keycloak, monkeypatch):
    """The session's app trusting both providers (as OIDC_CONFIG_FILE would configure it), with
    their keys fetched afresh for each test."""
    configured = Issuers([entra_issuer(entra), keycloak_issuer(keycloak)])
    monkeypatch.setitem(app.extensions, issuers.EXTENSION, configured)
    entra.down = keycloak.down = False
    return configured


def call(app, token, path=CONTACTS):
    return ApiClient(app, token).get(path)


# ---- accepted, and mapped ----------------------------------------------------------------------


def test_an_entra_token_with_an_app_role_reads_contacts_as_that_role(app, entra, trusted):
    response = call(app, entra.entra(roles=["practitioner:mash"]))

    assert response.status_code == 200, response.get_json()


def test_an_entra_person_is_named_by_issuer_and_object_id_in_the_audit_trail(app, entra, trusted):
    client = ApiClient(app, entra.entra(roles=["practitioner:mash"], oid=OID))

    created = client.post(CONTACTS, json=contact_body())

    assert created.status_code == 201, created.get_json()
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.entity_id == created.get_json()["id"])).first()
    assert (event.actor_sub, event.actor_role, event.actor_service) == (
        f"council:{OID}", "practitioner", "mash")


def test_the_access_log_names_the_external_caller_and_a_valid_token(app, entra, trusted):
    client = ApiClient(app, entra.entra(roles=["practitioner:mash"], oid=OID))
    contact_id = client.post(CONTACTS, json=contact_body()).get_json()["id"]

    assert client.get(f"{CONTACTS}/{contact_id}").status_code == 200

    access = session.scalars(select(AccessEvent).where(
        AccessEvent.entity_id == contact_id).order_by(AccessEvent.id.desc())).first()
    assert (access.actor_sub, access.actor_role, access.token) == (
        f"council:{OID}", "practitioner", "valid")


def test_an_entra_group_maps_to_its_configured_role(app, entra, trusted):
    token = entra.entra(roles=None, groups=[GROUP_MANAGERS, "some-other-group"])

    response = ApiClient(app, token).get(METRICS)

    assert response.status_code == 200, response.get_json()


def test_a_partner_systems_client_credentials_token_maps_its_client_to_its_agency(
        app, entra, trusted):
    token = entra.token({"azp": POLICE_APP, "oid": "a1b2c3d4-service-principal"})
    client = ApiClient(app, token)

    created = client.post(CONTACTS, json=contact_body())

    assert created.status_code == 201, created.get_json()
    assert created.get_json()["source_agency"] == "wmp"
    # An agency reads only what its systems posted: the mapping made it the police.
    assert [c["id"] for c in client.get(CONTACTS).get_json()["items"]] == [
        created.get_json()["id"]]


def test_a_keycloak_token_maps_its_realm_roles(app, keycloak, trusted):
    manager = ApiClient(app, keycloak.keycloak(realm_roles=["manager:social_care",
                                                            "offline_access"]))

    assert manager.get(METRICS).status_code == 200
    # A manager, not an auditor: the audit log is not theirs.
    assert_problem(manager.get("/api/v1/audit/events"), 403)


def test_a_keycloak_token_maps_its_clients_roles(app, keycloak, trusted):
    token = keycloak.keycloak(realm_roles=["offline_access", "uma_authorization"],
                              client_roles=["auditor"])

    assert call(app, token, "/api/v1/audit/events").status_code == 200


def test_the_local_issuer_stays_on_beside_the_council_provider(app, entra, trusted):
    assert client_as(app, "practitioner").get(CONTACTS).status_code == 200
    assert call(app, entra.entra()).status_code == 200


# ---- refused ------------------------------------------------------------------------------------


def test_a_token_without_a_role_for_this_api_is_refused_saying_what_it_needs(
        app, entra, trusted):
    for roles in ([], ["Directory.Read", "practitioner"], ["practitioner:nowhere"], None):
        body = assert_problem(call(app, entra.entra(roles=roles)), 401)
        assert "no role for this API" in body["detail"] and "practitioner:mash" in body["detail"]


def test_a_token_with_two_roles_for_this_api_is_refused(app, entra, trusted):
    body = assert_problem(call(app, entra.entra(roles=["practitioner:mash", "auditor"])), 401)

    assert "more than one role" in body["detail"]
    assert "auditor" in body["detail"] and "practitioner:mash" in body["detail"]


def test_a_token_for_another_audience_is_refused(app, entra, trusted):
    body = assert_problem(call(app, entra.token({"oid": OID, "roles": ["auditor"]},
                                                audience="api://another-council-app")), 401)

    assert "audience" in body["detail"].lower()


def test_a_token_from_an_issuer_nobody_configured_is_refused(app, trusted):
    stranger = Provider(realm="stranger")
    try:
        token = stranger.token({"oid": OID, "roles": ["auditor"]}, audience=AUDIENCE)
        assert_problem(call(app, token), 401)
        assert stranger.fetches == {"discovery": 0, "jwks": 0}  # never asked
    finally:
        stranger.stop()


def test_a_token_naming_a_trusted_issuer_but_signed_by_another_key_is_refused(
        app, entra, trusted):
    forger = Provider(realm="forger")
    try:
        # The trusted issuer's name and a key id it publishes, signed with the forger's key.
        token = forger.token({"oid": OID, "roles": ["admin"]}, issuer=entra.issuer,
                             kid=entra.current, key=forger.keys[forger.current])
        body = assert_problem(call(app, token), 401)
        assert "signature" in body["detail"].lower()
    finally:
        forger.stop()


def test_an_expired_token_is_refused_as_expired(app, entra, trusted):
    body = assert_problem(call(app, entra.entra(lifetime=-120)), 401)

    assert "expired" in body["detail"]


@pytest.mark.parametrize("claim", ["exp", "iat", "aud", "oid"])
def test_a_token_missing_a_required_claim_is_refused(app, entra, trusted, claim):
    token = entra.token({"oid": OID, "roles": ["auditor"]}, drop=(claim,))

    body = assert_problem(call(app, token), 401)
    assert claim in body["detail"]


def test_alg_none_and_a_symmetric_token_are_refused(app, entra, trusted):
    claims = {"iss": entra.issuer, "aud": AUDIENCE, "oid": OID, "sub": "x", "iat": 1,
              "exp": 4_000_000_000, "roles": ["admin"]}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": entra.current})
    # HS256 keyed with the provider's published public key: the classic confusion (signed by
    # hand: PyJWT itself refuses to use a public key as an HMAC secret).
    public = json.dumps(entra.jwks()["keys"][0]).encode()
    signing_input = b".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
        for part in ({"alg": "HS256", "typ": "JWT", "kid": entra.current}, claims))
    signature = base64.urlsafe_b64encode(
        hmac.new(public, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    symmetric = (signing_input + b"." + signature).decode()

    for token in (unsigned, symmetric):
        body = assert_problem(call(app, token), 401)
        assert "algorithm" in body["detail"]


def test_a_key_carried_in_the_token_is_never_used(app, entra, trusted):
    forger = Provider(realm="forger")
    try:
        forged_key = forger.keys[forger.current]
        jwk = json.loads(jwt.get_algorithm_by_name("RS256").to_jwk(forged_key.public_key()))
        token = entra.token({"oid": OID, "roles": ["admin"]}, key=forged_key, kid=entra.current,
                            headers={"jwk": jwk, "jku": f"{forger.issuer}/jwks"})
        assert_problem(call(app, token), 401)
        assert forger.fetches["jwks"] == 0
    finally:
        forger.stop()


# ---- the provider's keys: discovery, rotation, an unknown kid -----------------------------------


def test_the_keys_are_found_by_discovery_once_and_then_cached(app, entra, trusted):
    before = dict(entra.fetches)
    for _ in range(3):
        assert call(app, entra.entra()).status_code == 200

    assert entra.fetches["discovery"] - before["discovery"] == 1
    assert entra.fetches["jwks"] - before["jwks"] == 1


def test_a_rotated_key_is_fetched_at_once_and_a_retired_one_refused(app, entra, trusted):
    old_token = entra.entra()
    assert call(app, old_token).status_code == 200  # the old key fetched and cached
    old_kid = entra.current
    jwks_before = entra.fetches["jwks"]

    entra.rotate(keep_old=False)  # the provider retires the old key and signs with a new one
    trusted.by_name["council"].key_client().cooldown_duration = 0  # no wait since the last fetch
    assert call(app, entra.entra()).status_code == 200
    assert entra.fetches["jwks"] == jwks_before + 1

    # The old key is no longer published: a token still signed with it is not good.
    body = assert_problem(call(app, old_token), 401)
    assert old_kid in body["detail"]


def test_unknown_key_ids_refetch_the_keys_at_most_once_per_cooldown(app, entra, trusted):
    assert call(app, entra.entra()).status_code == 200
    client = trusted.by_name["council"].key_client()
    client.cooldown_duration = 0
    assert_problem(call(app, entra.entra(kid="unknown-kid-1")), 401)  # refetches: not there
    fetched = entra.fetches["jwks"]

    client.cooldown_duration = 30
    for number in range(2, 7):  # a flood of made-up key ids
        body = assert_problem(call(app, entra.entra(kid=f"unknown-kid-{number}")), 401)
        assert "does not publish" in body["detail"]

    assert entra.fetches["jwks"] == fetched + 0  # the last fetch was just now: none again


def test_a_provider_that_cannot_be_reached_is_a_503_not_a_401(app, entra, trusted):
    token = entra.entra()
    entra.down = True
    try:
        body = assert_problem(call(app, token), 503)
    finally:
        entra.down = False
    assert "council" in body["detail"]
    # and once it answers again, the same token is good
    assert call(app, token).status_code == 200


# ---- an account here for an external subject ---------------------------------------------------


def register(admin, **overrides):
    body = {"issuer": "council", "subject": OID, "kind": "person",
            "display_name": "Sam Okafor", "role": "practitioner", "service": "mash",
            "reason": "Started in the MASH; managed here as well as in Entra.", **overrides}
    return admin.post("/api/v1/accounts/external", json=body)


def test_an_admin_registers_an_external_subject_and_it_is_listed(app, entra, trusted):
    admin = client_as(app, "admin", sub="ops.admin")

    response = register(admin)

    assert response.status_code == 201, response.get_json()
    account = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/accounts/{account['id']}")
    assert (account["name"], account["issuer"], account["subject"], account["active"]) == (
        f"council:{OID}", entra.issuer, OID, True)
    assert_problem(register(admin), 409)
    assert_problem(register(admin, issuer="nowhere", subject="x"), 422, field="issuer")


def test_an_external_account_keeps_only_its_roles_companion(app, entra, trusted):
    """A partner system's client keeps its agency and no service; a person of staff their service
    and no agency, whatever else they were given: as a local account does."""
    admin = client_as(app, "admin", sub="ops.admin")

    system = register(admin, kind="client", subject=POLICE_APP, role="agency", agency="wmp",
                      service="mash", display_name="West Midlands Police case system")
    person = register(admin, agency="wmp")

    assert (system.status_code, person.status_code) == (201, 201), system.get_json()
    read = [admin.get(f"/api/v1/accounts/{r.get_json()['id']}").get_json() for r in (system, person)]
    assert [(a["kind"], a["role"], a["agency"], a["service"]) for a in read] == [
        ("client", "agency", "wmp", None), ("person", "practitioner", None, "mash")]


def test_an_external_account_without_its_roles_companion_or_agency_is_refused(app, entra,
                                                                              trusted):
    admin = client_as(app, "admin", sub="ops.admin")
    body = {"issuer": "council", "subject": OID, "kind": "person", "display_name": "Sam Okafor",
            "role": "manager", "reason": "Managers' accounts are registered by hand."}

    assert_problem(admin.post("/api/v1/accounts/external", json=body), 422, field="role")
    no_agency = register(admin, kind="client", subject=POLICE_APP, role="agency",
                         display_name="A system that did not say its agency")
    assert_problem(no_agency, 422, field="role")
    unknown = register(admin, kind="client", subject=POLICE_APP, role="agency",
                       agency="nowhere", display_name="A system of no agency we know")
    assert_problem(unknown, 422, field="agency")
    assert admin.get("/api/v1/accounts").get_json()["items"] == []  # nothing registered


def test_one_subject_is_one_account_per_issuer(app, entra, keycloak, trusted):
    """The same subject at another provider is another person (or system); registered twice at
    one provider, the 409 names the account it already is."""
    admin = client_as(app, "admin", sub="ops.admin")
    first = register(admin).get_json()

    others = [register(admin, subject="another-person-0001"), register(admin, issuer="keycloak")]

    assert [r.status_code for r in others] == [201, 201], [r.get_json() for r in others]
    assert [r.get_json()["name"] for r in others] == [
        "council:another-person-0001", f"keycloak:{OID}"]
    again = assert_problem(register(admin), 409)
    assert first["id"] in again["detail"]


def test_a_subject_is_at_most_64_characters(app, entra, trusted):
    """64 is the longest a subject may be (an Entra object id is 36). Over HTTP the schema refuses
    a longer one first; the rule refuses it too, for any other caller."""
    admin = client_as(app, "admin", sub="ops.admin")
    assert register(admin, subject="s" * MAX_SUBJECT).status_code == 201

    with pytest.raises(RuleViolation) as refused:
        accounts.register_external(system_actor("test"), {
            "issuer": "council", "subject": "s" * (MAX_SUBJECT + 1), "kind": "person",
            "display_name": "Too long", "role": "practitioner", "service": "mash",
            "reason": "Too long a subject."})
    assert list(refused.value.errors) == ["subject"]


def test_registering_an_external_subject_is_audited_in_full_with_its_reason(app, entra, trusted,
                                                                           clock):
    """The account as registered, and why, under its own action; a subject has no secret here,
    so the event has no secret's column at all (not even an empty one)."""
    admin = client_as(app, "admin", sub="ops.admin")
    account = register(admin).get_json()

    assert audit_events(client_as(app, "auditor"), account["id"]) == [("account.registered", {
        "id": account["id"], "name": f"council:{OID}", "kind": "person",
        "display_name": "Sam Okafor", "role": "practitioner", "service": "mash",
        "agency_code": None, "active": True, "token_generation": 0,
        "created_at": as_audited(clock()), "last_disabled_at": None,
        "issuer": entra.issuer, "subject": OID,
        "reason": "Started in the MASH; managed here as well as in Entra.",
    })]


def test_a_disabled_external_subject_is_refused_whatever_the_provider_says(app, entra, trusted,
                                                                           clock):
    admin = client_as(app, "admin", sub="ops.admin")
    account_id = register(admin).get_json()["id"]
    token = entra.entra(oid=OID)
    assert call(app, token).status_code == 200

    disabled = admin.post(f"/api/v1/accounts/{account_id}/disable",
                          json={"reason": "Left the council; Entra account not yet removed."})
    assert disabled.status_code == 200, disabled.get_json()

    body = assert_problem(call(app, token), 401)
    assert "revoked" in body["detail"]
    assert_problem(call(app, entra.entra(oid=OID)), 401)  # a new token too, while disabled
    assert call(app, entra.entra(oid="another-person-0001")).status_code == 200  # others not


def test_an_external_subjects_tokens_from_before_a_disable_stay_refused_after_enabling(
        app, entra, trusted, clock):
    admin = client_as(app, "admin", sub="ops.admin")
    account_id = register(admin).get_json()["id"]
    before = entra.entra(oid=OID, iat=int(clock().timestamp()) - 60)
    admin.post(f"/api/v1/accounts/{account_id}/disable", json={"reason": "Suspected theft."})
    admin.post(f"/api/v1/accounts/{account_id}/enable", json={"reason": "Cleared."})

    assert_problem(call(app, before), 401)
    after = entra.entra(oid=OID, iat=int(clock().timestamp()) + 1)
    assert call(app, after).status_code == 200


def test_an_external_account_cannot_sign_in_here_nor_have_a_secret_rotated(app, entra, trusted):
    admin = client_as(app, "admin", sub="ops.admin")
    account_id = register(admin).get_json()["id"]

    signed_in = app.test_client().post("/api/v1/auth/token", json={
        "username": f"council:{OID}", "password": "anything at all"})
    assert_problem(signed_in, 401)
    assert_problem(admin.post(f"/api/v1/accounts/{account_id}/secret",
                              json={"reason": "Rotation."}), 409)


# ---- the configuration -------------------------------------------------------------------------


def test_oidc_issuer_and_audience_alone_configure_the_simple_case(fresh_database_url, entra):
    app = build_app(fresh_database_url, OIDC_ISSUER=entra.issuer, OIDC_AUDIENCE=AUDIENCE)
    try:
        token = entra.token({"sub": "person-42", "roles": ["auditor"]})
        response = app.test_client().get("/api/v1/audit/events", headers=bearer(token))
        assert response.status_code == 200, response.get_json()
    finally:
        app.extensions["db"].engine.dispose()


def test_a_configuration_file_names_more_issuers_and_their_mappings(tmp_path):
    path = tmp_path / "issuers.yaml"
    path.write_text(
        "issuers:\n"
        "  - name: council\n"
        "    issuer: https://login.microsoftonline.com/tenant-1/v2.0\n"
        "    audience: api://mash-front-door\n"
        "    subject_claim: oid\n"
        "    groups: {'group-1': 'manager:social_care'}\n"
        "    clients: {'app-1': 'agency:wmp'}\n"
        "  - name: health\n"
        "    issuer: https://sso.health.example/realms/partners\n"
        "    audience: mash-front-door\n"
        "    role_claims: [realm_access.roles, resource_access.mash.roles]\n")
    config = {"OIDC_CONFIG_FILE": str(path), "OIDC_JWKS_REFETCH_SECONDS": 30,
              "OIDC_JWKS_LIFESPAN_SECONDS": 3600, "OIDC_TIMEOUT_SECONDS": 5,
              "TOKEN_LEEWAY_SECONDS": 30}

    loaded = issuers.load(config)

    assert sorted(loaded.by_name) == ["council", "health"]
    health = loaded.by_name["health"]
    assert health.role_claims == ("realm_access.roles", "resource_access.mash.roles")
    assert health.mapped({"sub": "s", "realm_access": {"roles": ["auditor"]}})["role"] == "auditor"
    council = loaded.by_name["council"]
    assert council.mapped({"oid": "o", "groups": ["group-1"]})["service"] == "social_care"
    assert council.mapped({"oid": "o", "azp": "app-1"})["agency"] == "wmp"


@pytest.mark.parametrize("entry, says", [
    ({"name": "council", "issuer": "http://login.example/tenant", "audience": "a"}, "https"),
    ({"name": "council", "issuer": "https://login.example/tenant"}, "audience"),
    ({"name": "Council!", "issuer": "https://login.example/tenant", "audience": "a"}, "name"),
    ({"name": "council", "issuer": "https://login.example/tenant", "audience": "a",
      "groups": {"g": "superuser"}}, "ROLE:SERVICE"),
    ({"name": "council", "issuer": "https://login.example/tenant", "audience": "a",
      "scopes": ["x"]}, "unknown settings"),
])
def test_a_mistake_in_the_configuration_stops_the_app_starting_and_says_what(
        tmp_path, entry, says):
    import yaml

    path = tmp_path / "issuers.yaml"
    path.write_text(yaml.safe_dump({"issuers": [entry]}))
    config = {"OIDC_CONFIG_FILE": str(path), "OIDC_JWKS_REFETCH_SECONDS": 30,
              "OIDC_JWKS_LIFESPAN_SECONDS": 3600, "OIDC_TIMEOUT_SECONDS": 5,
              "TOKEN_LEEWAY_SECONDS": 30}

    with pytest.raises(RuntimeError, match=says):
        issuers.load(config)


def test_oidc_issuer_without_an_audience_stops_the_app_starting():
    with pytest.raises(RuntimeError, match="OIDC_AUDIENCE"):
        issuers.load({"OIDC_ISSUER": "https://login.example/t", "OIDC_JWKS_REFETCH_SECONDS": 30,
                      "OIDC_JWKS_LIFESPAN_SECONDS": 3600, "OIDC_TIMEOUT_SECONDS": 5,
                      "TOKEN_LEEWAY_SECONDS": 30})


# ---- who the API takes the caller to be, whoever issued the token ---------------------------------


def test_me_says_who_the_api_takes_an_external_caller_to_be(app, entra, trusted):
    response = call(app, entra.entra(roles=["manager:social_care"], oid=OID), "/api/v1/me")

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"sub": f"council:{OID}", "role": "manager",
                                    "service": "social_care", "agency": None,
                                    "issuer": entra.issuer}


def test_me_says_who_a_local_token_names(app):
    response = client_as(app, "agency", sub="wmp-case-system", agency="wmp").get("/api/v1/me")

    assert response.get_json() == {"sub": "wmp-case-system", "role": "agency", "service": None,
                                   "agency": "wmp", "issuer": "local"}


def test_the_console_signs_in_locally_unless_a_provider_is_configured_for_it(app):
    response = app.test_client().get("/console/sign-in.json")

    assert response.status_code == 200 and response.get_json() == {"mode": "local"}
    assert response.headers["Cache-Control"] == "no-store"


def test_the_console_is_told_the_providers_endpoints_and_may_reach_its_origin(
        fresh_database_url, entra):
    app = build_app(fresh_database_url, OIDC_ISSUER=entra.issuer, OIDC_AUDIENCE=AUDIENCE,
                    OIDC_CONSOLE_CLIENT_ID="mash-console", OIDC_CONSOLE_SCOPE="openid")
    try:
        response = app.test_client().get("/console/sign-in.json")
        assert response.get_json() == {
            "mode": "oidc", "issuer": "oidc", "client_id": "mash-console", "scope": "openid",
            "authorization_endpoint": f"{entra.issuer}/authorize",
            "token_endpoint": f"{entra.issuer}/token"}
        policy = response.headers["Content-Security-Policy"]
        origin = entra.issuer.rsplit("/", 1)[0]
        assert f"connect-src 'self' {origin};" in policy
    finally:
        app.extensions["db"].engine.dispose()


def test_a_console_client_for_an_issuer_nobody_configured_stops_the_app_starting(
        fresh_database_url):
    with pytest.raises(RuntimeError, match="OIDC_CONSOLE_ISSUER"):
        build_app(fresh_database_url, OIDC_CONSOLE_CLIENT_ID="mash-console")
