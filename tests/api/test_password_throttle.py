"""Password and secret guessing against one account slows down exponentially, counted by every
worker together, and never keeps the real user out for long (api/sign_in.py).

With the defaults: 5 failures in a row cost nothing; after each further one the name waits 1, 2,
4, ... seconds, at most 300, answered 429 with Retry-After and its secret not checked meanwhile;
a success forgets the failures, and so does an hour without one. A name no account has, and a
disabled account's right secret, are treated exactly as a wrong secret, so the answers say
nothing about which accounts exist."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import api.domain.accounts as account_rules
from api.db import session
from api.models import SignInFailures
from api.sign_in import DatabaseCounts, StorageCounts, wait_after
from tests.api.test_auth import SECRET, make_account
from tests.helpers import build_app

TOKEN = "/api/v1/auth/token"


def sign_in(client, name, password, kind="person"):
    body = ({"username": name, "password": password} if kind == "person"
            else {"client_id": name, "client_secret": password})
    return client.post(TOKEN, json=body)


def answer(response):
    """(status, Retry-After) of a sign-in."""
    return response.status_code, response.headers.get("Retry-After")


@pytest.fixture
def priya():
    return make_account("priya.test", "person", "practitioner", service="mash")


@pytest.fixture
def client(app):
    return app.test_client()


def guess_until_waiting(client, name, clock, kind="person"):
    """Fail until the name must wait; each wait sat out on the clock. The answers, in order."""
    answers = []
    for _ in range(32):
        response = sign_in(client, name, "not-the-password", kind)
        answers.append(answer(response))
        if response.status_code == 429:
            clock.advance(seconds=int(response.headers["Retry-After"]))
    return answers


def test_the_first_five_failures_cost_nothing_then_each_waits_twice_as_long(client, priya, clock):
    answers = [answer(sign_in(client, "priya.test", "wrong")) for _ in range(6)]
    assert answers == [(401, None)] * 6  # the sixth failure sets the first wait
    waits = []
    for _ in range(5):
        refused = sign_in(client, "priya.test", "wrong")
        assert refused.status_code == 429, refused.json
        assert refused.content_type == "application/problem+json"
        assert refused.json["type"].endswith("/rate-limited")
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(seconds=waits[-1])
        assert sign_in(client, "priya.test", "wrong").status_code == 401  # checked again: wrong
    assert waits == [1, 2, 4, 8, 16]


def test_the_wait_is_capped_so_the_real_user_is_back_within_five_minutes(client, priya, clock):
    answers = guess_until_waiting(client, "priya.test", clock)
    waits = [int(retry) for status, retry in answers if status == 429]
    assert max(waits) == 300
    assert waits[-3:] == [300, 300, 300]
    # The flood stops; the real user comes back no later than the cap, and gets in.
    clock.advance(seconds=300)
    assert sign_in(client, "priya.test", SECRET).status_code == 200


def test_while_a_name_waits_even_the_right_password_is_not_checked(client, priya, clock,
                                                                   monkeypatch):
    for _ in range(6):
        sign_in(client, "priya.test", "wrong")
    checked = []
    real_check = account_rules.check_password_hash
    monkeypatch.setattr(account_rules, "check_password_hash",
                        lambda *args: checked.append(1) or real_check(*args))

    refused = sign_in(client, "priya.test", SECRET)

    assert refused.status_code == 429
    assert checked == []
    assert "access_token" not in refused.json


def test_a_success_forgets_the_failures(client, priya, clock):
    for _ in range(5):
        sign_in(client, "priya.test", "wrong")
    assert sign_in(client, "priya.test", SECRET).status_code == 200
    assert session.scalar(select(func.count()).select_from(SignInFailures)) == 0
    # Five more failures cost nothing again.
    assert [sign_in(client, "priya.test", "wrong").status_code for _ in range(6)] == [401] * 6


def test_failures_are_forgotten_after_an_hour_without_one(client, priya, clock):
    for _ in range(6):
        sign_in(client, "priya.test", "wrong")
    clock.advance(seconds=3601)
    assert [sign_in(client, "priya.test", "wrong").status_code for _ in range(6)] == [401] * 6


def test_each_name_has_its_own_count(client, priya, clock):
    make_account("sam.test", "person", "practitioner", service="social_care")
    for _ in range(7):
        sign_in(client, "priya.test", "wrong")
    assert sign_in(client, "priya.test", SECRET).status_code == 429
    assert sign_in(client, "sam.test", SECRET).status_code == 200


def test_a_name_no_account_has_is_answered_exactly_as_one_that_has(client, priya, clock):
    known = guess_until_waiting(client, "priya.test", clock)
    clock.set(clock() + timedelta(days=1))
    unknown = guess_until_waiting(client, "no.such.person", clock)
    assert unknown == known


def test_a_disabled_accounts_right_password_is_answered_as_a_wrong_one(client, clock):
    make_account("gone.test", "person", "practitioner", service="mash", active=False)
    make_account("here.test", "person", "practitioner", service="mash")
    disabled = [answer(sign_in(client, "gone.test", SECRET)) for _ in range(8)]
    wrong = [answer(sign_in(client, "here.test", "wrong")) for _ in range(8)]
    assert disabled == wrong


def test_the_secret_is_checked_once_per_attempt_whether_or_not_the_name_is_known(
        client, priya, monkeypatch):
    checked = []
    real_check = account_rules.check_password_hash
    monkeypatch.setattr(account_rules, "check_password_hash",
                        lambda *args: checked.append(1) or real_check(*args))
    sign_in(client, "priya.test", "wrong")
    sign_in(client, "no.such.person", "wrong")
    assert len(checked) == 2
    assert session.scalar(select(func.count()).select_from(SignInFailures)) == 2


def test_partner_systems_client_secrets_are_throttled_the_same_way(client, clock):
    make_account("police-system", "client", "agency", agency="wmp")
    answers = [sign_in(client, "police-system", "wrong", kind="client").status_code
               for _ in range(7)]
    assert answers == [401] * 6 + [429]


def test_a_partner_systems_name_guessed_as_a_username_does_not_make_the_system_wait(client,
                                                                                   clock):
    """A username is never a client's name (a person's sign-in looks among people only), so those
    guesses cannot reach the client's secret: counting them against it would let anyone who knows
    a partner system's name keep it from signing in. Each kind of sign-in has its own count."""
    make_account("police-system", "client", "agency", agency="wmp")
    guesses = [sign_in(client, "police-system", "wrong").status_code for _ in range(7)]
    assert guesses == [401] * 6 + [429]  # the name, as a username, waits

    assert sign_in(client, "police-system", SECRET, kind="client").status_code == 200


def test_no_row_holds_the_name_tried(client, priya):
    sign_in(client, "typed-my-password-here", "wrong")
    stored = session.scalars(select(SignInFailures.name_hash)).all()
    assert len(stored) == 1 and "typed" not in stored[0] and len(stored[0]) == 64


def test_the_count_is_shared_by_every_worker(fresh_database_url):
    """Two apps on one database, as two gunicorn workers: their failures add up."""
    first, second = build_app(fresh_database_url), build_app(fresh_database_url)
    try:
        with first.app_context():
            make_account("priya.test", "person", "practitioner", service="mash")
            session.remove()
        workers = [first.test_client(), second.test_client()]
        statuses = [sign_in(workers[n % 2], "priya.test", "wrong").status_code for n in range(7)]
        assert statuses == [401] * 6 + [429]
        assert sign_in(workers[0], "priya.test", SECRET).status_code == 429
        assert sign_in(workers[1], "priya.test", SECRET).status_code == 429
    finally:
        for app in (first, second):
            app.extensions["db"].engine.dispose()


def test_the_throttle_is_configured(fresh_database_url):
    app = build_app(fresh_database_url, SIGN_IN_FREE_FAILURES=1, SIGN_IN_BACKOFF_SECONDS=10,
                    SIGN_IN_MAX_WAIT_SECONDS=25)
    try:
        assert [wait_after(n, app.config) for n in range(1, 6)] == [0, 10, 20, 25, 25]
        assert isinstance(app.extensions["sign_in_throttle"], DatabaseCounts)
    finally:
        app.extensions["db"].engine.dispose()


def test_with_a_shared_rate_limit_store_the_counts_live_there(fresh_database_url):
    """RATELIMIT_STORAGE_URI naming a store other than the per-process memory:// (redis:// in
    production; here the in-process one under another scheme, which limits treats the same way):
    the counts go to the rate limiter's storage, and the database is left alone."""
    app = build_app(fresh_database_url, RATELIMIT_STORAGE_URI="memory-swept://",
                    SIGN_IN_FREE_FAILURES=1)
    try:
        assert isinstance(app.extensions["sign_in_throttle"], StorageCounts)
        with app.app_context():
            make_account("priya.test", "person", "practitioner", service="mash")
            session.remove()
        worker = app.test_client()
        assert [answer(sign_in(worker, "priya.test", "wrong")) for _ in range(3)] == [
            (401, None), (401, None), (429, "1")]
        with app.app_context():
            assert session.scalar(select(func.count()).select_from(SignInFailures)) == 0
            session.remove()
        time.sleep(1.1)  # limits' storage keeps real time
        assert sign_in(worker, "priya.test", SECRET).status_code == 200
        assert sign_in(worker, "priya.test", "wrong").status_code == 401  # forgotten: free again
    finally:
        app.extensions["db"].engine.dispose()


def test_colleagues_signing_in_behind_one_address_do_not_spend_its_allowance(fresh_database_url):
    app = build_app(fresh_database_url, RATELIMIT_TOKEN="2 per minute")
    try:
        with app.app_context():
            make_account("priya.test", "person", "practitioner", service="mash")
            session.remove()
        office = app.test_client()
        assert [sign_in(office, "priya.test", SECRET).status_code for _ in range(5)] == [200] * 5
        # Failures from the address do count: a guesser spraying many names is stopped.
        assert [sign_in(office, f"user{n}", "guess").status_code for n in range(3)] == [
            401, 401, 429]
    finally:
        app.extensions["db"].engine.dispose()
