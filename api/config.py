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
    JWT_GENERATE_KEYS = os.environ.get("JWT_GENERATE_KEYS", "1") == "1"
    JWT_ISSUER = os.environ.get("JWT_ISSUER", "mash-front-door")
    # The `aud` every token carries and every request's token must name.
    JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "mash-front-door-api")
    TOKEN_MINUTES_PERSON = _int("TOKEN_MINUTES_PERSON", 15)
    TOKEN_MINUTES_CLIENT = _int("TOKEN_MINUTES_CLIENT", 60)
    # Clock difference allowed between the server that issued a token and the one checking it
    # (iat/nbf a little ahead, exp a little behind); beyond it the token is refused.
    TOKEN_LEEWAY_SECONDS = _int("TOKEN_LEEWAY_SECONDS", 30)

    # Requests
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 256 * 1024)
    # How far in the future a client's clock may be before a timestamp counts as "in the future".
    CLOCK_SKEW_SECONDS = _int("CLOCK_SKEW_SECONDS", 120)
    # An unfinished request holding an Idempotency-Key longer than this is taken as abandoned.
    IDEMPOTENCY_LOCK_SECONDS = _int("IDEMPOTENCY_LOCK_SECONDS", 60)

    # Timescales (England defaults; councils set their own)
    TIMEZONE = "Europe/London"
    HOLIDAY_COUNTRY = "GB"
    HOLIDAY_SUBDIVISION = os.environ.get("HOLIDAY_SUBDIVISION", "ENG")
    DECISION_WORKING_DAYS = _int("DECISION_WORKING_DAYS", 1)
    TRANSITION_RESPONSE_WORKING_DAYS = _int("TRANSITION_RESPONSE_WORKING_DAYS", 5)
    ICPC_WORKING_DAYS = _int("ICPC_WORKING_DAYS", 15)
    MINUTES_WORKING_DAYS = _int("MINUTES_WORKING_DAYS", 1)
    # Agency kinds that must be invited to every strategy meeting unless a reason is recorded
    # (the referring agency, and early help for a child open to it, are added per meeting).
    STRATEGY_REQUIRED_KINDS = _list("STRATEGY_REQUIRED_KINDS", ["police", "health"])
    # Children's social care itself: as the referrer it need not invite itself.
    CHILDRENS_SOCIAL_CARE_AGENCIES = _list("CHILDRENS_SOCIAL_CARE_AGENCIES", ["childrens-social-care"])

    # Time is injected so deadlines can be tested on fixed dates.
    CLOCK = staticmethod(system_clock)

    # OpenAPI (flask-smorest)
    API_TITLE = "MASH front door records API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = None
    JSON_SORT_KEYS = False

    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    DEFAULT_PAGE_SIZE = 50
    MAX_PAGE_SIZE = 500


class TestConfig(Config):
    TESTING = True
    JWT_GENERATE_KEYS = False
