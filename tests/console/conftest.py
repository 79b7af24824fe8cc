"""The console in a real browser: the app served by gunicorn on a free port (as `make run` serves
it) on a database of its own, migrated by the migrations, with the reference agencies and the
accounts the tests sign in with; Debian's Chromium driven by Playwright.

Every test module gets its own server and database (a module's SERVER_ENVIRONMENT, a dict, adds
to the server's environment: a council's other settings); every test its own browser context
(nothing in sessionStorage). Screenshots go to CONSOLE_SCREENSHOTS (default: a folder under the
test run's temporary directory), named by test and width.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api import console
from api.caller import system_actor
from api.config import system_clock
from api.db import session
from api.domain.accounts import create_account
from tests.helpers import (
    CHROMIUM, CHROMIUM_ARGS, PRIVATE_KEY, PUBLIC_KEY, build_app, own_database,
)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "console-test-password"
# name: (role, service)
ACCOUNTS = {
    "priya.mash": ("practitioner", "mash"),
    "mo.manager": ("manager", "mash"),
    "sam.social": ("manager", "social_care"),
    "eli.earlyhelp": ("practitioner", "early_help"),
    "ava.auditor": ("auditor", None),
    "ada.admin": ("admin", None),
}
# Partner agencies' systems, answering through the API (never the console): name: agency code.
CLIENTS = {
    "wmp-case-system": "wmp",
    "hilltop-gp-system": "hilltop-gp",
}
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(autouse=True)
def db():
    """Not the suite's rolled-back transaction: these tests read and write through the server."""
    yield None


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """The served app: its URL, and an HTTP client for setting up records as a practitioner."""

    def __init__(self, url, ids):
        self.url = url
        self.account_ids = ids
        self.http = httpx.Client(base_url=f"{url}/api/v1", timeout=30)
        self.tokens = {}

    def token(self, name):
        if name not in self.tokens:
            credentials = ({"client_id": name, "client_secret": PASSWORD} if name in CLIENTS
                           else {"username": name, "password": PASSWORD})
            answer = self.http.post("/auth/token", json=credentials)
            assert answer.status_code == 200, answer.text
            self.tokens[name] = answer.json()["access_token"]
        return self.tokens[name]

    def call(self, method, path, name="priya.mash", **kwargs):
        headers = {"Authorization": f"Bearer {self.token(name)}"}
        return self.http.request(method, path, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory, request):
    directory = tmp_path_factory.mktemp("console")
    with own_database(database_url, directory, "console") as url:
        app = build_app(url, clock=system_clock)
        with app.app_context():
            ids = {}
            for name, (role, service) in ACCOUNTS.items():
                account = create_account(system_actor("console-tests"), name=name, kind="person",
                                         secret=PASSWORD, role=role, service=service,
                                         display_name=name)
                session.flush()
                ids[name] = str(account.id)
            for name, agency in CLIENTS.items():
                create_account(system_actor("console-tests"), name=name, kind="client",
                               secret=PASSWORD, role="agency", agency=agency, display_name=name)
            session.commit()
            session.remove()
        app.extensions["db"].engine.dispose()

        port = _free_port()
        log_path = directory / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": url, "JWT_PRIVATE_KEY": PRIVATE_KEY,
               "JWT_PUBLIC_KEY": PUBLIC_KEY, "JWT_GENERATE_KEYS": "0", "LOG_LEVEL": "WARNING",
               "RATELIMIT_DEFAULT": "100000 per minute", "RATELIMIT_WRITE": "100000 per minute",
               **getattr(request.module, "SERVER_ENVIRONMENT", {})}
        with open(log_path, "ab") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                 "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError(f"gunicorn did not answer: {log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            served = Site(base, ids)
            yield served
            served.http.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


EXPECTED_ANSWER = re.compile(
    r"Failed to load resource: the server responded with a status of (401|409|422) ")


class Watched:
    """A page whose dialogs, console errors and uncaught exceptions are kept, to assert none."""

    def __init__(self, page):
        self.page = page
        self.dialogs, self.errors = [], []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message):
        # The API's 4xx answers the page handles (a refused sign-in, a 422) are logged by Chromium
        # as failed loads; anything else at error level (a script error, a CSP violation) counts.
        if message.type == "error" and not EXPECTED_ANSWER.match(message.text):
            self.errors.append(f"console: {message.text}")

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def watched(browser, site):
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Watched(page)
    context.close()


@pytest.fixture
def page(watched):
    return watched.page


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    folder = os.environ.get("CONSOLE_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("console-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def settled(page, frames=3):
    """Waits a few animation frames, for what redraws itself when the viewport changes to have done
    so: Chart.js resizes its canvas in the frame after its ResizeObserver sees the new width.
    Without it, a full-page screenshot taken at once may measure the page with the chart still at
    its old width (a 375 px screenshot 975 px wide)."""
    page.evaluate("""(frames) => new Promise((done) => {
        const next = (left) => (left ? requestAnimationFrame(() => next(left - 1)) : done());
        next(frames);
    })""", frames)


@pytest.fixture
def snap(screenshots, request):
    """snap(page, "queue"): full-page screenshots at a desktop width (1280) and a narrow one (375)."""

    def take(page, name):
        size = page.viewport_size
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            settled(page)
            page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)
        page.set_viewport_size(size)

    return take


@pytest.fixture(scope="session")
def axe_source():
    return console.AXE.read_text()


@pytest.fixture
def axe(axe_source):
    """axe(page, state): no WCAG 2.2 AA violation (axe-core) on the page as it is now.

    axe is evaluated through the DevTools protocol, as a test's own script, so the page's
    Content-Security-Policy (no inline script) stays as it is."""

    def check(page, state):
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(f"() => {{ {axe_source}\n; return true; }}")
        violations = page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                return result.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}));
            }""", WCAG_22_AA)
        assert violations == [], f"axe at WCAG 2.2 AA, {state}: {violations}"

    return check
