"""create_app(config=None): wiring only (configuration, database, tokens, error handlers, the HTTP
edge, blueprints, rate limits, the access log and its sealer, CLI)."""

from flask import Flask

from . import (
    access, auth, cli, console, db, edge, errors, issuers, limits, logs, request_metrics, sealing,
    sign_in, webhooks,
)
from .config import Config
from .openapi import FrontDoorApi
from .routes import register as register_routes


def create_app(config=None):
    # An API serves no files: without this Flask adds an open /static/<path> route.
    app = Flask(__name__, static_folder=None)
    app.config.from_object(config or Config)
    app.json.sort_keys = False  # fields in the order the schemas declare them
    logs.init_app(app)  # first: its hooks wrap every other's

    db.init_app(app)
    auth.init_app(app)
    issuers.init_app(app)  # the council's identity providers, if any are configured
    webhooks.init_app(app)  # the key the partners' webhook secrets are kept encrypted with
    register_routes(FrontDoorApi(app))
    # The practitioners' console: static pages on the app, not on the Api (no part of its document).
    app.register_blueprint(console.blp)
    errors.register(app)  # after flask-smorest's, so ours builds every error body
    # Rate limits before anything reads the body or opens a transaction (each route's
    # transaction is begun by the route itself: api/routes, Blueprint.route).
    limiter = limits.init_app(app)
    sign_in.init_app(app, limiter)  # its counts in the database, or the limiter's shared storage
    edge.init_app(app)  # 413 and 415 before any route; the client's address behind proxies
    # Also after a refused read (401/403/404): those are the accesses most worth knowing about.
    app.after_request(access.record_access)
    request_metrics.init_app(app)  # every request counted and timed, by route (GET /metrics)
    cli.register(app)
    sealing.init_app(app)  # seals the access log every ACCESS_SEAL_SECONDS, requests or not
    return app
