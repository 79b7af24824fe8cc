"""The practitioners' console: its static pages and files, served under /console/ with the headers
a page needs. A plain Flask blueprint on the app, not on the Api, so it is no part of the API's
OpenAPI document; its pages talk to the API like any other client (console/js/api.js).

The console's packages (GOV.UK Frontend, and the stylesheet compiled from it: `make console`)
are not needed by the API: where they are not installed (an API-only deployment), the pages
answer 503 with a page saying so, and the API runs as ever.
"""

from html import escape

from flask import (
    Blueprint, Response, abort, current_app, jsonify, redirect, request, send_from_directory,
)

from .config import PROJECT_ROOT
from .declarations import Declaration, declare
from .errors import problem_response
from .issuers import IssuerUnavailable, console_issuer, origin

CONSOLE_DIR = PROJECT_ROOT / "console"
GOVUK_DIST = CONSOLE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"
# What the browser may fetch under /console/<folder>/...: the console's own scripts, its compiled
# stylesheet, GOV.UK Frontend's script and assets (images) from its package, and Chart.js's
# build (dist/chart.umd.min.js, loaded as a module: see console/js/figures.js) for the figures page.
FOLDERS = {
    "js": CONSOLE_DIR / "js",
    "css": CONSOLE_DIR / "build",
    "govuk": GOVUK_DIST,
    "chart": CONSOLE_DIR / "node_modules" / "chart.js" / "dist",
}
# The rule of the route that serves them (also named in tests/contract/test_access_matrix.py).
ASSET_RULE = f"/console/<any({', '.join(FOLDERS)}):folder>/<path:file>"
# Every page is the one shell (console/page.html: the GOV.UK template, the navigation, the sign-in
# panel) with its own title and script; the script builds the page from the API's answers.
# name (the path under /console/): (title, script in console/js/)
PAGES = {
    "": ("Front-door queue", "queue.js"),
    "contact": ("Contact", "contact.js"),
    "children": ("Find a child", "children.js"),
    "child": ("Child", "child.js"),
    "sign-off": ("Decisions awaiting sign-off", "sign-off.js"),
    "transitions": ("Step-up and step-down requests", "transitions.js"),
    "figures": ("Figures", "figures.js"),
    "audit": ("Audit", "audit.js"),
    "meeting": ("Strategy meeting", "meeting.js"),
    "meetings": ("Strategy meetings", "meetings.js"),
}
SHELL = CONSOLE_DIR / "page.html"

# No inline script or style, nothing from another origin, never framed. The pages fetch the API
# on the same origin (connect-src 'self'), and, when the console signs staff in with the council's
# identity provider, its token endpoint (the issuer's origin).


def content_security_policy(connect=()):
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        " ".join(("connect-src 'self'", *connect)),
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


CONTENT_SECURITY_POLICY = content_security_policy()

NOT_INSTALLED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Console not installed</title></head>
<body><main><h1>The console is not installed on this server</h1>
<p>This server answers the API (<code>/api/v1</code>) only. To serve the practitioners' console
as well, install its packages with <code>make console</code> (Node.js 20+ and npm: it runs
<code>npm ci</code> in <code>console/</code> and compiles its stylesheet), then restart.</p>
</main></body></html>
"""

# Pages and files hold no case data (that comes from the API, never cached): a browser keeps
# them and asks again whether they changed (ETag) before using them.
REVALIDATE = "public, no-cache"

blp = Blueprint("console", __name__)


def installed():
    return (CONSOLE_DIR / "build" / "console.css").is_file() and GOVUK_DIST.is_dir()


AXE = CONSOLE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def browser_test_packages_installed():
    """axe-core, which the browser tests run on every page (a development package: not served)."""
    return AXE.is_file()


def _public(view):
    # Outside the rate limits: a whole office behind one address loads these files on every page.
    return declare(view, Declaration(public=True, rate_limited=False))


@blp.after_request
def _page_headers(response):
    issuer = console_issuer(current_app)
    response.headers["Content-Security-Policy"] = (
        content_security_policy([origin(issuer.issuer)]) if issuer else CONTENT_SECURITY_POLICY)
    response.headers["X-Frame-Options"] = "DENY"  # frame-ancestors for older browsers
    if response.status_code in (200, 304) and response.headers.get("Cache-Control") != "no-store":
        response.headers["Cache-Control"] = REVALIDATE  # (the sign-in settings are never kept)
    return response


def _page(name):
    if not installed():
        return NOT_INSTALLED, 503, {"Content-Type": "text/html; charset=utf-8",
                                    "Cache-Control": "no-store", "Retry-After": "3600"}
    title, script = PAGES[name]
    html = (SHELL.read_text(encoding="utf-8")
            .replace("{{title}}", escape(title)).replace("{{script}}", escape(script)))
    response = Response(html, mimetype="text/html")
    response.add_etag()
    return response.make_conditional(request)


@blp.route("/")
def home():
    return redirect("/console/", 302)


def page(name):
    """A page of the console: the queue (and sign-in) at /console/, the others by name."""
    return _page(name)


for _name in PAGES:
    blp.add_url_rule(f"/console/{_name}", endpoint="page", view_func=page, defaults={"name": _name})


@blp.route(ASSET_RULE)
def asset(folder, file):
    if not FOLDERS[folder].is_dir():
        abort(404)
    return send_from_directory(FOLDERS[folder], file, max_age=None)


@blp.route("/console/sign-in.json")
def sign_in_settings():
    """How the console signs staff in: `local` (a username and password, POST /auth/token), or
    `oidc` with what its authorization code flow with PKCE needs of the council's provider (its
    endpoints from discovery, the console's client id and scope). Public: the browser asks before
    anyone has signed in; nothing in it is secret (the console is a public client)."""
    issuer = console_issuer(current_app)
    if issuer is None:
        settings = {"mode": "local"}
    else:
        try:
            document = issuer.discovery()
        except IssuerUnavailable:
            return problem_response(503, "The council's sign-in service cannot be reached; try "
                                    "again shortly.", headers={"Retry-After": "5"})
        config = current_app.config
        settings = {"mode": "oidc", "issuer": issuer.name,
                    "authorization_endpoint": document.get("authorization_endpoint"),
                    "token_endpoint": document.get("token_endpoint"),
                    "client_id": config["OIDC_CONSOLE_CLIENT_ID"],
                    "scope": config["OIDC_CONSOLE_SCOPE"]}
    response = jsonify(settings)
    response.headers["Cache-Control"] = "no-store"
    return response


for _view in (home, page, asset, sign_in_settings):
    _public(_view)
