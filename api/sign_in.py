"""The per-account sign-in throttle: password and secret guessing against one name slows down
exponentially, shared by every worker, and never keeps the real user out for long.

The per-address limit (api/limits.py, RATELIMIT_TOKEN) cannot do this alone: it is counted per
process by default, it cannot tell one account's guesses from another's, and set low enough to
stop guessing it turns a flood into a lock-out of everyone behind the same address. So each name
a sign-in gives (a client_id or a username) has its own count of failures:

- the first SIGN_IN_FREE_FAILURES failures cost nothing; after each further one, no sign-in for
  that name is checked for SIGN_IN_BACKOFF_SECONDS, doubled each time (1, 2, 4, ... seconds), at
  most SIGN_IN_MAX_WAIT_SECONDS. Meanwhile every sign-in for the name is answered 429 with
  Retry-After, its secret not even checked, and it does not add to the count: a guesser gets
  exponentially fewer guesses, while the real user, once the flood stops, waits no longer than
  the cap and is then checked as ever;
- a successful sign-in forgets the failures; so does SIGN_IN_FORGET_SECONDS without one;
- a name that no account has is counted and made to wait exactly as one that has (and a right
  secret for a disabled account counts as a failure), so neither the answers nor the time they
  take say whether an account exists, or whether a disabled account's secret was right.

429, not 401, while a name waits: it says when to come back (a partner system's retry loop can
honour Retry-After), and it is the same for every name, known or not, so it tells a guesser
nothing but that they are being slowed down.

Where the counts live: the database (table sign_in_failures), which every worker shares, by
default; when RATELIMIT_STORAGE_URI names a shared store (redis://...), the rate limiter's own
storage (limits), so the throttle and the limits share one store and the database is spared.
"""

import hashlib
import hmac
import math
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .errors import DomainError
from .models import SignInFailures
from .timescales import now
from .transactions import appending_after_read

EXTENSION = "sign_in_throttle"


class SignInsWaiting(DomainError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, wait_seconds):
        super().__init__(
            "Too many failed sign-ins for this name: no sign-in for it is checked for "
            f"{wait_seconds} more seconds. The request changed nothing; retry after then.",
            headers={"Retry-After": str(wait_seconds)},
        )


def wait_after(failures, config):
    """Seconds a name waits after its `failures`-th failure in a row (0: none)."""
    over = failures - config["SIGN_IN_FREE_FAILURES"]
    if over <= 0:
        return 0
    # 2 ** over overflows nothing: the exponent is capped long before the wait is.
    return min(config["SIGN_IN_BACKOFF_SECONDS"] * 2 ** min(over - 1, 40),
               config["SIGN_IN_MAX_WAIT_SECONDS"])


def name_key(kind, name):
    """The name as the counts know it: a hash keyed by the app's signing key (no row or storage
    key holds a name, or a password typed in the name's box), the same in every worker."""
    secret = current_app.config["SIGN_IN_KEY"]
    return hmac.new(secret, f"{kind}\x00{name}".encode(), hashlib.sha256).hexdigest()


# ---- the counts in the database (the default) -------------------------------------------------

_TABLE = SignInFailures.__table__
_READ = select(_TABLE.c.blocked_until).where(_TABLE.c.name_hash == bindparam("key"))
_FORGET = delete(_TABLE).where(_TABLE.c.name_hash == bindparam("key"))
_BLOCK = (update(_TABLE).where(_TABLE.c.name_hash == bindparam("key"))
          .values(blocked_until=bindparam("until")))
_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class DatabaseCounts:
    """The counts in table sign_in_failures: read in the request's own transaction, written in
    one short transaction of their own (the token route is a read), atomically, so two workers
    failing the same name at once both count."""

    def wait_seconds(self, session, key):
        until = session.connection().execute(_READ, {"key": key}).scalar()
        if until is None:
            return 0
        return max(0, math.ceil((until - now()).total_seconds()))

    def record_failure(self, key, config):
        at = now()
        forget_before = at - timedelta(seconds=config["SIGN_IN_FORGET_SECONDS"])
        with appending_after_read() as writer:
            connection = writer.connection()
            upsert = _DIALECT_INSERT[connection.dialect.name](_TABLE).values(
                name_hash=key, failures=1, last_failure_at=at, blocked_until=None)
            excluded = upsert.excluded
            failures = connection.execute(upsert.on_conflict_do_update(
                index_elements=[_TABLE.c.name_hash],
                set_={
                    # Forgotten after a quiet spell: the count starts again.
                    "failures": case((_TABLE.c.last_failure_at < forget_before, 1),
                                     else_=_TABLE.c.failures + 1),
                    "last_failure_at": excluded.last_failure_at,
                },
            ).returning(_TABLE.c.failures)).scalar_one()
            wait = wait_after(failures, config)
            if wait:
                connection.execute(_BLOCK, {"key": key, "until": at + timedelta(seconds=wait)})

    def forget(self, session, key):
        if session.connection().execute(
                select(_TABLE.c.failures).where(_TABLE.c.name_hash == key)).first() is None:
            return  # the common case: nothing to forget, nothing to write
        with appending_after_read() as writer:
            writer.connection().execute(_FORGET, {"key": key})


# ---- the counts in the rate limiter's shared storage (redis://...) ----------------------------


class StorageCounts:
    """The counts in a limits storage (the rate limiter's, when it is shared): the failures under
    one key that expires SIGN_IN_FORGET_SECONDS after the first of them, the wait under another
    that expires when the wait ends."""

    def __init__(self, storage):
        self.storage = storage

    def wait_seconds(self, _session, key):
        waiting = f"sign-in/{key}/wait"
        if not self.storage.get(waiting):
            return 0
        return max(1, math.ceil(self.storage.get_expiry(waiting) - time.time()))

    def record_failure(self, key, config):
        failures = self.storage.incr(f"sign-in/{key}/failures", config["SIGN_IN_FORGET_SECONDS"])
        wait = wait_after(failures, config)
        if wait:
            self.storage.incr(f"sign-in/{key}/wait", math.ceil(wait))

    def forget(self, _session, key):
        if self.storage.get(f"sign-in/{key}/failures"):
            self.storage.clear(f"sign-in/{key}/failures")
            self.storage.clear(f"sign-in/{key}/wait")


# ---- what api/domain/accounts.py asks -------------------------------------------------------


def _counts():
    return current_app.extensions[EXTENSION]


def check_not_waiting(session, kind, name):
    """429 (SignInsWaiting) while the name waits; otherwise the name's key, for what follows."""
    key = name_key(kind, name)
    wait = _counts().wait_seconds(session, key)
    if wait > 0:
        raise SignInsWaiting(wait)
    return key


def record_failure(key):
    _counts().record_failure(key, current_app.config)


def forget_failures(session, key):
    _counts().forget(session, key)


def init_app(app, limiter):
    """The counts in the database, unless the rate limiter's storage is shared (not memory://).
    Names are hashed with a key drawn from the token signing key, which every worker has."""
    material = app.config["JWT_PRIVATE_KEY"] or app.config["JWT_PUBLIC_KEY"]
    app.config["SIGN_IN_KEY"] = hashlib.sha256(b"sign-in names\x00" + material.encode()).digest()
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        app.extensions[EXTENSION] = DatabaseCounts()
    else:
        app.extensions[EXTENSION] = StorageCounts(limiter.storage)
