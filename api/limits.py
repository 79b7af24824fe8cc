"""Rate limits per caller (Flask-Limiter), from configuration.

A caller is the subject of a valid bearer token: each API client and each person has its own
allowance, so one partner system flooding the front door does not slow another. A request with
no valid token (the token endpoint, mostly) is counted by its remote address. Counts live in
memory by default (one process: api/overrides.py, SweptMemoryStorage); set RATELIMIT_STORAGE_URI (e.g.
redis://host:6379/0) so several servers share them.
"""

import math
import time

from flask import current_app, request
from flask_limiter import Limit, Limiter

from .caller import current_caller
from .declarations import current_declaration
from .errors import rate_limited
from .overrides import storage_uri

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
TOKEN_ENDPOINT = "auth.issue_token"


def caller_key():
    """`sub:<subject>` for a request whose token's signature proves its subject (api/caller.py),
    else `addr:<remote address>`: an unsigned token naming someone else must not spend that
    someone's allowance, and a token that proves nothing does not escape the limits."""
    subject = current_caller().signed_subject
    return f"sub:{subject}" if subject is not None else remote_address()


def remote_address():
    return f"addr:{request.remote_addr or 'unknown'}"


def _configured(name):
    return lambda: current_app.config[name]


def _exempt_route():
    declaration = current_declaration()
    return declaration is not None and not declaration.rate_limited


def _breached(request_limit):
    """on_breach: the 429 problem, saying when the caller's window opens again."""
    reset_time = request_limit.window[0]  # when the window ends (epoch seconds)
    retry_after = max(1, math.ceil(reset_time - time.time()))
    return rate_limited(str(request_limit.limit), retry_after)


EXTENSION = "rate_limiter"


def storage_answers(app):
    """True when the counts' storage answers (Redis, when shared; memory always does)."""
    try:
        return bool(app.extensions[EXTENSION].storage.check())
    except Exception:  # noqa: BLE001 - any failure of the storage's client means "not ready"
        return False


def init_app(app):
    """One limiter per app (its counts are its own). Its check runs before the body is read and
    before any database work, so a refused request costs little and changes nothing."""
    limiter = Limiter(
        caller_key,
        # Shared limits: one count per caller across every route (not one per route).
        default_limits=[
            Limit(_configured("RATELIMIT_DEFAULT"), scope="all", shared=True),
            Limit(_configured("RATELIMIT_WRITE"), scope="write", shared=True,
                  methods=WRITE_METHODS),
            # Password and secret guessing: failed sign-ins per remote address, whatever token
            # comes with them (one guesser spraying many accounts). Only failures count, so the
            # colleagues who sign in behind one shared address do not spend the allowance; one
            # account's guessing is slowed by its own throttle (api/sign_in.py).
            Limit(_configured("RATELIMIT_TOKEN"), key_function=remote_address, scope="token",
                  shared=True,
                  exempt_when=lambda: request.endpoint != TOKEN_ENDPOINT,
                  deduct_when=lambda response: response.status_code != 200),
        ],
        on_breach=_breached,
        storage_uri=storage_uri(app.config["RATELIMIT_STORAGE_URI"]),
    )
    limiter.request_filter(_exempt_route)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter  # the readiness check asks its storage (api/routes/health.py)
    return limiter
