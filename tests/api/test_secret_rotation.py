"""An admin rotates a partner client's secret: the new one shown once, the old one still accepted
for a grace period (so the partner changes its configuration without an outage), both in the
audit trail, never a secret in it."""

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text, update
from werkzeug.security import generate_password_hash

from api.db import session
from api.models import Account, AuditEvent
from tests.helpers import SECRET, assert_problem, client_as, make_account

TOKEN_URL = "/api/v1/auth/token"
REASON = "Annual rotation, agreed with the police system's supplier."


@pytest.fixture
def admin(app):
    return client_as(app, "admin", sub="ops.admin")


@pytest.fixture
def police_system():
    account = make_account("police-system", "client", "agency", agency="wmp")
    return SimpleNamespace(id=account.id)  # not the ORM object: each request ends its session


def sign_in(app, secret, name="police-system"):
    return app.test_client().post(TOKEN_URL, json={"client_id": name, "client_secret": secret})


def rotate(admin, account, **body):
    return admin.post(f"/api/v1/accounts/{account.id}/secret", json={"reason": REASON, **body})


def test_the_new_secret_is_shown_once_and_works_and_the_old_one_works_for_the_grace(
        app, admin, police_system, clock):
    response = rotate(admin, police_system)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    new_secret = body["client_secret"]
    assert body["client_id"] == "police-system" and len(new_secret) >= 40
    assert body["previous_secret_valid_until"] == "2026-11-21T10:00:00Z"  # a day, by default
    assert body["account"]["previous_secret_valid_until"] == "2026-11-21T10:00:00Z"
    assert sign_in(app, new_secret).status_code == 200
    assert sign_in(app, SECRET).status_code == 200  # the partner has not switched yet

    clock.advance(hours=23, minutes=59)
    assert sign_in(app, SECRET).status_code == 200
    clock.advance(minutes=1)
    assert_problem(sign_in(app, SECRET), 401)
    assert sign_in(app, new_secret).status_code == 200
    # The account read afterwards never shows the secret again.
    account = admin.get(f"/api/v1/accounts/{police_system.id}")
    assert new_secret not in account.get_data(as_text=True)


def test_a_leaked_secret_is_refused_at_once_with_no_grace(app, admin, police_system):
    response = rotate(admin, police_system, grace_minutes=0)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["previous_secret_valid_until"] is None
    assert_problem(sign_in(app, SECRET), 401)
    assert sign_in(app, response.get_json()["client_secret"]).status_code == 200
    stored = session.get(Account, police_system.id)  # not even the leaked secret's hash is kept
    assert (stored.previous_secret_hash, stored.previous_secret_expires_at) == (None, None)


def test_the_shortest_grace_keeps_the_old_secret_for_its_one_minute(app, admin, police_system,
                                                                    clock):
    body = rotate(admin, police_system, grace_minutes=1).get_json()

    assert body["previous_secret_valid_until"] == "2026-11-20T10:01:00Z"
    assert sign_in(app, SECRET).status_code == 200
    clock.advance(minutes=1)
    assert_problem(sign_in(app, SECRET), 401)


def test_a_secret_rotated_by_another_request_after_it_was_read_is_not_rotated_again(
        app, admin, police_system, clock, monkeypatch):
    """Two admins rotating at once: the second write finds the secret it read replaced already,
    answers 409 and changes nothing (else it would keep, as the previous secret, one that nobody
    was shown). On any engine: the other request's write is made in this request's own
    transaction just before it writes, so it is rolled back with it."""
    def now_after_someone_else_rotated():
        session.execute(update(Account).where(Account.id == police_system.id)
                        .values(secret_hash=generate_password_hash("another admin's secret"))
                        .execution_options(synchronize_session=False))
        return clock()

    monkeypatch.setattr("api.domain.accounts.now", now_after_someone_else_rotated)
    assert_problem(rotate(admin, police_system), 409)
    monkeypatch.undo()

    assert sign_in(app, SECRET).status_code == 200
    assert session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "account", AuditEvent.entity_id == str(police_system.id))
    ).all() == ["account.created"]


def test_only_the_secret_just_before_a_rotation_is_accepted_not_older_ones(
        app, admin, police_system):
    second = rotate(admin, police_system).get_json()["client_secret"]
    third = rotate(admin, police_system).get_json()["client_secret"]

    assert_problem(sign_in(app, SECRET), 401)
    assert sign_in(app, second).status_code == 200
    assert sign_in(app, third).status_code == 200


def test_the_rotation_is_in_the_audit_trail_without_any_secret(app, admin, police_system):
    new_secret = rotate(admin, police_system).get_json()["client_secret"]

    events = session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "account", AuditEvent.entity_id == str(police_system.id))
        .order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["account.created", "account.secret_rotated"]
    rotated = events[-1]
    assert rotated.actor_sub == "ops.admin"
    assert json.loads(rotated.data) == {"reason": REASON, "grace_minutes": 1440,
                                        "previous_secret_valid_until": "2026-11-21T10:00:00+00:00"}
    stored = session.get(Account, police_system.id)
    for event in events:
        assert new_secret not in event.data and SECRET not in event.data
        assert stored.secret_hash not in event.data


def test_the_grace_is_bounded_by_the_configured_maximum(app, admin, police_system):
    assert_problem(rotate(admin, police_system, grace_minutes=7 * 24 * 60 + 1), 422,
                   field="grace_minutes")
    assert_problem(rotate(admin, police_system, grace_minutes=-1), 422, field="grace_minutes")
    assert sign_in(app, SECRET).status_code == 200  # nothing changed

    at_most = rotate(admin, police_system, grace_minutes=7 * 24 * 60)  # the maximum itself
    assert at_most.status_code == 200, at_most.get_json()
    assert at_most.get_json()["previous_secret_valid_until"] == "2026-11-27T10:00:00Z"


def test_a_persons_password_is_not_rotated_here(app, admin):
    person = SimpleNamespace(
        id=make_account("pat.practitioner", "person", "practitioner", service="mash").id)

    body = assert_problem(rotate(admin, person), 409)

    assert "person" in body["detail"]


def test_only_an_admin_rotates_a_secret(app, police_system):
    for role in ("auditor", "manager", "agency"):
        response = client_as(app, role).post(f"/api/v1/accounts/{police_system.id}/secret",
                                             json={"reason": REASON})
        assert_problem(response, 403)
    assert sign_in(app, SECRET).status_code == 200


def test_a_rotation_replayed_with_its_key_is_the_same_rotation_without_the_secret(
        app, admin, police_system, db):
    headers = {"Idempotency-Key": "rotate-police-2026-11"}
    first = admin.post(f"/api/v1/accounts/{police_system.id}/secret", json={"reason": REASON},
                       headers=headers)
    again = admin.post(f"/api/v1/accounts/{police_system.id}/secret", json={"reason": REASON},
                       headers=headers)

    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["client_secret"] is None  # never stored in clear
    assert again.get_json()["previous_secret_valid_until"] == (
        first.get_json()["previous_secret_valid_until"])
    new_secret = first.get_json()["client_secret"]
    assert sign_in(app, new_secret).status_code == 200  # rotated once, not twice
    assert sign_in(app, SECRET).status_code == 200
    kept = db.execute(text("SELECT response_body FROM idempotency_records")).scalars().all()
    assert kept and not any(new_secret in body for body in kept)
