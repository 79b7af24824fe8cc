"""Admins list, read, disable and enable API clients and users; a disabled account's live tokens
stop working at once."""

import json

import pytest
from sqlalchemy import select

from api.db import session
from api.models import AuditEvent
from tests.helpers import SECRET, assert_problem, bearer, contact_body, make_account


ACCOUNTS = "/api/v1/accounts"
TOKEN_URL = "/api/v1/auth/token"
REASON = {"reason": "Supplier reported the client secret exposed in a log file."}


@pytest.fixture
def admin(api_as):
    return api_as("admin", sub="ops.admin")


@pytest.fixture
def police_system():
    return make_account("police-system", "client", "agency", agency="wmp")


def client_token(anonymous, name="police-system"):
    response = anonymous.post(TOKEN_URL, json={"client_id": name, "client_secret": SECRET})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def account_events(account_id):
    return session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "account", AuditEvent.entity_id == str(account_id)
        ).order_by(AuditEvent.seq)
    ).all()


def test_an_admin_lists_accounts_in_name_order_page_by_page_without_secrets(admin):
    for name in ("b-system", "a-system", "c-system"):
        make_account(name, "client", "agency", agency="wmp")

    names, cursor, bodies = [], None, []
    while True:
        response = admin.get(ACCOUNTS, query_string={"limit": 1, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.json
        bodies.append(response.get_data(as_text=True))
        names += [item["name"] for item in response.json["items"]]
        cursor = response.json["next_cursor"]
        if cursor is None:
            break

    assert [n for n in names if n.endswith("-system")] == ["a-system", "b-system", "c-system"]
    first = json.loads(bodies[0])["items"][0]
    assert set(first) == {"id", "name", "kind", "display_name", "role", "service", "agency",
                          "active", "created_at", "issuer", "subject",
                          "previous_secret_valid_until"}
    # No secret and no hash of one: the only field naming a secret says until when an old one
    # is accepted.
    assert not any("secret_hash" in body or "pbkdf2" in body or "scrypt" in body
                   or "client_secret" in body for body in bodies)


def test_the_list_filters_by_kind_and_by_active(admin):
    make_account("police-system", "client", "agency", agency="wmp")
    make_account("retired-system", "client", "agency", agency="wmp", active=False)
    make_account("priya.test", "person", "practitioner", service="mash")

    disabled = admin.get(ACCOUNTS, query_string={"active": "false"}).json["items"]
    people = admin.get(ACCOUNTS, query_string={"kind": "person"}).json["items"]

    assert [a["name"] for a in disabled] == ["retired-system"]
    assert "priya.test" in [a["name"] for a in people]
    assert all(a["kind"] == "person" for a in people)


def test_an_admin_reads_one_account_with_an_etag(admin, police_system):
    response = admin.get(f"{ACCOUNTS}/{police_system.id}")

    assert response.status_code == 200, response.json
    assert response.json["name"] == "police-system"
    assert response.json["agency"] == "wmp"
    assert response.json["active"] is True
    assert response.headers["ETag"]


def test_an_account_keeps_only_its_roles_companion(admin):
    """A staff account has a service and no agency; an agency's account an agency and no service,
    whatever else it was given: its tokens carry only what its role has."""
    system = make_account("health-system", "client", "agency", agency="wmp", service="mash")
    person = make_account("priya.test", "person", "practitioner", service="mash", agency="wmp")

    read = [admin.get(f"{ACCOUNTS}/{account.id}").json for account in (system, person)]

    assert [(a["role"], a["agency"], a["service"]) for a in read] == [
        ("agency", "wmp", None), ("practitioner", None, "mash")]


def test_an_unknown_account_is_404(admin):
    assert_problem(admin.get(f"{ACCOUNTS}/00000000-0000-4000-8000-000000000000"), 404)


def test_disabling_a_client_stops_its_live_token_at_once(admin, anonymous, police_system):
    token = client_token(anonymous)
    assert anonymous.get("/api/v1/contacts", headers=bearer(token)).status_code == 200

    response = admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)

    assert response.status_code == 200, response.json
    assert response.json["active"] is False
    read = anonymous.get("/api/v1/contacts", headers=bearer(token))
    write = anonymous.post("/api/v1/contacts", json=contact_body(), headers=bearer(token))
    for refused in (read, write):
        assert "revoked" in assert_problem(refused, 401)["detail"]
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(
        anonymous.post(TOKEN_URL, json={"client_id": "police-system", "client_secret": SECRET}), 401
    )


def test_a_disabled_persons_token_is_refused_too(admin, anonymous):
    person = make_account("priya.test", "person", "practitioner", service="mash")
    token = anonymous.post(
        TOKEN_URL, json={"username": "priya.test", "password": SECRET}
    ).json["access_token"]

    admin.post(f"{ACCOUNTS}/{person.id}/disable", json=REASON)

    assert_problem(anonymous.get("/api/v1/agencies", headers=bearer(token)), 401)


def test_a_token_for_a_subject_without_an_account_keeps_working(admin, api_as, police_system):
    # Tokens minted by an operator with `flask token create` name no account.
    cli_minted = api_as("agency", sub="cli-minted-system", agency="wmp")
    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)

    assert cli_minted.get("/api/v1/contacts").status_code == 200


def test_disabling_records_an_audit_event_with_the_reason_and_no_secret(admin, police_system):
    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)

    events = account_events(police_system.id)
    assert [e.action for e in events] == ["account.created", "account.disabled"]
    disabled = events[-1]
    assert json.loads(disabled.data) == {"active": False, "reason": REASON["reason"]}
    assert disabled.actor_sub == "ops.admin"
    assert police_system.secret_hash not in disabled.data


def test_enabling_lets_the_account_have_tokens_again(admin, anonymous, police_system):
    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)

    response = admin.post(f"{ACCOUNTS}/{police_system.id}/enable",
                          json={"reason": "Secret rotated by the supplier."})

    assert response.status_code == 200, response.json
    assert response.json["active"] is True
    token = client_token(anonymous)
    assert anonymous.get("/api/v1/contacts", headers=bearer(token)).status_code == 200
    assert [e.action for e in account_events(police_system.id)][-1] == "account.enabled"


def test_enabling_again_does_not_revive_the_tokens_held_when_disabled(admin, anonymous,
                                                                      police_system):
    stolen = client_token(anonymous)
    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)
    admin.post(f"{ACCOUNTS}/{police_system.id}/enable", json={"reason": "Supplier checked."})

    read = anonymous.get("/api/v1/contacts", headers=bearer(stolen))
    write = anonymous.post("/api/v1/contacts", json=contact_body(), headers=bearer(stolen))
    for refused in (read, write):
        assert "revoked" in assert_problem(refused, 401)["detail"]
    fresh = client_token(anonymous)
    assert anonymous.get("/api/v1/contacts", headers=bearer(fresh)).status_code == 200


def test_each_disable_ends_the_tokens_issued_since_the_last_enable(admin, anonymous, police_system):
    first = client_token(anonymous)
    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)
    admin.post(f"{ACCOUNTS}/{police_system.id}/enable", json=REASON)
    second = client_token(anonymous)
    assert anonymous.get("/api/v1/contacts", headers=bearer(second)).status_code == 200

    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)
    admin.post(f"{ACCOUNTS}/{police_system.id}/enable", json=REASON)
    third = client_token(anonymous)

    assert_problem(anonymous.get("/api/v1/contacts", headers=bearer(first)), 401)
    assert_problem(anonymous.get("/api/v1/contacts", headers=bearer(second)), 401)
    assert anonymous.get("/api/v1/contacts", headers=bearer(third)).status_code == 200


def test_a_token_issued_without_the_generation_claim_works_until_its_account_is_disabled(
        app, admin, anonymous, police_system):
    # As tokens issued before accounts counted their disables: no `gen` claim, counted as 0.
    from tests.helpers import es256

    earlier = es256(app, sub="police-system", role="agency", agency="wmp", kind="client")
    assert anonymous.get("/api/v1/contacts", headers=bearer(earlier)).status_code == 200

    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)
    admin.post(f"{ACCOUNTS}/{police_system.id}/enable", json=REASON)

    assert_problem(anonymous.get("/api/v1/contacts", headers=bearer(earlier)), 401)


def test_disabling_twice_is_a_conflict_that_records_nothing(admin, police_system):
    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)

    again = admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)
    enable_active = admin.post(f"{ACCOUNTS}/{police_system.id}/enable", json=REASON)
    enable_twice = admin.post(f"{ACCOUNTS}/{police_system.id}/enable", json=REASON)

    assert "already disabled" in assert_problem(again, 409)["detail"]
    assert enable_active.status_code == 200
    assert "already enabled" in assert_problem(enable_twice, 409)["detail"]
    assert [e.action for e in account_events(police_system.id)] == [
        "account.created", "account.disabled", "account.enabled"]


@pytest.mark.parametrize("body", [{}, {"reason": "   "}, {"reason": 42}], ids=["none", "blank", "number"])
def test_a_disable_without_a_reason_is_422_naming_it(admin, police_system, body):
    # (The id is kept, not the record: the test's session is the request's, and the refused
    # request rolls it back.)
    account_id = police_system.id
    response = admin.post(f"{ACCOUNTS}/{account_id}/disable", json=body)

    assert "reason" in assert_problem(response, 422)["errors"]
    assert admin.get(f"{ACCOUNTS}/{account_id}").json["active"] is True


def test_disabling_honours_if_match(admin, police_system):
    etag = admin.get(f"{ACCOUNTS}/{police_system.id}").headers["ETag"]
    admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)
    admin.post(f"{ACCOUNTS}/{police_system.id}/enable", json=REASON)

    stale = admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON,
                       headers={"If-Match": '"not-the-etag"'})
    current = admin.get(f"{ACCOUNTS}/{police_system.id}").headers["ETag"]
    fresh = admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON,
                       headers={"If-Match": current})

    assert etag == current  # the same representation: active again
    assert_problem(stale, 412)
    assert fresh.status_code == 200, fresh.json


def test_a_retried_disable_with_the_same_key_is_replayed_not_repeated(admin, police_system):
    headers = {"Idempotency-Key": "disable-police-1"}
    first = admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON, headers=headers)
    second = admin.post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON, headers=headers)

    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json == first.json
    assert [e.action for e in account_events(police_system.id)].count("account.disabled") == 1


@pytest.mark.parametrize("role", ["agency", "practitioner", "manager", "auditor"])
def test_only_an_admin_may_disable_an_account(api_as, police_system, role):
    response = api_as(role).post(f"{ACCOUNTS}/{police_system.id}/disable", json=REASON)

    assert_problem(response, 403)
    assert session.get(type(police_system), police_system.id).active is True
