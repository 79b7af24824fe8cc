"""One configuration, read from the environment, with defaults a newcomer can run on."""

import os
from datetime import UTC, datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _int(name, default):
    return int(os.environ.get(name, default))


def _list(name, default):
    raw = os.environ.get(name)
    return [part.strip() for part in raw.split(",") if part.strip()] if raw else list(default)


def system_clock():
    return datetime.now(UTC)


class Config:
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'mash.db'}")
    # Where a development key pair is generated on first use when no key is configured.
    INSTANCE_DIR = INSTANCE_DIR

    # Tokens: asymmetric signatures only. Production passes PEM text (or a path) in the environment.
    JWT_ALGORITHM = os.environ.get("JWT_ALGORITHM", "ES256")
    JWT_PRIVATE_KEY = os.environ.get("JWT_PRIVATE_KEY")
    JWT_PUBLIC_KEY = os.environ.get("JWT_PUBLIC_KEY")
    JWT_PRIVATE_KEY_FILE = os.environ.get("JWT_PRIVATE_KEY_FILE")
    JWT_PUBLIC_KEY_FILE = os.environ.get("JWT_PUBLIC_KEY_FILE")
    # Public keys retired for tokens, kept to check the audit checkpoints they signed (PEM blocks).
    JWT_RETIRED_PUBLIC_KEYS = os.environ.get("JWT_RETIRED_PUBLIC_KEYS")
    JWT_RETIRED_PUBLIC_KEYS_FILE = os.environ.get("JWT_RETIRED_PUBLIC_KEYS_FILE")
    JWT_GENERATE_KEYS = os.environ.get("JWT_GENERATE_KEYS", "1") == "1"
    JWT_ISSUER = os.environ.get("JWT_ISSUER", "mash-front-door")
    # The `aud` every token carries and every request's token must name.
    JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "mash-front-door-api")
    TOKEN_MINUTES_PERSON = _int("TOKEN_MINUTES_PERSON", 15)
    TOKEN_MINUTES_CLIENT = _int("TOKEN_MINUTES_CLIENT", 60)
    # Clock difference allowed between the server that issued a token and the one checking it
    # (iat/nbf a little ahead, exp a little behind); beyond it the token is refused.
    TOKEN_LEEWAY_SECONDS = _int("TOKEN_LEEWAY_SECONDS", 30)
    # A client's old secret is still accepted this long after an admin rotates it (POST
    # /accounts/{id}/secret; the request may ask for less, down to 0, or more, up to the max).
    SECRET_GRACE_MINUTES = _int("SECRET_GRACE_MINUTES", 24 * 60)
    SECRET_GRACE_MAX_MINUTES = _int("SECRET_GRACE_MAX_MINUTES", 7 * 24 * 60)

    # The council's identity providers (api/issuers.py). The simple case: one issuer whose
    # `roles` claim holds ROLE, ROLE:SERVICE or agency:CODE. More, or other mappings: a YAML file.
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER")
    OIDC_AUDIENCE = os.environ.get("OIDC_AUDIENCE")
    OIDC_CONFIG_FILE = os.environ.get("OIDC_CONFIG_FILE")
    # A token signed with a key not in the cached set refetches the issuer's keys, at most this
    # often; the cached set is refetched anyway after OIDC_JWKS_LIFESPAN_SECONDS.
    OIDC_JWKS_REFETCH_SECONDS = float(os.environ.get("OIDC_JWKS_REFETCH_SECONDS", "30"))
    OIDC_JWKS_LIFESPAN_SECONDS = float(os.environ.get("OIDC_JWKS_LIFESPAN_SECONDS", "3600"))
    OIDC_TIMEOUT_SECONDS = float(os.environ.get("OIDC_TIMEOUT_SECONDS", "5"))
    # The console signs staff in with this issuer (by name; `oidc` is OIDC_ISSUER's) as a public
    # client (authorization code flow with PKCE) when its client id is set; else with a password.
    OIDC_CONSOLE_CLIENT_ID = os.environ.get("OIDC_CONSOLE_CLIENT_ID")
    OIDC_CONSOLE_ISSUER = os.environ.get("OIDC_CONSOLE_ISSUER", "oidc")
    # What the console asks for: Entra needs the API's own scope (api://<app>/<scope> or
    # api://<app>/.default) to issue a token for it; Keycloak maps the audience in the client.
    OIDC_CONSOLE_SCOPE = os.environ.get("OIDC_CONSOLE_SCOPE", "openid")

    # Partner notifications (api/webhooks.py): the key(s) the subscriptions' signing secrets are
    # encrypted with (Fernet; comma-separated, the first encrypts), and the delivery worker's
    # timings. WEBHOOK_ALLOW_LOCAL=1 allows http and loopback/private addresses (local use, tests).
    WEBHOOK_SECRETS_KEY = os.environ.get("WEBHOOK_SECRETS_KEY")
    WEBHOOK_ALLOW_LOCAL = os.environ.get("WEBHOOK_ALLOW_LOCAL", "0") == "1"
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
    WEBHOOK_RETRY_HOURS = float(os.environ.get("WEBHOOK_RETRY_HOURS", "72"))
    WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "10"))
    WEBHOOK_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "3600"))
    WEBHOOK_BATCH = _int("WEBHOOK_BATCH", 20)
    WEBHOOK_POLL_SECONDS = float(os.environ.get("WEBHOOK_POLL_SECONDS", "1"))
    # A taken message is leased for the post's timeout and this much more: a worker killed while
    # holding it leaves it to another (or itself restarted) when the lease ends.
    WEBHOOK_LEASE_MARGIN_SECONDS = float(os.environ.get("WEBHOOK_LEASE_MARGIN_SECONDS", "30"))

    # Requests
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 256 * 1024)
    # Rate limits per caller (a token's subject; else the remote address), in Flask-Limiter's
    # notation: "1200 per minute", "20/second;1000/hour". Counted across all routes together.
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    RATELIMIT_DEFAULT = os.environ.get("RATELIMIT_DEFAULT", "1200 per minute")  # every request
    RATELIMIT_WRITE = os.environ.get("RATELIMIT_WRITE", "300 per minute")  # POST/PUT/PATCH/DELETE
    RATELIMIT_TOKEN = os.environ.get("RATELIMIT_TOKEN", "30 per minute")  # POST /auth/token, per address
    # Per-account sign-in throttle (api/sign_in.py), counted by every worker together (in the
    # database; in RATELIMIT_STORAGE_URI's store when that is shared): after this many failed
    # sign-ins for one name in a row, each further failure makes the name wait (429) first
    # SIGN_IN_BACKOFF_SECONDS, doubling, at most SIGN_IN_MAX_WAIT_SECONDS (the longest the real
    # user is kept out once guessing stops); failures are forgotten after a success, or after
    # SIGN_IN_FORGET_SECONDS without one.
    SIGN_IN_FREE_FAILURES = _int("SIGN_IN_FREE_FAILURES", 5)
    SIGN_IN_BACKOFF_SECONDS = _int("SIGN_IN_BACKOFF_SECONDS", 1)
    SIGN_IN_MAX_WAIT_SECONDS = _int("SIGN_IN_MAX_WAIT_SECONDS", 300)
    SIGN_IN_FORGET_SECONDS = _int("SIGN_IN_FORGET_SECONDS", 3600)
    # A manager's break-glass access to a restricted record lasts this long (api/domain/restrictions.py).
    RESTRICTION_GRANT_MINUTES = _int("RESTRICTION_GRANT_MINUTES", 30)
    # Reverse proxies in front of the app that are trusted to say who the client is (their
    # X-Forwarded-For, -Proto and -Host; werkzeug's ProxyFix). 0: none, and those headers are
    # ignored, so a client cannot name itself another address to escape a per-address limit.
    # Behind one proxy (nginx, a load balancer), 1: without it every request without a token
    # would be counted as the proxy's, one allowance for all.
    TRUSTED_PROXY_HOPS = _int("TRUSTED_PROXY_HOPS", 0)
    # memory:// counts per process; redis://host:6379/0 shares the counts between servers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_STRATEGY = os.environ.get("RATELIMIT_STRATEGY", "fixed-window")
    # If the counts' storage is unreachable, serve the request unlimited (and log it) rather than
    # turn partners away: the front door must stay open.
    RATELIMIT_SWALLOW_ERRORS = True
    # PostgreSQL cancels a web request's statement that runs longer than this (a 503, not a hung
    # worker). Operator commands and migrations lift it. 0 switches it off.
    STATEMENT_TIMEOUT_MS = _int("STATEMENT_TIMEOUT_MS", 5000)
    # PostgreSQL: a pooled connection idle this long is pinged before use (api/engines.py).
    DB_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DB_PING_AFTER_IDLE_SECONDS", "10"))
    # How far in the future a client's clock may be before a timestamp counts as "in the future".
    CLOCK_SKEW_SECONDS = _int("CLOCK_SKEW_SECONDS", 120)
    # PostgreSQL: a statement that waits longer than this for a lock another request holds gives
    # up. A retry with an Idempotency-Key still held by the first request waits for it this long,
    # then gets 409 with Retry-After; any other write, a 503 with Retry-After. Below
    # STATEMENT_TIMEOUT_MS, so that such a wait is reported as one. 0 switches it off.
    LOCK_TIMEOUT_MS = _int("LOCK_TIMEOUT_MS", 3000)

    # The access log is sealed into the audit chain every ACCESS_SEAL_SECONDS by a thread in
    # each serving process (0: no thread; `flask audit seal` still seals). A seal covers access
    # events at least ACCESS_SEAL_LAG_SECONDS old: twice the longest an access event may take
    # from its `at` to its commit (api/sealing.py says why).
    ACCESS_SEAL_SECONDS = float(os.environ.get("ACCESS_SEAL_SECONDS", "60"))
    ACCESS_SEAL_LAG_SECONDS = float(os.environ.get("ACCESS_SEAL_LAG_SECONDS", "30"))

    # PostgreSQL: migrations run with MIGRATION_DATABASE_URL (an owner role) when it is set,
    # the app with DATABASE_URL; after migrating, DATABASE_APP_ROLE (the app's role) is granted
    # what the app needs and no more: no UPDATE, DELETE or TRUNCATE on the audit trail and the
    # access log, and no ownership, so it cannot drop or disable their triggers.
    MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL")
    DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE")

    # Timescales (England defaults; councils set their own)
    TIMEZONE = "Europe/London"
    HOLIDAY_COUNTRY = "GB"
    HOLIDAY_SUBDIVISION = os.environ.get("HOLIDAY_SUBDIVISION", "ENG")
    DECISION_WORKING_DAYS = _int("DECISION_WORKING_DAYS", 1)
    TRANSITION_RESPONSE_WORKING_DAYS = _int("TRANSITION_RESPONSE_WORKING_DAYS", 5)
    ICPC_WORKING_DAYS = _int("ICPC_WORKING_DAYS", 15)
    MINUTES_WORKING_DAYS = _int("MINUTES_WORKING_DAYS", 1)
    # Working hours (London wall-clock, HH:MM, on working days) for timescales counted in them.
    WORKING_DAY_OPENS = os.environ.get("WORKING_DAY_OPENS", "09:00")
    WORKING_DAY_CLOSES = os.environ.get("WORKING_DAY_CLOSES", "17:00")
    # A contact's RAG rating sets its decision_due_at: red so many clock hours after receipt,
    # amber and green so many working days after it (the end of that London day). An unrated
    # contact keeps DECISION_WORKING_DAYS (the statutory deadline, which the 1-working-day
    # figure always measures against).
    RAG_RED_HOURS = _int("RAG_RED_HOURS", 4)
    RAG_AMBER_WORKING_DAYS = _int("RAG_AMBER_WORKING_DAYS", 1)
    RAG_GREEN_WORKING_DAYS = _int("RAG_GREEN_WORKING_DAYS", 3)
    # An information request to a partner agency is due, from when it is asked, by the contact's
    # rating: red so many clock hours, amber so many working hours (WORKING_DAY_OPENS/CLOSES),
    # green so many working days (the end of that London day); an unrated contact as amber.
    INFORMATION_RED_HOURS = _int("INFORMATION_RED_HOURS", 2)
    INFORMATION_AMBER_WORKING_HOURS = _int("INFORMATION_AMBER_WORKING_HOURS", 4)
    INFORMATION_GREEN_WORKING_DAYS = _int("INFORMATION_GREEN_WORKING_DAYS", 1)
    # Agency kinds that must be invited to every strategy meeting unless a reason is recorded
    # (the referring agency, and early help for a child open to it, are added per meeting).
    STRATEGY_REQUIRED_KINDS = _list("STRATEGY_REQUIRED_KINDS", ["police", "health"])
    # Children's social care itself: as the referrer it need not invite itself.
    CHILDRENS_SOCIAL_CARE_AGENCIES = _list("CHILDRENS_SOCIAL_CARE_AGENCIES", ["childrens-social-care"])

    # Background jobs (api/jobs.py): a worker polls for work every JOB_POLL_SECONDS, records its
    # progress at least every JOB_HEARTBEAT_SECONDS, and a running job whose worker has been
    # quiet for JOB_STALE_SECONDS is taken up by another (resumed or restarted). An export job's
    # file is kept in pieces of JOB_CHUNK_BYTES. JOB_PAUSE_SECONDS (default 0) pauses a job after
    # each batch, so that on a busy database its reads yield to the requests'.
    JOB_POLL_SECONDS = float(os.environ.get("JOB_POLL_SECONDS", "1"))
    JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", "5"))
    JOB_STALE_SECONDS = _int("JOB_STALE_SECONDS", 60)
    JOB_CHUNK_BYTES = _int("JOB_CHUNK_BYTES", 1 << 20)
    JOB_PAUSE_SECONDS = float(os.environ.get("JOB_PAUSE_SECONDS", "0"))
    # Work a request could not finish within the server's timeout answers 422 pointing to a job
    # instead: a chain longer than VERIFY_SYNC_MAX_EVENTS events (audit and access), a state check
    # over more than STATE_SYNC_MAX_RECORDS records, an export of more than EXPORT_SYNC_MAX_ROWS
    # records streamed in one response.
    VERIFY_SYNC_MAX_EVENTS = _int("VERIFY_SYNC_MAX_EVENTS", 500_000)
    # The council's three-digit local authority code (the DfE's LA number), in the CIN census
    # return's header. Unset, the return is refused (409) rather than sent under another code.
    LA_CODE = os.environ.get("LA_CODE", "")
    STATE_SYNC_MAX_RECORDS = _int("STATE_SYNC_MAX_RECORDS", 200_000)
    EXPORT_SYNC_MAX_ROWS = _int("EXPORT_SYNC_MAX_ROWS", 200_000)

    # Time is injected so deadlines can be tested on fixed dates.
    CLOCK = staticmethod(system_clock)

    # OpenAPI (flask-smorest)
    API_TITLE = "MASH front door records API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = None
    # Who a partner's developers ask about the API (the document's info.contact): each council its own.
    API_CONTACT_NAME = os.environ.get("API_CONTACT_NAME", "MASH front door API support")
    API_CONTACT_EMAIL = os.environ.get("API_CONTACT_EMAIL", "mash-api@council.example")
    # The document's server: the origin alone, since every path begins with /api/v1. The default,
    # "/", is the host that serves the document; a council names its own (https://mash.example.gov.uk).
    API_SERVER_URL = os.environ.get("API_SERVER_URL", "/")
    JSON_SORT_KEYS = False

    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    DEFAULT_PAGE_SIZE = 50
    MAX_PAGE_SIZE = 500


class TestConfig(Config):
    TESTING = True
    WEBHOOK_SECRETS_KEY = "yWOo5ZbAEgZ0D0GN1Ptgxb2KbTPkIUTpRcIdRPl8B3s="  # tests only
    LA_CODE = "999"
    JWT_GENERATE_KEYS = False
    # Limits on, as in production, but high enough that the whole suite (one app, a handful of
    # test subjects, one address) never meets them; tests of the limits build apps with low ones.
    RATELIMIT_DEFAULT = "20000 per minute"
    RATELIMIT_WRITE = "5000 per minute"
    RATELIMIT_TOKEN = "2000 per minute"
    # No sealer thread: tests seal when they mean to (tests/api/test_access_seals.py starts one).
    ACCESS_SEAL_SECONDS = 0
