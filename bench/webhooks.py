"""Partner notifications: how fast the delivery workers empty the outbox, and how long a message
waits from its commit to the partner's endpoint (issue 20).

    python -m bench.webhooks --engine sqlite
    python -m bench.webhooks --engine postgresql --url postgresql+psycopg://mash:mash@127.0.0.1:5432/mash_bench_webhooks

Two phases, against a local receiver that answers 204 at once (the figures are the API's side):
- **throughput**: a backlog of messages already committed, delivered by 1 and then 2 workers
  (`flask webhooks deliver`, processes of their own, default settings but the address rules);
  messages per second from the first post to the last;
- **lag**: one message committed at a time at a steady rate (each in its own transaction, as a
  decision makes one) while workers with the default poll (WEBHOOK_POLL_SECONDS) run; the time
  from each commit to its arrival at the receiver, p50 / p99 / max.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Bench:
    def __init__(self, url):
        from api import create_app
        from api.cli import upgrade
        from api.config import Config
        from api.keys import generate_key_pair
        from cryptography.fernet import Fernet
        from seeds import load

        self.url = url
        self.private_key, self.public_key = generate_key_pair()
        self.fernet_key = Fernet.generate_key().decode()
        config = type("BenchConfig", (Config,), {
            "DATABASE_URL": url, "JWT_PRIVATE_KEY": self.private_key,
            "JWT_PUBLIC_KEY": self.public_key, "JWT_GENERATE_KEYS": False,
            "WEBHOOK_SECRETS_KEY": self.fernet_key, "LOG_LEVEL": "WARNING",
            "ACCESS_SEAL_SECONDS": 0})
        self.app = create_app(config)
        upgrade(self.app)
        with self.app.app_context():
            load(reference_only=True)

    def subscribe(self, receiver_url):
        from api import webhooks
        from api.caller import system_actor
        from api.db import session
        from api.models import WebhookSubscription
        from api.timescales import now

        with self.app.app_context():
            subscription = WebhookSubscription(
                agency_code="wmp", url=receiver_url, events=["contact.decided"],
                contact_email="it@wmp.example",
                secret_ciphertext=webhooks.seal(webhooks.new_secret()), active=True,
                created_at=now(), created_by_sub=system_actor("bench").sub)
            session.add(subscription)
            session.commit()
            session.remove()

    def commit_one(self, number):
        """One message in its own transaction; (its id, the wall time just after the commit)."""
        from api import webhooks
        from api.db import session

        with self.app.app_context():
            (message,) = webhooks.notify("contact.decided", "wmp", lambda: {"n": number})
            session.commit()
            committed = time.time()
            session.remove()
        return message.id, committed

    def backlog(self, count):
        from api import webhooks
        from api.db import session

        with self.app.app_context():
            for number in range(count):
                webhooks.notify("contact.decided", "wmp", lambda n=number: {"n": n})
            session.commit()
            session.remove()

    def pending(self):
        from sqlalchemy import func, select

        from api.db import session
        from api.models import WebhookMessage

        with self.app.app_context():
            count = session.scalar(select(func.count()).select_from(WebhookMessage).where(
                WebhookMessage.status == "pending"))
            session.remove()
        return count

    def worker(self, log_path):
        env = {**os.environ, "DATABASE_URL": self.url, "JWT_PRIVATE_KEY": self.private_key,
               "JWT_PUBLIC_KEY": self.public_key, "JWT_GENERATE_KEYS": "0",
               "WEBHOOK_SECRETS_KEY": self.fernet_key, "WEBHOOK_ALLOW_LOCAL": "1",
               "LOG_LEVEL": "WARNING", "ACCESS_SEAL_SECONDS": "0"}
        log = open(log_path, "ab")
        try:
            return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "webhooks",
                                     "deliver"], cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
        finally:
            log.close()


def _stop(workers):
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def _reset(url):
    from bench.load import reset_database

    reset_database(url)


def run(url, backlog, rate, seconds, log_dir):
    from tests.webhook_receiver import Receiver

    _reset(url)
    bench = Bench(url)
    receiver = Receiver()
    receiver.arrivals = {}
    original = receiver.received

    class Recording(list):
        def append(self, request):
            receiver.arrivals.setdefault(request["headers"].get("webhook-id"), time.time())
            super().append(request)

    receiver.received = Recording(original)
    bench.subscribe(receiver.url)
    results = {}
    try:
        for workers in (1, 2):
            bench.backlog(backlog)
            before = len(receiver.received)
            started = time.time()
            running = [bench.worker(Path(log_dir) / f"throughput-{workers}-{n}.log")
                       for n in range(workers)]
            while bench.pending() and time.time() - started < 300:
                time.sleep(0.05)
            elapsed = time.time() - started
            _stop(running)
            delivered = len(receiver.received) - before
            results[f"throughput, {workers} worker{'s' if workers > 1 else ''}"] = (
                f"{delivered} messages in {elapsed:.1f} s: {delivered / elapsed:.0f}/s "
                f"(worker start-up included)")
        running = [bench.worker(Path(log_dir) / f"lag-{n}.log") for n in range(2)]
        time.sleep(3)  # the workers start and go idle
        commits = {}
        interval = 1 / rate
        next_at = time.time()
        end = next_at + seconds
        number = 0
        while time.time() < end:
            message_id, committed = bench.commit_one(number)
            commits[message_id] = committed
            number += 1
            next_at += interval
            time.sleep(max(0, next_at - time.time()))
        deadline = time.time() + 30
        while any(m not in receiver.arrivals for m in commits) and time.time() < deadline:
            time.sleep(0.05)
        _stop(running)
        lags = [receiver.arrivals[m] - at for m, at in commits.items() if m in receiver.arrivals]
        missing = len(commits) - len(lags)
        results["lag, 2 workers, default poll"] = (
            f"{len(commits)} messages at {rate}/s: commit to arrival p50 {_percentile(lags, 0.5) * 1000:.0f} ms, "
            f"p99 {_percentile(lags, 0.99) * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms; "
            f"missing {missing}")
    finally:
        receiver.stop()
        bench.app.extensions["db"].engine.dispose()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL: a database whose name holds bench (wiped)")
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20, help="messages per second (lag phase)")
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args(argv)
    url = args.url
    if args.engine == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='mash-bench-webhooks-')}/bench.db"
    elif not url:
        parser.error("--url is needed for PostgreSQL")
    with tempfile.TemporaryDirectory(prefix="mash-bench-webhooks-logs-") as logs:
        for name, figure in run(url, args.backlog, args.rate, args.seconds, logs).items():
            print(f"{args.engine}: {name}: {figure}")


if __name__ == "__main__":
    main()
