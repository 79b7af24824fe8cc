"""Rate limits per caller (Flask-Limiter), from configuration.

A caller is the subject of a valid bearer token: each API client and each person has its own
allowance, so one partner system flooding the front door does not slow another. A request with
no valid token (the token endpoint, mostly) is counted by its remote address. Counts live in
memory by default (one process, SweptMemoryStorage); set RATELIMIT_STORAGE_URI (e.g.
redis://host:6379/0) so several servers share them.
"""

import math
import time

from flask import current_app, request
from flask_jwt_extended import decode_token
from flask_limiter import Limit, Limiter
from limits.storage import MemoryStorage

from .errors import rate_limited

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
TOKEN_ENDPOINT = "auth.issue_token"


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage (memory://), with expired counts swept by the requests
    themselves, at most once every SWEEP_SECONDS, instead of by a timer thread.

    limits' own starts a new `threading.Timer(0.01)` whenever the last one has finished: under
    steady load a thread per request, which the request waits to see started. Which counts are
    live is unchanged: a count past its window is dropped when it is next read (limits does that
    in `get`); the sweep only frees the memory of callers who have gone quiet."""

    STORAGE_SCHEME = ["memory-swept"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one MemoryStorage starts on creation
        self._next_sweep = time.time() + self.SWEEP_SECONDS

    def _MemoryStorage__schedule_expiry(self):  # replaces MemoryStorage.__schedule_expiry
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()


def storage_uri(configured):
    """memory:// (the default) is kept by SweptMemoryStorage; any other URI is limits' own."""
    scheme, separator, rest = configured.partition("://")
    return f"memory-swept://{rest}" if separator and scheme == "memory" else configured


def unlimited(func):
    """Declare a route outside the rate limits (the health check: monitors poll it)."""
    func._rate_limit_exempt = True
    return func


def caller_key():
    """`sub:<subject>` for a request with a valid token, else `addr:<remote address>`. Worked out
    once per request (each limit asks)."""
    key = request.environ.get("mash.rate_limit_key")
    if key is None:
        key = request.environ["mash.rate_limit_key"] = _caller_of_token() or remote_address()
    return key


def _caller_of_token():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        # Verified, not just read: an unsigned token naming someone else must not spend that
        # someone's allowance.
        return f"sub:{decode_token(token.strip())['sub']}"
    except Exception:  # noqa: BLE001
        # Whatever makes a token unverifiable (the 401 comes later, from the route), its
        # request is counted by address: an error here must not let it skip the limits.
        return None


def remote_address():
    return f"addr:{request.remote_addr or 'unknown'}"


def _configured(name):
    return lambda: current_app.config[name]


def _exempt_route():
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "_rate_limit_exempt", False)


def _breached(request_limit):
    """on_breach: the 429 problem, saying when the caller's window opens again."""
    reset_time = request_limit.window[0]  # when the window ends (epoch seconds)
    retry_after = max(1, math.ceil(reset_time - time.time()))
    return rate_limited(str(request_limit.limit), retry_after)


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
            # Password and secret guessing: per remote address, whatever token comes with it.
            Limit(_configured("RATELIMIT_TOKEN"), key_function=remote_address, scope="token",
                  shared=True,
                  exempt_when=lambda: request.endpoint != TOKEN_ENDPOINT),
        ],
        on_breach=_breached,
        storage_uri=storage_uri(app.config["RATELIMIT_STORAGE_URI"]),
    )
    limiter.request_filter(_exempt_route)
    limiter.init_app(app)
    return limiter
