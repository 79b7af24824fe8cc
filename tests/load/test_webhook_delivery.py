"""The webhooks' delivery workers as they run (`flask webhooks deliver`, processes of their own) on a
database of the test's own, posting to a real HTTP server: a worker SIGKILLed mid-batch loses
nothing (after a restart every committed message is delivered at least once), and two workers
sharing the outbox deliver each message once."""

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api import webhooks
from api.caller import system_actor
from api.config import TestConfig
from api.db import session
from api.models import WebhookMessage, WebhookSubscription
from api.timescales import now
from tests.helpers import PRIVATE_KEY, PUBLIC_KEY, build_app, wait_until
from tests.webhook_receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver():
    served = Receiver()
    yield served
    served.stop()


def _outbox(app, receiver, messages):
    """A subscription of the police's to `receiver`, and `messages` messages in its outbox, made as
    the API makes them (api/webhooks.notify) and committed."""
    with app.app_context():
        subscription = WebhookSubscription(
            agency_code="wmp", url=receiver.url, events=["contact.decided"],
            contact_email="it@wmp.example", secret_ciphertext=webhooks.seal(webhooks.new_secret()),
            active=True, created_at=now(), created_by_sub=system_actor("test").sub)
        session.add(subscription)
        session.flush()
        ids = []
        for number in range(messages):
            made = webhooks.notify("contact.decided", "wmp", lambda n=number: {"n": n})
            ids.extend(message.id for message in made)
        session.commit()
        session.remove()
    return ids


def _worker(url, log_path, **settings):
    env = {**os.environ, "DATABASE_URL": url, "JWT_PRIVATE_KEY": PRIVATE_KEY,
           "JWT_PUBLIC_KEY": PUBLIC_KEY, "JWT_GENERATE_KEYS": "0", "LOG_LEVEL": "WARNING",
           "WEBHOOK_SECRETS_KEY": TestConfig.WEBHOOK_SECRETS_KEY, "WEBHOOK_ALLOW_LOCAL": "1",
           "WEBHOOK_POLL_SECONDS": "0.05", "WEBHOOK_TIMEOUT_SECONDS": "2",
           "WEBHOOK_LEASE_MARGIN_SECONDS": "1", "ACCESS_SEAL_SECONDS": "0",
           **{name: str(value) for name, value in settings.items()}}
    env.pop("TEST_DATABASE_URL", None)
    log = open(log_path, "ab")
    try:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "webhooks",
                                 "deliver"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    finally:
        log.close()


def _statuses(app):
    with app.app_context():
        counts = dict(session.execute(select(WebhookMessage.status, func.count())
                                      .group_by(WebhookMessage.status)).all())
        session.remove()
    return counts


def _stop(*workers):
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def test_a_worker_killed_mid_batch_loses_nothing(fresh_database_url, receiver, tmp_path):
    app = build_app(fresh_database_url)
    try:
        ids = _outbox(app, receiver, 40)
        receiver.hang_seconds = 0.05  # a partner that takes a moment: the kill lands mid-batch
        first = _worker(fresh_database_url, tmp_path / "worker.log", WEBHOOK_BATCH=20)
        try:
            assert wait_until(lambda: len(receiver.received) >= 8, 30), (
                tmp_path / "worker.log").read_text()
            first.send_signal(signal.SIGKILL)
            first.wait()
        finally:
            _stop(first)
        killed_at = len(receiver.received)
        assert killed_at < len(ids), "the worker finished before it was killed"

        second = _worker(fresh_database_url, tmp_path / "worker.log", WEBHOOK_BATCH=20)
        try:
            assert wait_until(lambda: _statuses(app).get("delivered") == len(ids), 60), (
                _statuses(app), (tmp_path / "worker.log").read_text()[-2000:])
        finally:
            _stop(second)

        got = Counter(request["headers"]["webhook-id"] for request in receiver.received)
        assert set(got) == set(ids)  # every committed message, at least once
        duplicates = sum(n - 1 for n in got.values())
        print(f"killed after {killed_at} of {len(ids)} posts; duplicates after restart: "
              f"{duplicates}")
        # Only a message posted and not yet recorded when the worker died is sent twice.
        assert duplicates <= 1, got.most_common(3)
    finally:
        app.extensions["db"].engine.dispose()


def test_two_workers_share_the_outbox_and_deliver_each_message_once(
        fresh_database_url, receiver, tmp_path):
    app = build_app(fresh_database_url)
    try:
        ids = _outbox(app, receiver, 120)
        workers = [_worker(fresh_database_url, tmp_path / f"worker-{n}.log", WEBHOOK_BATCH=5)
                   for n in range(2)]
        try:
            assert wait_until(lambda: _statuses(app).get("delivered") == len(ids), 90), (
                _statuses(app), [(tmp_path / f"worker-{n}.log").read_text()[-1500:]
                                 for n in range(2)])
        finally:
            _stop(*workers)

        got = Counter(request["headers"]["webhook-id"] for request in receiver.received)
        duplicates = sum(n - 1 for n in got.values())
        print(f"two workers: {len(ids)} messages, {sum(got.values())} posts, "
              f"{duplicates} duplicates")
        assert set(got) == set(ids) and duplicates == 0, got.most_common(3)
        with app.app_context():
            attempts = session.scalar(select(func.sum(WebhookMessage.attempts)))
            session.remove()
        assert attempts == len(ids)
    finally:
        app.extensions["db"].engine.dispose()
