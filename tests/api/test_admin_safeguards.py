"""An admin cannot lock the accounts out of administration: disabling your own account, or the
last enabled admin account, is a 409 problem that says why, and changes nothing."""

import threading

import pytest
from sqlalchemy import select

from api.db import session
from api.models import Account, AuditEvent
from tests.api.test_auth import SECRET, make_account
from tests.helpers import ApiClient, build_app, token_for

ACCOUNTS = "/api/v1/accounts"
TOKEN_URL = "/api/v1/auth/token"
REASON = {"reason": "Leaving the council; access to be removed today."}


def signed_in(app, name):
    """A client holding the token the account `name` is issued with its password."""
    response = app.test_client().post(TOKEN_URL, json={"username": name, "password": SECRET})
    assert response.status_code == 200, response.json
    return ApiClient(app, response.json["access_token"])


def disable(client, account):
    return client.post(f"{ACCOUNTS}/{account.id}/disable", json=REASON)


def events_about(account_id):
    return session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "account", AuditEvent.entity_id == str(account_id))).all()


def is_active(account_id):
    return session.scalar(select(Account.active).where(Account.id == account_id))


def assert_refused(response, says):
    assert response.status_code == 409, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["type"].endswith("/conflict")
    assert says in response.json["detail"]


def test_an_admin_cannot_disable_their_own_account(app):
    ada = make_account("ada.test", "person", "admin").id
    make_account("ben.test", "person", "admin")  # not the last admin: only "own" refuses it

    refused = signed_in(app, "ada.test").post(f"{ACCOUNTS}/{ada}/disable", json=REASON)

    assert_refused(refused, "your own account")
    assert is_active(ada) is True
    assert events_about(ada) == ["account.created"]


def test_the_last_enabled_admin_account_cannot_be_disabled(api_as):
    ada = make_account("ada.test", "person", "admin").id
    make_account("old.admin", "person", "admin", active=False)  # a disabled admin does not count
    operator = api_as("admin", sub="ops.cli")  # `flask token create`: a subject with no account

    refused = operator.post(f"{ACCOUNTS}/{ada}/disable", json=REASON)

    assert_refused(refused, "last enabled admin")
    assert is_active(ada) is True
    assert events_about(ada) == ["account.created"]


def test_an_admin_may_disable_another_admin_while_one_stays_enabled(app):
    ada = make_account("ada.test", "person", "admin")
    ben = make_account("ben.test", "person", "admin")

    done = disable(signed_in(app, "ada.test"), ben)

    assert done.status_code == 200, done.json
    assert done.json["active"] is False
    # ...and now Ada is the last one: nobody may disable her, whoever asks.
    assert_refused(disable(ApiClient(app, token_for(app, "admin", sub="ops.cli")), ada),
                   "last enabled admin")


def test_other_roles_accounts_are_disabled_as_before_with_no_admin_account_at_all(api_as):
    system = make_account("police-system", "client", "agency", agency="wmp")
    done = disable(api_as("admin", sub="ops.cli"), system)
    assert done.status_code == 200, done.json


def test_two_admins_disabling_each_other_at_once_leave_one_enabled(fresh_database_url):
    """Each sees the other enabled when it starts; the second to commit must see the first's
    change (PostgreSQL: the admins' rows are locked in one order; SQLite: one writer at a time)."""
    app = build_app(fresh_database_url)
    try:
        with app.app_context():
            ada = make_account("ada.test", "person", "admin")
            ben = make_account("ben.test", "person", "admin")
            ids = {"ada.test": ada.id, "ben.test": ben.id}
            session.remove()
        clients = {name: signed_in(app, name) for name in ids}
        start = threading.Barrier(2)
        answers = {}

        def disable_the_other(name):
            other = "ben.test" if name == "ada.test" else "ada.test"
            start.wait()
            answers[name] = clients[name].post(f"{ACCOUNTS}/{ids[other]}/disable", json=REASON)

        threads = [threading.Thread(target=disable_the_other, args=(n,)) for n in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        statuses = sorted(answer.status_code for answer in answers.values())
        assert statuses in ([200, 409], [200, 401]), {n: a.json for n, a in answers.items()}
        with app.app_context():
            enabled = session.scalars(select(Account.name).where(
                Account.role == "admin", Account.active.is_(True))).all()
            session.remove()
        assert len(enabled) == 1
    finally:
        app.extensions["db"].engine.dispose()
