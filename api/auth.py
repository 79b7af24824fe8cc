"""Tokens, roles and the current actor.

Every route declares who may call it with `@requires(...)` (or `@public` for the few open ones);
a test walks the URL map and fails on any route without a declaration.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, g, request
from flask_jwt_extended import JWTManager, create_access_token, get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint
from sqlalchemy import bindparam, select

from . import db
from .errors import BEARER_CHALLENGE, Forbidden, Unauthorized, problem_response
from .models.accounts import Account
from .vocab import ROLES, SERVICES

SECURITY = [{"bearerAuth": []}]
# Where a request's verified token claims are kept (the WSGI environ: one per request, even where
# an app context outlives requests, as in tests).
VERIFIED_CLAIMS = "mash.verified_claims"


@dataclass(frozen=True)
class Actor:
    """Who is acting: from the token for requests, a named system actor for CLI and seeds."""

    sub: str
    role: str
    agency: str | None = None
    service: str | None = None

    def as_dict(self):
        return {"sub": self.sub, "role": self.role, "agency": self.agency, "service": self.service}


def system_actor(name):
    return Actor(sub=f"system:{name}", role="system")


def claims_for(role, service=None, agency=None, kind="person"):
    """Validate a role's companions (agency for `agency`, service for staff) and build claims."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "agency" and not agency:
        raise ValueError("the agency role needs an agency code")
    if role in ("practitioner", "manager") and service not in SERVICES:
        raise ValueError(f"{role} needs a service: one of {', '.join(SERVICES)}")
    claims = {"role": role, "kind": kind}
    if agency and role == "agency":
        claims["agency"] = agency
    if service and role in ("practitioner", "manager"):
        claims["service"] = service
    return claims


def mint_token(app, sub, role, *, service=None, agency=None, kind="person", minutes=None,
               generation=None):
    """A signed access token and its lifetime in seconds. `generation`: the account's
    token_generation, carried as claim `gen` (see account_disabled)."""
    if minutes is None:
        config_key = "TOKEN_MINUTES_CLIENT" if kind == "client" else "TOKEN_MINUTES_PERSON"
        minutes = app.config[config_key]
    lifetime = timedelta(minutes=minutes)
    claims = claims_for(role, service, agency, kind)
    if generation is not None:
        claims[GENERATION_CLAIM] = generation
    token = create_access_token(identity=sub, additional_claims=claims, expires_delta=lifetime)
    return token, int(lifetime.total_seconds())


def current_actor():
    return g.actor


def requires(*roles):
    """Declare the roles that may call a route. Runs before the body is read."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"requires() needs known roles, got {roles!r}")

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            claims = get_jwt()
            role = claims.get("role")
            if role not in ROLES:
                raise Unauthorized("The token carries no valid role.")
            if role == "agency" and not claims.get("agency"):
                raise Unauthorized("An agency token must name its agency.")
            if role not in roles:
                raise Forbidden(f"The {role} role may not do this.")
            g.actor = Actor(
                sub=claims["sub"],
                role=role,
                agency=claims.get("agency"),
                service=claims.get("service"),
            )
            # The access log names this caller from here rather than verifying the token again.
            request.environ[VERIFIED_CLAIMS] = claims
            return func(*args, **kwargs)

        wrapper._roles = tuple(roles)
        allowed = ", ".join(f"`{r}`" for r in roles)
        return Blueprint.doc(
            security=SECURITY,
            description=f"Roles: {allowed}.",
            responses={
                "401": "UNAUTHORIZED",
                "403": "FORBIDDEN",
            },
        )(wrapper)

    return decorator


def public(func):
    """Declare a route open to anyone (token endpoint, health)."""
    func._roles = ()
    func._public = True
    return func


# ---- keys -----------------------------------------------------------------------------------


def _read(value, path):
    if value:
        return value.replace("\\n", "\n")
    if path:
        return Path(path).read_text()
    return None


def generate_key_pair():
    """A fresh ES256 key pair as PEM text (private, public)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def _development_keys(instance_dir):
    """Load, or create once, a development key pair under instance/ (never used in production)."""
    instance_dir = Path(instance_dir)
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "jwt-es256.pem"
    if not path.exists():
        private_pem, _ = generate_key_pair()
        staged = instance_dir / f".jwt-es256.{os.getpid()}.pem"
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(private_pem)
        # Two workers starting together: the first link wins; the other reads the winner's key.
        try:
            os.link(staged, path)
        except FileExistsError:
            pass
        finally:
            staged.unlink()
    private_pem = path.read_text()
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


def _configure_keys(app):
    config = app.config
    private_key = _read(config.get("JWT_PRIVATE_KEY"), config.get("JWT_PRIVATE_KEY_FILE"))
    public_key = _read(config.get("JWT_PUBLIC_KEY"), config.get("JWT_PUBLIC_KEY_FILE"))
    if not private_key and not public_key and config.get("JWT_GENERATE_KEYS"):
        private_key, public_key = _development_keys(config["INSTANCE_DIR"])
    if not public_key:
        raise RuntimeError(
            "No token verification key: set JWT_PUBLIC_KEY (and JWT_PRIVATE_KEY to issue tokens), "
            "or JWT_GENERATE_KEYS=1 for a development key pair under instance/."
        )
    if config["JWT_ALGORITHM"] not in ("ES256", "RS256"):
        raise RuntimeError("JWT_ALGORITHM must be ES256 or RS256: tokens are signed asymmetrically")
    config["JWT_PRIVATE_KEY"] = private_key
    config["JWT_PUBLIC_KEY"] = public_key
    config["JWT_DECODE_ALGORITHMS"] = [config["JWT_ALGORITHM"]]
    config["JWT_TOKEN_LOCATION"] = ["headers"]
    config["JWT_ENCODE_ISSUER"] = config["JWT_ISSUER"]
    config["JWT_DECODE_ISSUER"] = config["JWT_ISSUER"]
    # A token signed by our key for some other service (audience) is not a token for this API.
    config["JWT_ENCODE_AUDIENCE"] = config["JWT_AUDIENCE"]
    config["JWT_DECODE_AUDIENCE"] = config["JWT_AUDIENCE"]
    config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=config["TOKEN_MINUTES_PERSON"])
    config["JWT_DECODE_LEEWAY"] = config["TOKEN_LEEWAY_SECONDS"]


# PyJWT checks these when present but does not insist on them: a token without `exp` would never
# expire. Every token this API mints carries them all.
REQUIRED_CLAIMS = ("sub", "iss", "aud", "iat", "nbf", "exp", "jti", "role")
# The account's token_generation when the token was issued (tokens issued for an account only).
GENERATION_CLAIM = "gen"


def has_required_claims(_header, payload):
    return all(payload.get(name) is not None for name in REQUIRED_CLAIMS)


def account_disabled(_header, payload):
    """True when the token's `sub` names a disabled account, or one disabled since the token was
    issued: its live tokens stop at once, and stay stopped when it is enabled again.

    One lookup on the accounts' unique name. A `sub` with no account (a token minted by the CLI)
    is not affected.
    """
    if db.session().in_transaction() or not current_app.extensions["db"].writers_lock_at_begin:
        # A read: its read-only transaction is already open. A write on PostgreSQL: its
        # transaction begins with this lookup (no lock is taken, and each statement reads what
        # is committed when it runs, so beginning early changes nothing the write sees).
        return is_disabled(db.session, payload)
    # A write's own transaction must not begin yet on SQLite: it would take the write lock
    # before the Idempotency-Key is claimed in a session of its own, and wait on itself.
    with db.reading_session() as lookup:
        return is_disabled(lookup, payload)


# Built once: every authenticated request runs it (building a statement costs more than running it).
_ACCOUNT_STATE = select(Account.active, Account.token_generation).where(
    Account.name == bindparam("name"))


def is_disabled(lookup, payload):
    """Disabled now, or disabled since the token was issued: the token's `gen` (0 when absent)
    is behind the account's token_generation, which each disable advances."""
    account = lookup.connection().execute(_ACCOUNT_STATE, {"name": str(payload["sub"])}).first()
    if account is None:
        return False
    return not account.active or payload.get(GENERATION_CLAIM, 0) != account.token_generation


def _clock():
    """Now, in epoch seconds, as PyJWT reads it (a test moves both together)."""
    return datetime.now(UTC).timestamp()


class FrontDoorJWTManager(JWTManager):
    """flask-jwt-extended's manager, verifying each token's signature once per process.

    A partner system sends the same token with every request for the token's lifetime, and every
    request asks for it at least twice (the rate limiter names the caller from it, then
    `@requires` verifies it); each decode parses the token three times and checks its ES256
    signature. The claims of a token that verified are kept, keyed by the token's exact text, so
    a later request with the same token skips the parsing and the signature check; the time
    checks, which can change their answer, are made again on every use (expired, not yet valid:
    the token is then decoded afresh, so the library raises its usual error). Whether the account
    is disabled, and the token's type and required claims, are still checked for every request by
    verify_jwt_in_request. Tokens that fail are never kept. At most VERIFIED_TOKENS are kept.
    """

    VERIFIED_TOKENS = 10_000

    def __init__(self, app=None, add_context_processor=False):
        self._verified = {}
        super().__init__(app, add_context_processor)

    def _decode_jwt_from_config(self, encoded_token, csrf_value=None, allow_expired=False):
        if allow_expired:  # the access log naming an expired token's holder: not kept
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        key = (encoded_token, csrf_value)
        claims = self._verified.get(key)
        if claims is not None and self._in_date(claims):
            return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        if all(isinstance(claims.get(name), int) for name in ("iat", "nbf", "exp")):
            if len(self._verified) >= self.VERIFIED_TOKENS:
                self._verified.clear()
            self._verified[key] = dict(claims)
        return claims

    @staticmethod
    def _in_date(claims):
        """PyJWT's own time checks (iat and nbf not ahead of now, exp not passed), with the
        configured leeway. Only tokens with all three (as integers) are kept."""
        now = _clock()
        leeway = current_app.config["JWT_DECODE_LEEWAY"]
        return claims["iat"] <= now + leeway and claims["nbf"] <= now + leeway and \
            claims["exp"] > now - leeway


def init_app(app):
    _configure_keys(app)
    jwt = FrontDoorJWTManager(app)

    def unauthorized(detail):
        return problem_response(
            401,
            detail,
            slug="unauthorized",
            title="Authentication required",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )

    jwt.unauthorized_loader(lambda reason: unauthorized(f"No valid bearer token: {reason}"))
    jwt.invalid_token_loader(lambda reason: unauthorized(f"The token is not valid: {reason}"))
    jwt.expired_token_loader(lambda _h, _p: unauthorized("The token has expired."))
    jwt.revoked_token_loader(lambda _h, _p: unauthorized("The token has been revoked."))
    jwt.needs_fresh_token_loader(lambda _h, _p: unauthorized("A fresh token is required."))
    jwt.token_verification_failed_loader(lambda _h, _p: unauthorized("The token's claims are not valid."))
    jwt.user_lookup_error_loader(lambda _h, _p: unauthorized("The token's subject is unknown."))
    jwt.token_verification_loader(has_required_claims)
    jwt.token_in_blocklist_loader(account_disabled)
    return jwt
