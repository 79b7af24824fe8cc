"""create_app(config=None): configuration, database, tokens, error handlers, blueprints, CLI."""

import io

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access, auth, cli, db, errors, limits, logs
from .config import Config
from .openapi import FrontDoorApi
from .routes import register as register_routes

JSON_TYPES = ("application/json",)


def _is_chunked():
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _bound_chunked_body():
    """413 for a chunked body (no Content-Length) over MAX_CONTENT_LENGTH.

    Werkzeug stops reading such a body at the limit and hands on what it read as if the body
    ended there, so an over-long contact would arrive as truncated JSON (a 400). Read one byte
    past the limit here instead; the body read (at most the limit) is handed on as the stream.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    environ = request.environ
    if limit is None or not _is_chunked() or not environ.get("wsgi.input_terminated"):
        return
    body = bytearray()
    while len(body) <= limit:
        piece = environ["wsgi.input"].read(limit + 1 - len(body))
        if not piece:
            break
        body.extend(piece)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(bytes(body))


def _require_json_body():
    """415 for a body that is not JSON (an empty body is allowed: some POSTs take none)."""
    # A chunked body has no Content-Length, and is a body all the same.
    if request.method in ("POST", "PUT", "PATCH") and (request.content_length or _is_chunked()):
        mimetype = request.mimetype or ""
        if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
            return errors.problem_response(
                415, "Send the body as application/json.", title="Unsupported Media Type"
            )
    return None


def create_app(config=None):
    # An API serves no files: without this Flask adds an open /static/<path> route.
    app = Flask(__name__, static_folder=None)
    app.config.from_object(config or Config)
    app.json.sort_keys = False  # fields in the order the schemas declare them
    logs.init_app(app)  # first: its hooks wrap every other's

    db.init_app(app)
    auth.init_app(app)
    api = FrontDoorApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    register_routes(api)
    errors.register(app)  # after flask-smorest's, so ours builds every error body
    # Rate limits before anything reads the body or opens a transaction (each route's
    # transaction is begun by the route itself: api/routes, Blueprint.route).
    limits.init_app(app)
    app.before_request(_bound_chunked_body)
    app.before_request(_require_json_body)
    # Also after a refused read (401/403/404): those are the accesses most worth knowing about.
    app.after_request(access.record_access)
    cli.register(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app):
    """Behind TRUSTED_PROXY_HOPS reverse proxies, the client's address (and scheme, host) is the
    one the nearest proxies appended to X-Forwarded-*; entries further left, which the client
    could have written itself, are not believed."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops < 0:
        raise ValueError(f"TRUSTED_PROXY_HOPS must be 0 or more, not {hops}")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
