"""Nothing lost under load and crashes, and the write and read paths against the same work.

    python -m bench.load --engine sqlite
    python -m bench.load --engine postgresql --url postgresql+psycopg://mash:mash@127.0.0.1:5432/mash_bench_load
    python -m bench.load ... --skip nothing-lost     # the speed part alone

Each engine, on a fresh database built by the migrations and `seed --reference-only`:

1. **Nothing lost**: gunicorn serves wsgi:app as `make run` does. Partner clients (one agency
   account each, real ES256 tokens) post contacts for a fixed time, retrying a share of them with
   the same Idempotency-Key (some sent while the first is still in flight), while practitioners
   record decisions on contacts that exist. Then the database is checked (see check_records).
2. The same while gunicorn workers are killed with SIGKILL mid-run.
3. **Speed**: POST /api/v1/contacts and GET /api/v1/contacts/{id} against two baselines served
   the same way: bench/same_work.py, which writes and reads the same rows by hand in one
   transaction (the targets are set against it), and bench/bare.py's one-row insert and read
   (for reference). At a fixed concurrency for a fixed time each; then the app and the
   same-work baseline one request at a time on an otherwise idle server. All servers stay up,
   and each endpoint's time is split into rounds taken in turn with its baselines'
   (`--rounds`, 4), so a drift in the machine's speed during the run weighs on every side of a
   ratio; the ratio of each round is printed too. Afterwards the rows each server's answered
   requests left are counted against what they imply (check_same_work), so a baseline that
   silently does less fails the run.

The load comes from separate processes (the `spawn` start method, so nothing of the parent's
app or connections is inherited); each reports the CPU it used, so the report shows whether the
generator or the server was the bottleneck.

Rate limiting: every simulated client is its own account with its own token. If the server
enforces per-client or per-user limits, raise them for the run through the environment
(`--env NAME=VALUE`, passed to gunicorn); a 429 is reported as an unexpected status.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
# Agencies whose systems post contacts (seeded by --reference-only); clients take them in turn.
PARTNER_AGENCIES = ("wmp", "oakfield-primary", "hilltop-gp", "housing", "btp", "city-hospital-ed")
SPEED_AGENCY = "wmp"
REF_PREFIX = "LOAD-"
RATIONALE = ("The referrer's information and our checks show needs that universal services can "
             "meet; the family agreed to the plan and the school will monitor attendance.")
DECISION_OUTCOMES = ("nfa", "information_advice", "universal_services", "existing_case")


# ---- HTTP, from the client processes (standard library only: cheap to start, cheap per call) --


def call(port, method, path, token=None, body=None, headers=None, timeout=60):
    """One request on its own connection (gunicorn's sync workers close it after each)."""
    sent = {"Connection": "close", **(headers or {})}
    data = None
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    status, payload, replayed, error = None, None, False, None
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        status = response.status
        replayed = response.getheader("Idempotent-Replayed") == "true"
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
    except (OSError, http.client.HTTPException) as exc:
        error = type(exc).__name__  # the connection died: a killed worker, or a refused connect
    finally:
        connection.close()
    return {"status": status, "payload": payload, "replayed": replayed, "error": error,
            "latency": time.perf_counter() - started, "at": time.time()}


def _iso(instant):
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def contact_body(agency, reference):
    """A valid contact about one new child (its local id is the source reference, so each
    contact records exactly one child: two audit events, contact.recorded and child.recorded).
    The family name carries the reference too, so that no two load children have the same names
    and date of birth (which would make each a possible match of every other, and every lookup
    read them all)."""
    return {
        "received_at": _iso(datetime.now(UTC) - timedelta(minutes=10)),
        "source_agency": agency,
        "source_reference": reference,
        "referrer": {"name": "Load test referrer", "role": "Officer"},
        "channel": "api",
        "children": [{"given_name": "Robin", "family_name": f"Loadtest {reference}"[:100],
                      "date_of_birth": "2018-05-01", "sex": "unknown",
                      "local_child_id": reference}],
        "concerns": {"categories": ["neglect"],
                     "summary": "The child arrived at school hungry three days running."},
        "consent": {"status": "given", "given_by": "Mother"},
    }


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _wait_until(start_at):
    time.sleep(max(0.0, start_at - time.time()))


# What a proxy answers when the app server it passed the request to went away (killed, restarted)
# before answering: like a dropped connection, the request may or may not have been recorded, and
# a partner retries it with the same Idempotency-Key.
GATEWAY_LOST = (502,)


def partner_client(port, name, token, agency, start_at, seconds, seed, retry_share,
                   in_flight_share, queue):
    """Posts contacts until the time is up. Of the requests, `retry_share` are sent again with
    the same key after an answer, and `in_flight_share` a second time while the first is running
    (then once more after both). After a dropped connection, or a proxy's 502, it retries once,
    as a partner would."""
    rng = random.Random(seed)
    attempts = []

    def post(reference, key, body, sink):
        headers = {"Idempotency-Key": key} if key else {}
        reply = call(port, "POST", f"{API}/contacts", token, body, headers)
        reply.update(op="contact", ref=reference, key=key)
        reply["id"] = (reply["payload"] or {}).get("id") if reply["status"] == 201 else None
        reply.pop("payload")
        sink.append(reply)
        return reply

    _wait_until(start_at)
    cpu_before = _cpu_seconds()
    deadline = start_at + seconds
    number = 0
    while time.time() < deadline:
        number += 1
        reference = f"{REF_PREFIX}{name}-{number:06d}"
        body = contact_body(agency, reference)
        draw = rng.random()
        # Every client's first contact races its own retry, and its second is retried after
        # the answer: even a short run exercises both.
        draw = {1: 0.0, 2: (in_flight_share + retry_share) / 2}.get(number, draw)
        key = None if draw > 0.9 else f"{reference}-{uuid.uuid4().hex[:8]}"  # a tenth send none
        if key and draw < in_flight_share:
            first, second = [], []
            worker = threading.Thread(target=post, args=(reference, key, body, first))
            worker.start()
            time.sleep(rng.uniform(0, 0.01))
            post(reference, key, body, second)
            worker.join()
            attempts += first + second
            # Whichever answered 409 or lost its connection, one more try settles the outcome.
            reply = post(reference, key, body, attempts)
            if reply["status"] == 409:
                time.sleep(0.2)
                post(reference, key, body, attempts)
            continue
        reply = post(reference, key, body, attempts)
        if (reply["error"] or reply["status"] in GATEWAY_LOST) and key:
            time.sleep(0.2)
            post(reference, key, body, attempts)
        elif key and draw < retry_share:
            post(reference, key, body, attempts)
    queue.put({"client": name, "attempts": attempts, "cpu": _cpu_seconds() - cpu_before})


def practitioner_client(port, name, token, start_at, seconds, seed, queue):
    """Lists contacts awaiting a decision and decides one of them; retries a share with the key."""
    rng = random.Random(seed)
    attempts = []
    _wait_until(start_at)
    cpu_before = _cpu_seconds()
    deadline = start_at + seconds
    while time.time() < deadline:
        listed = call(port, "GET", f"{API}/contacts?status=awaiting_decision&limit=20", token)
        listed.update(op="list")
        items = (listed.pop("payload") or {}).get("items") or []
        attempts.append(listed)
        if not items:
            time.sleep(0.05)
            continue
        contact_id = rng.choice(items)["id"]
        key = f"decide-{name}-{uuid.uuid4().hex}"
        body = {"outcome": rng.choice(DECISION_OUTCOMES), "rationale": RATIONALE}
        for _try in range(2 if rng.random() < 0.2 else 1):
            reply = call(port, "POST", f"{API}/contacts/{contact_id}/decisions", token, body,
                         {"Idempotency-Key": key})
            payload = reply.pop("payload") or {}
            reply.update(op="decision", contact=contact_id, key=key, id=payload.get("id")
                         if reply["status"] == 201 else None, slug=payload.get("type"))
            attempts.append(reply)
    queue.put({"client": name, "attempts": attempts, "cpu": _cpu_seconds() - cpu_before})


def speed_client(port, method, paths, token, body_of, start_at, seconds, queue):
    """Closed loop: one request at a time, as fast as answers come, for `seconds`."""
    latencies, statuses, ids = [], Counter(), []
    _wait_until(start_at)
    cpu_before = _cpu_seconds()
    deadline = start_at + seconds
    number = 0
    while time.time() < deadline:
        number += 1
        path = paths[number % len(paths)]
        body = body_of(number) if body_of else None
        # A partner's write carries an Idempotency-Key: the full path stores its response too.
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else None
        reply = call(port, method, path, token, body, headers)
        latencies.append(reply["latency"])
        statuses[reply["status"] or reply["error"]] += 1
        if reply["status"] == 201 and reply["payload"]:
            ids.append(reply["payload"]["id"])
    queue.put({"latencies": latencies, "statuses": dict(statuses), "ids": ids,
               "cpu": _cpu_seconds() - cpu_before})


class SpeedBody:
    """Picklable: builds the n-th body of one speed client."""

    def __init__(self, kind, prefix):
        self.kind, self.prefix = kind, prefix

    def __call__(self, number):
        reference = f"{self.prefix}-{number:07d}"
        body = contact_body(SPEED_AGENCY, reference)
        return body if self.kind == "contact" else {"note": body["concerns"]["summary"], "n": number}


def run_processes(targets, timeout):
    """Start one process per (function, args), each putting one result on the queue."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=func, args=(*args, queue), daemon=True)
                 for func, args in targets]
    for process in processes:
        process.start()
    results = [queue.get(timeout=timeout) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    return results


# ---- the server -------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def process_cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def machine_busy_jiffies():
    """(busy, total) CPU jiffies of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Gunicorn:
    """gunicorn serving `app_spec`, as `make run` does: `gunicorn --workers N app_spec`."""

    def __init__(self, app_spec, env, workers=2, log_dir=None, preload=False):
        self.app_spec, self.workers, self.preload = app_spec, workers, preload
        self.port = free_port()
        self.env = {**os.environ, **env}
        self.log_path = Path(log_dir or tempfile.mkdtemp(prefix="mash-load-")) / "gunicorn.log"
        self.process = None

    def __enter__(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "-",
             *(["--preload"] if self.preload else []), self.app_spec],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        health = f"{API}/health" if self.app_spec == "wsgi:app" else "/health"
        started = time.time()
        deadline = started + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_tail()}")
            if call(self.port, "GET", health, timeout=5)["status"] == 200 and \
                    len(self.worker_pids()) == self.workers:
                # How long a worker takes to boot here: a replacement is not killed before then
                # (forked from a preloaded master, it serves at once).
                self.boot_seconds = 0.2 if self.preload else time.time() - started
                return self
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s: {self.log_tail()}")

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self):
        master = self.process.pid
        return sorted(int(entry) for entry in os.listdir("/proc")
                      if entry.isdigit() and _ppid(entry) == master)

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# ---- the database: fresh, migrated, seeded, with the accounts the clients use -----------------


def reset_database(url):
    """Wipe the database at `url` (a SQLite file, or a PostgreSQL database named for benches)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    if not any(word in (parsed.database or "") for word in ("bench", "load")):
        raise SystemExit(f"refusing to wipe {parsed.database!r}: its name must contain bench or load")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def app_config(url, private_key, public_key, migration_url=None, app_role=None):
    from api.config import Config

    return type("LoadConfig", (Config,), {
        "DATABASE_URL": url, "JWT_PRIVATE_KEY": private_key, "JWT_PUBLIC_KEY": public_key,
        "JWT_GENERATE_KEYS": False, "LOG_LEVEL": "WARNING",
        "MIGRATION_DATABASE_URL": migration_url, "DATABASE_APP_ROLE": app_role,
    })


class Site:
    """A migrated, seeded database, its key pair, and tokens of real accounts on it.
    `migration_url`, `app_role`: migrate as the owner and grant the app's role (PostgreSQL)."""

    def __init__(self, url, partners=6, practitioners=2, speed_clients=8, migration_url=None,
                 app_role=None):
        from api import audit, create_app
        from api.auth import mint_token
        from api.caller import system_actor
        from api.keys import generate_key_pair
        from api.cli import upgrade
        from api.db import session
        from api.domain.accounts import create_account
        from seeds import load

        self.url = url
        self.private_key, self.public_key = generate_key_pair()
        self.app = create_app(app_config(url, self.private_key, self.public_key,
                                         migration_url, app_role))
        upgrade(self.app)
        accounts = (
            [(f"load-partner-{n}", "agency", PARTNER_AGENCIES[n % len(PARTNER_AGENCIES)])
             for n in range(partners)]
            + [(f"load-speed-{n}", "agency", SPEED_AGENCY) for n in range(speed_clients)]
            + [(f"load-practitioner-{n}", "practitioner", None) for n in range(practitioners)]
        )
        actor = system_actor("load")
        with self.app.app_context():
            load(reference_only=True)
            for name, role, agency in accounts:
                create_account(
                    actor, name=name, kind="client" if role == "agency" else "person",
                    secret=secrets.token_urlsafe(24), role=role, agency=agency,
                    service="mash" if role == "practitioner" else None,
                    display_name=f"Load test {name}",
                )
            session.commit()
            self.tokens = {
                name: mint_token(self.app, name, role, agency=agency,
                                 service="mash" if role == "practitioner" else None,
                                 kind="client" if role == "agency" else "person", minutes=120)[0]
                for name, role, agency in accounts
            }
            self.agency_of = {name: agency for name, _role, agency in accounts}
            self.setup_events = audit.verify().length
        self.app.extensions["db"].engine.dispose()

    def server_env(self, extra=None):
        return {"DATABASE_URL": self.url, "JWT_PRIVATE_KEY": self.private_key,
                "JWT_PUBLIC_KEY": self.public_key, "JWT_GENERATE_KEYS": "0",
                "LOG_LEVEL": "WARNING",
                # No access log sealer: a seal would land in the chain at a moment of its own
                # choosing, and the checks count the chain's events.
                "ACCESS_SEAL_SECONDS": "0",
                # The limiter stays on (its cost is part of every request) but far above the load,
                # which is deliberately more than one partner's fair share per minute.
                "RATELIMIT_DEFAULT": "1000000 per minute", "RATELIMIT_WRITE": "1000000 per minute",
                **(extra or {})}

    def names(self, prefix):
        return sorted(name for name in self.tokens if name.startswith(prefix))


# ---- nothing lost -----------------------------------------------------------------------------


# fsync and fdatasync on x86_64: SQLite (synchronous=FULL) makes one at each commit.
COMMIT_SYSCALLS = {"74", "75"} if os.uname().machine == "x86_64" else set()


def _in_commit(pid):
    try:
        with open(f"/proc/{pid}/syscall") as syscall:
            return syscall.read().split()[0] in COMMIT_SYSCALLS
    except (OSError, IndexError):
        return False


def _victim(serving, rng, within=0.5):
    """A worker caught in a commit's fsync if one is within `within` seconds (the moment a
    handler that commits in two steps would be caught between them), else any of them."""
    deadline = time.monotonic() + within
    while COMMIT_SYSCALLS and time.monotonic() < deadline:
        for pid in serving:
            if _in_commit(pid):
                return pid, True
        time.sleep(0.001)
    return rng.choice(serving), False


def drive(site, server, seconds, kill_every=None, retry_share=0.3, in_flight_share=0.15,
          seed=1):
    """Partners and practitioners for `seconds`; with kill_every, SIGKILL a worker that often."""
    start_at = time.time() + 1.5  # the spawned clients import and line up first
    targets = [
        (partner_client, (server.port, name, site.tokens[name], site.agency_of[name], start_at,
                          seconds, seed * 1000 + n, retry_share, in_flight_share))
        for n, name in enumerate(site.names("load-partner-"))
    ] + [
        (practitioner_client, (server.port, name, site.tokens[name], start_at, seconds,
                               seed * 2000 + n))
        for n, name in enumerate(site.names("load-practitioner-"))
    ]
    kills = []
    stop = threading.Event()

    def killer():
        # Kill a worker that is serving, never the last one serving: a replacement counts as
        # serving once it has lived as long as a worker took to boot at start-up.
        rng = random.Random(seed)
        first_seen = {pid: 0.0 for pid in server.worker_pids()}
        _wait_until(start_at)
        while not stop.wait(kill_every * rng.uniform(0.7, 1.3)):
            if time.time() > start_at + seconds - 0.5:
                return
            current = time.time()
            workers = server.worker_pids()
            for pid in workers:
                first_seen.setdefault(pid, current)
            serving = [pid for pid in workers if current - first_seen[pid] >= server.boot_seconds]
            if not serving or (len(serving) < 2 and server.workers > 1):
                continue
            victim, in_commit = _victim(serving, rng)
            os.kill(victim, signal.SIGKILL)
            kills.append({"pid": victim, "at": current, "in_commit": in_commit})

    thread = threading.Thread(target=killer, daemon=True) if kill_every else None
    if thread:
        thread.start()
    results = run_processes(targets, timeout=seconds + 120)
    stop.set()
    if thread:
        thread.join()
    attempts = [attempt for result in results for attempt in result["attempts"]]
    return {"attempts": attempts, "kills": kills, "client_cpu": sum(r["cpu"] for r in results)}


def check_records(site, attempts, crashed, gateway=False):
    """Every acknowledged contact once, nothing twice, nothing partial, the chain whole and as
    long as the writes made. Returns (problems, facts).

    gateway: the requests went through a proxy (deploy/), whose 502 for a server killed under a
    request is a dropped connection, not the app's error."""
    from sqlalchemy import func, select

    from api import audit, create_app
    from api.db import session
    from api.models import AuditEvent, ConsentRecord, Contact, ContactChild, Decision

    problems = []
    statuses = Counter((a["op"], a["status"] or a["error"]) for a in attempts)
    if gateway:
        attempts = [{**a, "status": None, "error": f"gateway {a['status']}"}
                    if a["status"] in GATEWAY_LOST else a for a in attempts]
    server_errors = [a for a in attempts if a["status"] and a["status"] >= 500]
    if server_errors:
        problems.append(f"{len(server_errors)} requests answered 5xx: "
                        f"{Counter(a['status'] for a in server_errors)}")
    # What a client may be told besides success: 409 for a retry racing its first request, or
    # for a decision on a contact another practitioner decided a moment before.
    expected = {"contact": {201, 409}, "decision": {201, 409}, "list": {200}}
    unexpected = [a for a in attempts if a["status"] and a["status"] < 500
                  and a["status"] not in expected[a["op"]]]
    if unexpected:
        problems.append(f"unexpected statuses: {Counter((a['op'], a['status']) for a in unexpected)}")
    dropped = [a for a in attempts if a["error"]]
    if dropped and not crashed:
        problems.append(f"{len(dropped)} requests lost their connection with no worker killed")

    acknowledged = defaultdict(set)  # source reference -> the ids its 2xx answers named
    for attempt in attempts:
        if attempt["op"] == "contact" and attempt["status"] == 201:
            acknowledged[attempt["ref"]].add(attempt["id"])
    for reference, ids in acknowledged.items():
        if len(ids) != 1:
            problems.append(f"{reference}: its answers named different contacts {sorted(ids)}")
    decided = {a["id"] for a in attempts if a["op"] == "decision" and a["status"] == 201}
    sent = {a["ref"] for a in attempts if a["op"] == "contact"}

    app = create_app(app_config(site.url, site.private_key, site.public_key))
    with app.app_context():
        stored = defaultdict(list)
        for contact_id, reference in session.execute(
                select(Contact.id, Contact.source_reference)):
            stored[reference].append(str(contact_id))
        children = dict(session.execute(
            select(ContactChild.contact_id, func.count()).group_by(ContactChild.contact_id)).all())
        child_of = dict(session.execute(select(ContactChild.contact_id, ContactChild.child_id)).all())
        consents = dict(session.execute(
            select(ConsentRecord.contact_id, func.count()).group_by(ConsentRecord.contact_id)).all())
        events = Counter()
        for action, entity_id in session.execute(
                select(AuditEvent.action, AuditEvent.entity_id).where(AuditEvent.seq > site.setup_events)):
            events[(action, entity_id)] += 1
        decisions = [str(d) for d in session.scalars(select(Decision.id))]
        split = _split_writes() if session.get_bind().dialect.name == "postgresql" else []
        verification = audit.verify()
        session.remove()
    app.extensions["db"].engine.dispose()
    children = {str(k): v for k, v in children.items()}
    consents = {str(k): v for k, v in consents.items()}
    child_of = {str(k): str(v) for k, v in child_of.items()}

    for reference, transactions in split:
        problems.append(f"{reference}: written by {transactions} transactions, not one")
    load_contacts = {ref: ids for ref, ids in stored.items() if ref and ref.startswith(REF_PREFIX)}
    if set(stored) - set(load_contacts):
        problems.append(f"contacts nobody sent: {sorted(set(stored) - set(load_contacts))[:5]}")
    for reference, ids in load_contacts.items():
        if len(ids) > 1:
            problems.append(f"{reference} stored {len(ids)} times")
        if reference not in sent:
            problems.append(f"{reference} stored but never sent")
    for reference, ids in acknowledged.items():
        if reference not in load_contacts:
            problems.append(f"{reference} acknowledged ({sorted(ids)}) but not stored")
        elif set(load_contacts[reference]) != ids:
            problems.append(f"{reference} acknowledged as {sorted(ids)}, stored as "
                            f"{load_contacts[reference]}")
    landed_unacknowledged = sorted(set(load_contacts) - set(acknowledged))
    if landed_unacknowledged and not crashed:
        problems.append(f"{len(landed_unacknowledged)} contacts stored though never acknowledged")

    # No partial records: each contact with its one child, its consent, and its audit events.
    for reference, ids in load_contacts.items():
        for contact_id in ids:
            if children.get(contact_id) != 1 or consents.get(contact_id) != 1:
                problems.append(f"{reference}: {children.get(contact_id, 0)} children and "
                                f"{consents.get(contact_id, 0)} consent records (expected 1 and 1)")
            if events[("contact.recorded", contact_id)] != 1:
                problems.append(f"{reference}: {events[('contact.recorded', contact_id)]} "
                                "contact.recorded events (expected 1)")
            if events[("child.recorded", child_of.get(contact_id))] != 1:
                problems.append(f"{reference}: its child has no child.recorded event")
    for decision_id in decisions:
        if events[("decision.recorded", decision_id)] != 1:
            problems.append(f"decision {decision_id} without its decision.recorded event")
    missing_decisions = decided - set(decisions)
    if missing_decisions:
        problems.append(f"{len(missing_decisions)} acknowledged decisions not stored")
    if not crashed and set(decisions) - decided:
        problems.append(f"{len(set(decisions) - decided)} decisions stored though never acknowledged")

    # The writes made: a new contact records contact.recorded and child.recorded (its child is
    # new), a decision (always its contact's first) decision.recorded and contact.decided; a
    # replay, a 409 and a read record none.
    stored_contacts = sum(len(ids) for ids in load_contacts.values())
    if crashed:
        writes = 2 * stored_contacts + 2 * len(decisions)
    else:
        writes = 2 * len(acknowledged) + 2 * len(decided)
    by_action = Counter(action for action, _entity in events.elements())
    if by_action["contact.decided"] != by_action["decision.recorded"]:
        problems.append(f"{by_action['decision.recorded']} decisions but "
                        f"{by_action['contact.decided']} contact.decided events")
    other_actions = set(by_action) - {"contact.recorded", "child.recorded", "decision.recorded",
                                      "contact.decided"}
    if other_actions:
        problems.append(f"unexpected audit actions: {sorted(other_actions)}")
    if not verification.valid:
        problems.append(f"audit chain broken at seq {verification.first_bad_seq}")
    if verification.length != site.setup_events + writes:
        problems.append(f"audit chain has {verification.length} events; expected "
                        f"{site.setup_events} from setup + {writes} writes")
    facts = {
        "requests": len(attempts),
        "statuses": {f"{op} {status}": n for (op, status), n in sorted(statuses.items(), key=str)},
        "contacts_sent": len(sent),
        "contacts_acknowledged": len(acknowledged),
        "contacts_stored": stored_contacts,
        "stored_not_acknowledged": len(landed_unacknowledged),
        "replayed_answers": sum(1 for a in attempts if a.get("replayed")),
        "in_progress_409": statuses[("contact", 409)],
        "decisions_acknowledged": len(decided),
        "decisions_stored": len(decisions),
        "dropped_connections": len(dropped),
        "chain_length": verification.length,
        "chain_valid": verification.valid,
        "writes_expected": site.setup_events + writes,
    }
    return problems, facts


def _split_writes():
    """PostgreSQL: the contacts whose first rows (child links, first consent record, the
    contact.recorded event) were not all written by one transaction (their xmin), so a crash
    between two commits could have split them. (The contact row itself is left out: a decision
    updates it, which gives it a new xmin.)"""
    from sqlalchemy import text

    from api.db import session

    return session.execute(text("""
        SELECT c.source_reference, COUNT(DISTINCT x.xid) AS transactions
        FROM contacts c
        JOIN (
            SELECT contact_id, xmin::text AS xid FROM contact_children
            UNION ALL SELECT contact_id, xmin::text FROM consent_records
            UNION ALL SELECT CAST(entity_id AS uuid), xmin::text FROM audit_events
                WHERE action = 'contact.recorded'
        ) x ON x.contact_id = c.id
        GROUP BY c.id, c.source_reference
        HAVING COUNT(DISTINCT x.xid) > 1
    """)).all()


def nothing_lost(site, seconds, workers=2, kill_every=None, env=None, log_dir=None, seed=1,
                 preload=False):
    """One run: serve, drive, stop, check. Returns (problems, facts).

    preload: gunicorn imports the app once and forks workers from it, so a killed worker's
    replacement serves at once and a short run can kill many (request handling is unchanged)."""
    with Gunicorn("wsgi:app", site.server_env(env), workers, log_dir, preload) as server:
        run = drive(site, server, seconds, kill_every=kill_every, seed=seed)
    problems, facts = check_records(site, run["attempts"], crashed=bool(kill_every))
    facts["kills"] = len(run["kills"])
    facts["kills_in_commit"] = sum(1 for kill in run["kills"] if kill["in_commit"])
    facts["worker_boot_seconds"] = round(server.boot_seconds, 1)
    facts["client_cpu_seconds"] = round(run["client_cpu"], 2)
    if kill_every and not run["kills"]:
        problems.append("no worker was killed")
    return problems, facts


# ---- speed ------------------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(server, method, paths, tokens, body_of, concurrency, seconds):
    """One phase: `concurrency` closed-loop clients for `seconds`. Raw counts (see summarise)."""
    workers = server.worker_pids()
    server_cpu_before = sum(process_cpu_seconds(pid) for pid in workers)
    busy_before, total_before = machine_busy_jiffies()
    load_before = os.getloadavg()
    start_at = time.time() + 1.5
    targets = [(speed_client, (server.port, method, paths[n::concurrency] or paths, tokens[n],
                               body_of(n) if body_of else None, start_at, seconds))
               for n in range(concurrency)]
    results = run_processes(targets, timeout=seconds + 120)
    busy_after, total_after = machine_busy_jiffies()
    statuses = Counter()
    for result in results:
        statuses.update(result["statuses"])
    clock_ticks = os.sysconf("SC_CLK_TCK")
    return {
        "seconds": seconds,
        "latencies": [value for result in results for value in result["latencies"]],
        "statuses": statuses,
        "ids": [i for r in results for i in r["ids"]],
        "server_cpu": sum(process_cpu_seconds(pid) for pid in workers) - server_cpu_before,
        "client_cpu": sum(r["cpu"] for r in results),
        "wall_cpu": (total_after - total_before) / clock_ticks,  # CPU-seconds on all cores
        "busy": (busy_after - busy_before) / clock_ticks,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }


def summarise(label, phases):
    """One row from one endpoint's phases: rps of 2xx answers over their seconds, p50/p99 of all
    their answers, CPU use."""
    seconds = sum(phase["seconds"] for phase in phases)
    latencies = [value for phase in phases for value in phase["latencies"]]
    statuses = Counter()
    for phase in phases:
        statuses.update(phase["statuses"])
    ok = sum(n for status, n in statuses.items() if isinstance(status, int) and 200 <= status < 300)
    wall_cpu = sum(phase["wall_cpu"] for phase in phases)
    server_cpu = sum(phase["server_cpu"] for phase in phases)
    client_cpu = sum(phase["client_cpu"] for phase in phases)
    busy = sum(phase["busy"] for phase in phases)
    return {
        "label": label,
        "rps": ok / seconds,
        "rps_by_phase": [
            sum(n for status, n in phase["statuses"].items()
                if isinstance(status, int) and 200 <= status < 300) / phase["seconds"]
            for phase in phases
        ],
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "requests": len(latencies),
        "statuses": {str(k): v for k, v in statuses.items()},
        "ids": [i for phase in phases for i in phase["ids"]],
        # Shares of the machine's CPU over the phases: the server's workers, the load generator,
        # and everything else (the database server for PostgreSQL, and other sessions).
        "server_cpu_share": server_cpu / wall_cpu if wall_cpu else 0,
        "client_cpu_share": client_cpu / wall_cpu if wall_cpu else 0,
        "machine_busy_share": busy / wall_cpu if wall_cpu else 0,
        "client_cpu_ms_per_request": 1000 * client_cpu / max(1, len(latencies)),
        # What one request costs the server's workers, whatever else shares the machine.
        "server_cpu_ms_per_request": 1000 * server_cpu / max(1, len(latencies)),
        "loadavg_before": phases[0]["loadavg_before"],
        "loadavg_after": phases[-1]["loadavg_after"],
    }


# What the issue asks of the app, against the same-work baseline (bench/same_work.py), at
# --concurrency (8) and one request at a time on an idle server.
TARGETS = {
    "post_share": 0.85, "post_p99_ms": 40.0,
    "get_share": 0.85, "get_p99_ms": 20.0,
    "idle_post_p50_ms": 8.0, "idle_get_p50_ms": 4.0,
}
# speed()'s rows: the app, the same-work baseline and the bare one-row baseline under load; the
# app and the same-work baseline one request at a time; and the agencies read for scale.
SPEED_ROWS = {
    "post": "POST /api/v1/contacts",
    "same_post": "POST same-work",
    "bare_post": "POST /bare (one-row insert)",
    "get": "GET /api/v1/contacts/{id}",
    "same_get": "GET same-work",
    "bare_get": "GET /bare/{id} (one-row read)",
    "floor": "GET /api/v1/agencies (for scale)",
    "idle_post": "POST /api/v1/contacts, one at a time",
    "same_idle_post": "POST same-work, one at a time",
    "idle_get": "GET /api/v1/contacts/{id}, one at a time",
    "same_idle_get": "GET same-work, one at a time",
}


def speed(site, concurrency=8, seconds=15, workers=2, env=None, log_dir=None, rounds=4,
          idle_seconds=10):
    """The API's POST and GET of a contact against the same-work baseline (bench/same_work.py:
    the same rows written and read by hand, in one transaction) and the bare one-row insert and
    read (bench/bare.py), all served the same way. Returns {SPEED_ROWS key: summarise() row}.

    The three servers are up for the whole measurement, and each endpoint's `seconds` are split
    into `rounds` phases taken in turn with its baselines' (app, same-work, bare; then bare,
    same-work, app; ...), so that a machine whose speed drifts over the minutes of a run (a
    shared virtual machine's does, by half) slows every side of a ratio alike. An even number of
    rounds puts each server at the same mean place in the order (an odd one leaves the same-work
    baseline in the middle every time and the app at the ends). Then the app and the same-work
    baseline one request at a time (`idle_seconds` each, in the same rounds)."""
    from bench.bare import create_table
    from bench.same_work import PREFIX

    own = [site.tokens[name] for name in site.names("load-speed-")]
    tokens = [own[n % len(own)] for n in range(concurrency)]
    run_id = uuid.uuid4().hex[:6]
    each, idle_each = seconds / rounds, idle_seconds / rounds
    create_table(site.url)
    baseline_env = {"DATABASE_URL": site.url, **(env or {})}
    phases = defaultdict(list)
    with Gunicorn("wsgi:app", site.server_env(env), workers, log_dir) as app, \
            Gunicorn("bench.same_work:app", baseline_env, workers, log_dir) as same, \
            Gunicorn("bench.bare:app", baseline_env, workers, log_dir) as bare:

        def in_turn(round_number, *measurements):
            for name, run in (measurements if round_number % 2 == 0 else measurements[::-1]):
                phases[name].append(run())

        def posts(server, path, prefix, clients=concurrency, phase_seconds=each, kind="contact"):
            return lambda: measure(server, "POST", [path], tokens[:clients],
                                   lambda n: SpeedBody(kind, f"{prefix}-{n}"), clients,
                                   phase_seconds)

        def reads(server, paths, clients=concurrency, phase_seconds=each):
            return lambda: measure(server, "GET", paths, tokens[:clients], None, clients,
                                   phase_seconds)

        def ids_of(*names):
            found = [i for name in names for phase in phases[name] for i in phase["ids"]]
            return found or ["00000000-0000-0000-0000-000000000000"]

        app_contacts, same_contacts = f"{API}/contacts", f"{PREFIX}/contacts"
        for r in range(rounds):
            in_turn(r, ("post", posts(app, app_contacts, f"{REF_PREFIX}speed-{run_id}-{r}")),
                    ("same_post", posts(same, same_contacts, f"{REF_PREFIX}same-{run_id}-{r}")),
                    ("bare_post", posts(bare, "/bare", f"{r}", kind="bare")))
        app_paths = [f"{app_contacts}/{i}" for i in ids_of("post")]
        same_paths = [f"{same_contacts}/{i}" for i in ids_of("same_post")]
        bare_paths = [f"/bare/{i}" for i in ids_of("bare_post")]
        for r in range(rounds):
            in_turn(r, ("get", reads(app, app_paths)), ("same_get", reads(same, same_paths)),
                    ("bare_get", reads(bare, bare_paths)))
            # For scale, not a target: an authenticated read of reference data (token, account
            # check, rate limit, one query of 23 rows, no access log): what the stack costs a
            # route that does almost nothing.
            phases["floor"].append(reads(app, [f"{API}/agencies"])())
        # One request at a time on a server otherwise idle: a request's own latency.
        for r in range(rounds):
            in_turn(r, ("idle_post", posts(app, app_contacts, f"{REF_PREFIX}idle-{run_id}-{r}",
                                           1, idle_each)),
                    ("same_idle_post", posts(same, same_contacts,
                                             f"{REF_PREFIX}same-idle-{run_id}-{r}", 1, idle_each)))
        for r in range(rounds):
            in_turn(r, ("idle_get", reads(app, app_paths, 1, idle_each)),
                    ("same_idle_get", reads(same, same_paths, 1, idle_each)))
    return {name: summarise(label, phases[name]) for name, label in SPEED_ROWS.items()}


def verdicts(rows, concurrency=8):
    """The issue's targets against speed()'s rows: [(what, figure, target, met)]."""
    def share(app, baseline):
        return rows[app]["rps"] / rows[baseline]["rps"] if rows[baseline]["rps"] else 0.0

    post_share, get_share = share("post", "same_post"), share("get", "same_get")
    t = TARGETS
    # A NaN (no answers at all) compares False: missed.
    return [
        ("POST, share of the same-work baseline", f"{post_share:.0%}",
         f">= {t['post_share']:.0%}", post_share >= t["post_share"]),
        (f"POST p99 at concurrency {concurrency}", f"{rows['post']['p99_ms']:.1f} ms",
         f"< {t['post_p99_ms']:g} ms", rows["post"]["p99_ms"] < t["post_p99_ms"]),
        ("GET, share of the same-work baseline", f"{get_share:.0%}",
         f">= {t['get_share']:.0%}", get_share >= t["get_share"]),
        (f"GET p99 at concurrency {concurrency}", f"{rows['get']['p99_ms']:.1f} ms",
         f"< {t['get_p99_ms']:g} ms", rows["get"]["p99_ms"] < t["get_p99_ms"]),
        ("POST p50, one request at a time", f"{rows['idle_post']['p50_ms']:.1f} ms",
         f"< {t['idle_post_p50_ms']:g} ms", rows["idle_post"]["p50_ms"] < t["idle_post_p50_ms"]),
        ("GET p50, one request at a time", f"{rows['idle_get']['p50_ms']:.1f} ms",
         f"< {t['idle_get_p50_ms']:g} ms", rows["idle_get"]["p50_ms"] < t["idle_get_p50_ms"]),
    ]


# ---- the same work: what each server's speed requests left in the database ---------------------

# The rows one answered request leaves, whichever server answered it: a contact about one new
# child (bench/load.py's bodies, each with a fresh Idempotency-Key), and a read of it by the
# agency client that sent it (its access event names the contact and the child).
ROWS_PER_POST = {
    "contacts": 1, "children": 1, "contact-child links": 1, "consent records": 1,
    "audit events child.recorded": 1, "audit events contact.recorded": 1,
    "idempotency records with their response": 1,
}
ROWS_PER_READ = {"access events": 1, "access event records": 2}


def expected_rows(posts, reads):
    """The rows `posts` answered contacts and `reads` answered reads must have left."""
    return {**{name: n * posts for name, n in ROWS_PER_POST.items()},
            **{name: n * reads for name, n in ROWS_PER_READ.items()}}


def work_problems(label, expected, counted):
    """Each kind of row whose count differs from what the answers imply (fewer: work skipped;
    more: work the answers do not show), and any kind of row not expected at all."""
    problems = [f"{label}: {counted.get(name, 0)} {name}, expected {n}"
                for name, n in expected.items() if counted.get(name, 0) != n]
    problems += [f"{label}: {n} {name}, expected none" for name, n in counted.items()
                 if name not in expected and n]
    return problems


def answered(row):
    """The 2xx answers of a summarise() row."""
    return sum(n for status, n in row["statuses"].items() if status.startswith("2"))


_WORK_COUNTS = {
    "contacts": "SELECT COUNT(*) FROM contacts WHERE recorded_by_sub IN :subs",
    "children": "SELECT COUNT(DISTINCT l.child_id) FROM contact_children l "
                "JOIN contacts c ON c.id = l.contact_id WHERE c.recorded_by_sub IN :subs",
    "contact-child links": "SELECT COUNT(*) FROM contact_children l "
                           "JOIN contacts c ON c.id = l.contact_id WHERE c.recorded_by_sub IN :subs",
    "consent records": "SELECT COUNT(*) FROM consent_records r "
                       "JOIN contacts c ON c.id = r.contact_id WHERE c.recorded_by_sub IN :subs",
    "idempotency records with their response":
        "SELECT COUNT(*) FROM idempotency_records WHERE scope IN :subs "
        "AND state = 'completed' AND response_body IS NOT NULL",
    "access events": "SELECT COUNT(*) FROM access_events WHERE actor_sub IN :subs "
                     "AND entity_type = 'contact' AND status = 200",
    "access event records": "SELECT COUNT(*) FROM access_event_records r "
                            "JOIN access_events e ON e.id = r.event_id WHERE e.actor_sub IN :subs "
                            "AND e.entity_type = 'contact' AND e.status = 200",
}


def count_work(session, subs):
    """The rows the callers `subs` left: ROWS_PER_POST's and ROWS_PER_READ's kinds, and their
    audit events by action."""
    from sqlalchemy import bindparam, text

    def run(sql):
        return session.execute(text(sql).bindparams(bindparam("subs", expanding=True)),
                               {"subs": list(subs)})

    counted = {name: run(sql).scalar() for name, sql in _WORK_COUNTS.items()}
    for action, n in run("SELECT action, COUNT(*) FROM audit_events WHERE actor_sub IN :subs "
                         "GROUP BY action"):
        counted[f"audit events {action}"] = n
    return counted


def check_same_work(site, rows):
    """After speed(): did the same-work baseline (and the app, by the same measure) leave the
    rows its answers imply, and does the whole audit chain verify, as long as the setup's events
    and theirs? Returns (problems, facts)."""
    from api import audit, create_app
    from api.db import session
    from bench.same_work import SAME_WORK_ACTOR

    sides = {
        "app": (site.names("load-speed-"), ("post", "idle_post"), ("get", "idle_get")),
        "same-work": ([SAME_WORK_ACTOR["sub"]], ("same_post", "same_idle_post"),
                      ("same_get", "same_idle_get")),
    }
    app = create_app(app_config(site.url, site.private_key, site.public_key))
    problems, facts, events = [], {}, 0
    with app.app_context():
        for label, (subs, post_rows, read_rows) in sides.items():
            posts = sum(answered(rows[name]) for name in post_rows)
            reads = sum(answered(rows[name]) for name in read_rows)
            counted = count_work(session, subs)
            problems += work_problems(label, expected_rows(posts, reads), counted)
            events += sum(n for name, n in counted.items() if name.startswith("audit events"))
            facts[label] = {"posts answered": posts, "reads answered": reads, **counted}
        verification = audit.verify()
        session.remove()
    app.extensions["db"].engine.dispose()
    if not verification.valid:
        problems.append(f"audit chain broken at seq {verification.first_bad_seq}")
    if verification.length != site.setup_events + events:
        problems.append(f"audit chain has {verification.length} events; expected "
                        f"{site.setup_events} from setup + {events} from the speed requests")
    facts["chain"] = {"length": verification.length, "valid": verification.valid}
    return problems, facts


# ---- the command ------------------------------------------------------------------------------


def _default_url(engine):
    if engine == "sqlite":
        return f"sqlite:///{ROOT / 'instance' / 'bench' / 'mash-load.db'}"
    raise SystemExit("--engine postgresql needs --url (a database whose name contains bench or load)")


def _by_round(row, baseline):
    return ", ".join(f"{mine / theirs:.0%}" if theirs else "-"
                     for mine, theirs in zip(row["rps_by_phase"], baseline["rps_by_phase"]))


def _share(row, baseline):
    return f"{row['rps'] / baseline['rps']:.0%}" if baseline["rps"] else "-"


def _print_speed(rows, ratios):
    print(f"  {'':42} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
          f"{'server':>7} {'client':>7} {'machine':>8} {'cli ms/req':>10} {'srv ms/req':>10} load before/after")
    for row in rows:
        bad = sum(v for k, v in row["statuses"].items() if not k.startswith("2"))
        print(f"  {row['label']:42} {row['rps']:8.1f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
              f"{bad:8d} {row['server_cpu_share']:7.0%} {row['client_cpu_share']:7.0%} "
              f"{row['machine_busy_share']:8.0%} {row['client_cpu_ms_per_request']:10.2f} "
              f"{row['server_cpu_ms_per_request']:10.2f} "
              f"{row['loadavg_before'][0]:.2f}/{row['loadavg_after'][0]:.2f}")
    for name, value in ratios.items():
        print(f"  {name}: {value}")


def speed_ratios(rows):
    """Both ratios per endpoint (app / same-work, app / bare one-row), by round too, and the
    server CPU per request of each side."""
    cpu = {name: row["server_cpu_ms_per_request"] for name, row in rows.items()}
    ratios = {}
    for method, app, same, bare in (("POST", "post", "same_post", "bare_post"),
                                    ("GET", "get", "same_get", "bare_get")):
        ratios[f"{method} app / same-work"] = (
            f"{_share(rows[app], rows[same])} (rounds {_by_round(rows[app], rows[same])}); "
            f"p50/p99 app {rows[app]['p50_ms']:.1f}/{rows[app]['p99_ms']:.1f} ms, "
            f"same-work {rows[same]['p50_ms']:.1f}/{rows[same]['p99_ms']:.1f} ms")
        ratios[f"{method} app / bare one-row"] = (
            f"{_share(rows[app], rows[bare])} (rounds {_by_round(rows[app], rows[bare])}); "
            f"bare p50/p99 {rows[bare]['p50_ms']:.1f}/{rows[bare]['p99_ms']:.1f} ms")
        ratios[f"{method} server CPU per request, app / same-work / bare"] = (
            f"{cpu[app]:.1f} / {cpu[same]:.1f} / {cpu[bare]:.1f} ms")
        idle, same_idle = f"idle_{app}", f"same_idle_{app}"
        ratios[f"{method} one at a time, p50/p99"] = (
            f"app {rows[idle]['p50_ms']:.1f}/{rows[idle]['p99_ms']:.1f} ms, same-work "
            f"{rows[same_idle]['p50_ms']:.1f}/{rows[same_idle]['p99_ms']:.1f} ms")
    ratios["for scale, GET agencies / bare read"] = (
        f"{_share(rows['floor'], rows['bare_get'])}, "
        f"{rows['floor']['server_cpu_ms_per_request']:.1f} ms server CPU per request")
    return ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="database URL (PostgreSQL: its name must contain bench or load)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (make run: 2)")
    parser.add_argument("--seconds", type=float, default=20, help="each nothing-lost run")
    parser.add_argument("--kill-every", type=float, default=2.0,
                        help="seconds between SIGKILLs in the crash run")
    parser.add_argument("--partners", type=int, default=6)
    parser.add_argument("--practitioners", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--speed-seconds", type=float, default=15,
                        help="each endpoint's measured seconds on each server, over all its rounds")
    parser.add_argument("--idle-seconds", type=float, default=10,
                        help="each endpoint's seconds one request at a time, over all its rounds")
    parser.add_argument("--rounds", type=int, default=4,
                        help="phases each endpoint's seconds are split into, in turn with its "
                        "baselines' (even: each server at the same mean place in the order)")
    parser.add_argument("--skip", choices=("nothing-lost", "speed"), action="append", default=[],
                        help="--skip nothing-lost: the speed part alone")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the servers (e.g. a raised rate limit)")
    args = parser.parse_args(argv)
    url = args.url or _default_url(args.engine)
    env = dict(item.split("=", 1) for item in args.env)
    log_dir = ROOT / "instance" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    failed = False
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, engine {args.engine}, {args.workers} gunicorn "
          f"workers, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")

    if "nothing-lost" not in args.skip:
        for label, kill_every in (("no crash", None), ("SIGKILL a worker", args.kill_every)):
            reset_database(url)
            site = Site(url, partners=args.partners, practitioners=args.practitioners,
                        speed_clients=args.concurrency)
            problems, facts = nothing_lost(site, args.seconds, args.workers, kill_every, env,
                                           log_dir)
            print(f"nothing lost, {label}: {'OK' if not problems else 'FAILED'}")
            print("  " + json.dumps(facts))
            for problem in problems[:20]:
                print(f"  PROBLEM: {problem}")
            failed |= bool(problems)

    if "speed" not in args.skip:
        reset_database(url)
        site = Site(url, partners=0, practitioners=0, speed_clients=args.concurrency)
        rows = speed(site, args.concurrency, args.speed_seconds, args.workers, env, log_dir,
                     args.rounds, args.idle_seconds)
        print(f"speed, concurrency {args.concurrency}, {args.speed_seconds:g} s each on each "
              f"server in {args.rounds} round(s), taken in turn (app, same-work, bare); one at a "
              f"time {args.idle_seconds:g} s each:")
        _print_speed(list(rows.values()), speed_ratios(rows))
        print("targets (app against the same-work baseline):")
        for what, figure, target, met in verdicts(rows, args.concurrency):
            print(f"  {what}: {figure} (target {target}) {'met' if met else 'MISSED'}")
        # A baseline that did less than the app would flatter neither ratio honestly.
        problems, facts = check_same_work(site, rows)
        print(f"same work (rows left by each server's answered requests): "
              f"{'OK' if not problems else 'FAILED'}")
        print("  " + json.dumps(facts))
        for problem in problems[:20]:
            print(f"  PROBLEM: {problem}")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
