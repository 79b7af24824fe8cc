"""The production stack (deploy/), brought up by the README's own deployment steps and probed: two
app servers (gunicorn, deploy/gunicorn.conf.py) on one database, behind one nginx
(deploy/nginx.conf.template), with the rate-limit counts in Redis.

The steps are the block of README.md's "Deployment" section, run as written (bash), with the
variables it names set here. Needs Debian's nginx and redis-server (CI installs them; `make
deploy-check` runs these tests alone). On PostgreSQL, the migrations run as the owner role and the
servers as the app's role, as production has them."""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from cryptography.fernet import Fernet

from api.keys import generate_key_pair
from bench.load import Site, call, check_records, drive, free_port
from tests.helpers import app_role_of, only_on, owner_url_for, own_database, wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin"
MARK = "<!-- deploy-steps"
API = "/api/v1"
TOKEN_LIMIT = 12  # failed sign-ins per address per hour, across every server (RATELIMIT_TOKEN)


def readme_steps():
    """The shell block that follows the deploy-steps mark in README.md, as written there."""
    text = (ROOT / "README.md").read_text()
    after = text[text.index(MARK):]
    block = after[after.index("```sh\n") + len("```sh\n"):]
    return block[:block.index("```")]


def _which(program):
    return shutil.which(program, path=f"{os.environ.get('PATH', '')}:{SBIN_PATH}")


def why_no_stack():
    missing = [program for program in ("nginx", "redis-server") if _which(program) is None]
    if missing:
        return (f"{' and '.join(missing)} not installed (Debian: apt-get install -y nginx-light "
                "redis-server); CI installs them")
    return None


@dataclass
class Stack:
    url: str
    owner_url: str | None
    app_role: str | None
    keys: tuple
    env: dict
    run_dir: Path
    nginx_port: int
    app_ports: list

    def pid(self, name):
        return int((self.run_dir / f"{name}.pid").read_text().split()[0])

    def log(self, name):
        path = self.run_dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self):
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.run_dir.glob("*.log")))


def _wait_ready(port, seconds=60):
    return wait_until(
        lambda: call(port, "GET", f"{API}/health/ready", timeout=5)["status"] == 200, seconds, 0.3)


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _stop(stack):
    for port in stack.app_ports:
        try:
            _signal(stack.pid(f"app-{port}"), signal.SIGTERM)
        except (OSError, ValueError):
            pass
    for name in ("jobs", "webhooks", "redis"):
        try:
            _signal(stack.pid(name), signal.SIGTERM)
        except (OSError, ValueError):
            pass
    subprocess.run([_which("nginx"), "-c", str(stack.run_dir / "nginx.conf"), "-s", "quit"],
                   capture_output=True, env=stack.env)
    wait_until(lambda: not any(
        (stack.run_dir / f"app-{port}.pid").exists() for port in stack.app_ports), 30)


@pytest.fixture(scope="module")
def stack(database_url, tmp_path_factory):
    why = why_no_stack()
    if why:
        pytest.skip(why)
    run_dir = tmp_path_factory.mktemp("stack")
    with own_database(database_url, run_dir, "deploy") as url:
        owner = owner_url_for(url)
        role = app_role_of(url)
        private_key, public_key = generate_key_pair()
        app_ports = [free_port(), free_port()]
        env = {
            **os.environ,
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}:{SBIN_PATH}",
            # The variables the README's steps name.
            "OWNER_URL": owner or url, "APP_ROLE": role or "", "RUN_DIR": str(run_dir),
            "APP_PORTS": " ".join(map(str, app_ports)), "REDIS_PORT": str(free_port()),
            "NGINX_PORT": str(free_port()), "NGINX_USER": "root" if os.geteuid() == 0 else "",
            # The servers' configuration and secrets (README, "The secrets, and where they go").
            "DATABASE_URL": url, "JWT_PRIVATE_KEY": private_key, "JWT_PUBLIC_KEY": public_key,
            "JWT_GENERATE_KEYS": "0", "TRUSTED_PROXY_HOPS": "1", "WEB_CONCURRENCY": "2",
            "WEBHOOK_SECRETS_KEY": Fernet.generate_key().decode(),
            "LOG_LEVEL": "WARNING", "LA_CODE": "999",
            "RATELIMIT_TOKEN": f"{TOKEN_LIMIT} per hour",
            "RATELIMIT_DEFAULT": "1000000 per minute", "RATELIMIT_WRITE": "1000000 per minute",
            # No access-log sealer: the load's check counts the chain's events exactly.
            "ACCESS_SEAL_SECONDS": "0",
        }
        env["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{env['REDIS_PORT']}/0"
        for name in ("TEST_DATABASE_URL", "TEST_MIGRATION_DATABASE_URL", "MIGRATION_DATABASE_URL",
                     "DATABASE_APP_ROLE", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        stack = Stack(url, owner, role, (private_key, public_key), env, run_dir,
                      int(env["NGINX_PORT"]), app_ports)
        try:
            steps = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_steps()], cwd=ROOT,
                                   env=env, capture_output=True, text=True, timeout=180)
            assert steps.returncode == 0, (steps.stdout[-3000:], steps.stderr[-3000:],
                                           stack.logs())
            for port in app_ports:
                assert _wait_ready(port), f"app server {port} not ready:\n{stack.logs()}"
            assert _wait_ready(stack.nginx_port), f"nginx not passing requests:\n{stack.logs()}"
            yield stack
        finally:
            _stop(stack)


# ---- it came up as the README says ------------------------------------------------------------


def test_the_workers_beside_the_servers_are_running(stack):
    for name in ("jobs", "webhooks"):
        pid = stack.pid(name)
        assert Path(f"/proc/{pid}").exists(), f"the {name} worker is not running:\n{stack.logs()}"


def test_each_server_is_ready_and_nginx_passes_requests_to_both(stack):
    for _ in range(6):
        assert call(stack.nginx_port, "GET", f"{API}/health/ready")["status"] == 200
    for port in stack.app_ports:
        ready = call(port, "GET", f"{API}/health/ready")
        assert ready["payload"]["rate_limit_storage"] == "ok", ready
        # nginx balanced the six over both: each server's access log has some.
        assert f"GET {API}/health/ready" in stack.log(f"app-{port}.log"), stack.logs()


@only_on("postgresql", "the app's role and the owner's are PostgreSQL's")
def test_the_app_role_owns_nothing_and_cannot_change_the_audit_trail(stack):
    assert stack.owner_url, "CI runs PostgreSQL with an owner role (TEST_MIGRATION_DATABASE_URL)"
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ProgrammingError

    engine = create_engine(stack.url)
    try:
        with engine.connect() as connection:
            with pytest.raises(ProgrammingError, match="permission denied"):
                connection.execute(text("UPDATE audit_events SET action = 'x'"))
    finally:
        engine.dispose()


# ---- slow clients --------------------------------------------------------------------------------


def _half_sent(port):
    """A connection that sends half its headers and goes quiet."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    return sock


def test_four_slow_clients_stall_an_app_server_alone_but_not_behind_nginx(stack):
    # The problem, straight at one app server (two sync workers): four half-sent requests hold
    # both workers, and the health check waits behind them.
    direct = [_half_sent(stack.app_ports[0]) for _ in range(4)]
    try:
        stalled = call(stack.app_ports[0], "GET", f"{API}/health", timeout=3)
    finally:
        for sock in direct:
            sock.close()
    assert stalled["status"] is None, stalled  # timed out: the stall the stack exists to stop

    # Through nginx: twice as many slow clients, and the health check answers at once.
    slow = [_half_sent(stack.nginx_port) for _ in range(8)]
    try:
        answers = [call(stack.nginx_port, "GET", f"{API}/health", timeout=3) for _ in range(4)]
    finally:
        for sock in slow:
            sock.close()
    assert [a["status"] for a in answers] == [200] * 4, answers
    assert max(a["latency"] for a in answers) < 1.0, answers
    assert _wait_ready(stack.app_ports[0])  # the direct server recovered once they went


# ---- one limit across both servers --------------------------------------------------------------


def test_a_limit_of_n_per_address_is_n_across_both_servers_and_all_their_workers(stack):
    statuses = []
    for _ in range(TOKEN_LIMIT + 8):
        # A different name each time: the per-name throttle never starts, only the per-address
        # limit (failed sign-ins from one address) counts.
        reply = call(stack.nginx_port, "POST", f"{API}/auth/token",
                     body={"client_id": f"nobody-{uuid.uuid4().hex[:8]}",
                           "client_secret": "wrong"})
        statuses.append(reply["status"])

    # Counted per process, 2 servers x 2 workers would have allowed up to 4 x N.
    assert statuses.count(401) == TOKEN_LIMIT, statuses
    assert statuses.count(429) == 8, statuses
    for port in stack.app_ports:
        assert f"POST {API}/auth/token" in stack.log(f"app-{port}.log")


# ---- nginx's own answers ------------------------------------------------------------------------


def _raw(port, method, path, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _assert_problem(status, headers, body, expected):
    import json

    assert status == expected, (status, body[:300])
    assert headers["Content-Type"] == "application/problem+json", headers
    problem = json.loads(body)
    assert problem["status"] == expected and problem["title"] and problem["detail"], problem
    assert headers["X-Content-Type-Options"] == "nosniff", headers
    assert headers["X-Frame-Options"] == "DENY", headers
    return problem


@pytest.mark.parametrize("case", ["414 request line", "431 header", "413 body", "404 metrics"])
def test_nginx_answers_its_own_errors_as_problem_json(stack, case):
    port = stack.nginx_port
    answer = {
        "414 request line": lambda: _raw(port, "GET", f"{API}/contacts?q=" + "a" * 10_000),
        "431 header": lambda: _raw(port, "GET", f"{API}/health", {"X-Big": "a" * 10_000}),
        "413 body": lambda: _raw(port, "POST", f"{API}/contacts",
                                 {"Content-Type": "application/json"}, b"[" + b" " * 300_000 + b"]"),
        "404 metrics": lambda: _raw(port, "GET", "/metrics"),
    }[case]()

    _assert_problem(*answer, int(case[:3]))


def test_nginx_with_no_app_server_answering_is_a_502_problem_saying_to_retry(stack, tmp_path):
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        from render_nginx import render
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(render(listen=f"127.0.0.1:{port}", apps=[f"127.0.0.1:{free_port()}"],
                             run_dir=tmp_path, log_dir=tmp_path,
                             user="root" if os.geteuid() == 0 else None))
    nginx = _which("nginx")
    subprocess.run([nginx, "-c", str(config)], check=True, capture_output=True)
    try:
        answers = []

        def answered():
            try:
                answers.append(_raw(port, "GET", f"{API}/health"))
            except OSError:
                return False
            return True

        assert wait_until(answered, 5, 0.1), "nginx did not start listening"
        status, headers, body = answers[-1]
        problem = _assert_problem(status, headers, body, 502)
        assert headers["Retry-After"] == "2" and "Idempotency-Key" in problem["detail"]
    finally:
        subprocess.run([nginx, "-c", str(config), "-s", "quit"], capture_output=True)


# ---- request metrics, summed over a server's workers ---------------------------------------------


def test_each_server_reports_its_request_metrics_summed_over_its_workers(stack):
    port = stack.app_ports[1]
    for _ in range(10):
        assert call(port, "GET", f"{API}/health")["status"] == 200

    text = _raw(port, "GET", "/metrics")[2].decode()
    lines = [line for line in text.splitlines()
             if line.startswith("mash_http_request_duration_seconds_count{")
             and f'url_rule="{API}/health"' in line and 'status="200"' in line]
    assert lines and float(lines[0].rsplit(" ", 1)[1]) >= 10, text[:2000]
    # Each worker writes its own figures: both have (multiprocess mode, PROMETHEUS_MULTIPROC_DIR).
    assert len(list((stack.run_dir / f"metrics-{port}").glob("*.db"))) >= 2


# ---- nothing lost with a server killed (last: it leaves one server) ------------------------------


def test_a_load_through_nginx_with_a_server_killed_mid_run_loses_and_duplicates_nothing(stack):
    with mock.patch("api.keys.generate_key_pair", return_value=stack.keys):
        site = Site(stack.url, partners=5, practitioners=2, speed_clients=0,
                    migration_url=stack.owner_url, app_role=stack.app_role)
    victim = stack.app_ports[1]
    master = stack.pid(f"app-{victim}")
    killed = []

    def kill_a_server():
        # Mid-run: once the load has recorded 30 contacts (of the few hundred it makes).
        from sqlalchemy import create_engine, text

        engine = create_engine(stack.url)

        def recorded():
            with engine.connect() as connection:
                return connection.scalar(text("SELECT count(*) FROM contacts"))

        try:
            wait_until(lambda: recorded() >= 30, 30)
        finally:
            engine.dispose()
        for pid in [*_children(master), master]:
            _signal(pid, signal.SIGKILL)
        killed.append(time.time())

    killer = threading.Thread(target=kill_a_server, daemon=True)
    killer.start()
    run = drive(site, SimpleNamespace(port=stack.nginx_port), seconds=9, seed=5)
    killer.join()

    problems, facts = check_records(site, run["attempts"], crashed=True, gateway=True)
    print(f"stack load through nginx, a server killed: {facts}")  # shown with pytest -s
    assert problems == [], "\n".join([str(facts), *problems[:20]])
    assert killed and call(victim, "GET", f"{API}/health", timeout=2)["status"] is None
    assert facts["contacts_acknowledged"] >= 20, facts
    assert facts["decisions_acknowledged"] >= 1, facts
    assert facts["chain_valid"], facts
