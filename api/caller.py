"""Who sent this request: its bearer token read and checked once, and the actor it proves.

`current_caller()` reads the token at the first ask and keeps the answer for the rest of the
request. The rate limiter asks first (before any database work: it needs only the signature's
word for who is asking); the permission check (api/auth.py) then proves the caller, checking
the account in the request's own transaction; the access log (api/access.py) records the caller
as claimed and how far the token proved it, refused requests included. Nothing else decodes a
token.

How far a token proves its claims (`token_state`, kept in the access log):
`valid` (signed by us, in date, with every required claim, for an account that is enabled),
`expired` (signed by us, out of date), `revoked` (signed by us, for an account disabled since),
`invalid` (claims unverified, maybe forged) or `missing`.

A token from one of the council's identity providers (api/issuers.py) is checked against that
issuer's keys and its claims mapped to ours (`sub` as `{issuer name}:{subject}`, `role`,
`service`, `agency`); its account, if an admin registered one, is found by issuer and subject.
"""

from dataclasses import dataclass

import jwt
from flask import current_app, g, request
from sqlalchemy import bindparam, select

from . import issuers
from .keys import VERIFICATION_KEYS
from .models import Account
from .vocab import SYSTEM_ROLE

# PyJWT checks these when present but does not insist on them: a token without `exp` would never
# expire. Every token this API mints carries them all.
REQUIRED_CLAIMS = ("sub", "iss", "aud", "iat", "nbf", "exp", "jti", "role")
# The account's token_generation when the token was issued (tokens issued for an account only).
GENERATION_CLAIM = "gen"

MISSING_TOKEN = "No valid bearer token: send 'Authorization: Bearer <token>'."


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
    return Actor(sub=f"system:{name}", role=SYSTEM_ROLE)


# Built once: every authenticated request runs it (building a statement costs more than running it).
_ACCOUNT_STATE = select(Account.active, Account.token_generation).where(
    Account.name == bindparam("name"))


_EXTERNAL_ACCOUNT_STATE = select(Account.active, Account.last_disabled_at).where(
    Account.issuer == bindparam("issuer"), Account.subject == bindparam("subject"))


def external_account_refuses(lookup, claims):
    """True when an admin has registered the external subject as an account and disabled it, or
    disabled it since the provider issued the token (its `iat` before `last_disabled_at`): the
    provider's say is not the last word. A subject with no account here is not affected."""
    account = lookup.connection().execute(_EXTERNAL_ACCOUNT_STATE, {
        "issuer": claims["iss"], "subject": claims["external_subject"]}).first()
    if account is None:
        return False
    if not account.active:
        return True
    return (account.last_disabled_at is not None
            and claims.get("iat", 0) <= account.last_disabled_at.timestamp())


def account_refuses(lookup, claims):
    """True when the token's `sub` names a disabled account, or one disabled since the token was
    issued: its `gen` (0 when absent) is not the account's token_generation, which each disable
    advances. So its live tokens stop at once, and stay stopped when it is enabled again. One
    lookup on the accounts' unique name, in `lookup` (a session). A `sub` with no account (a
    token minted by the CLI) is not affected."""
    account = lookup.connection().execute(_ACCOUNT_STATE, {"name": str(claims["sub"])}).first()
    if account is None:
        return False
    return not account.active or claims.get(GENERATION_CLAIM, 0) != account.token_generation


class Caller:
    """The sender of one request, as its bearer token describes them and as far as it proves it."""

    def __init__(self, claims, state, problem=None, *, external=False, unavailable=False):
        self.claims = claims  # as the token claims them: verified only if state is valid/expired
        self._state = state
        self.problem = problem  # why the token proves nobody (a 401's detail), or None
        self.external = external  # from one of the council's identity providers (mapped claims)
        # The token's issuer could not be asked for its keys: not proven, but not known bad (503).
        self.unavailable = unavailable
        self._account_checked = state != "valid"

    @property
    def signed_subject(self):
        """The subject of a token whose signature, dates and claims are good (its account not yet
        looked at), else None: whose rate-limit allowance this request spends."""
        return self.claims["sub"] if self._state in ("valid", "revoked") else None

    def token_state(self, lookup):
        """valid, expired, revoked, invalid or missing. The first ask for a token that is
        otherwise good checks its account, in `lookup` (a session), once per request."""
        if not self._account_checked:
            refuses = external_account_refuses if self.external else account_refuses
            if refuses(lookup, self.claims):  # a lookup that fails is asked again
                self._state, self.problem = "revoked", "The token has been revoked."
            self._account_checked = True
        return self._state

    def actor(self, lookup):
        """The Actor this request acts as, or None when the token does not prove one."""
        if self.token_state(lookup) != "valid":
            return None
        claims = self.claims
        return Actor(sub=claims["sub"], role=claims["role"], agency=claims.get("agency"),
                     service=claims.get("service"))


def bearer_token():
    """The token of the request's `Authorization: Bearer <token>` header; None without the
    header; "" for a header that does not carry exactly one bearer token."""
    header = request.headers.get("Authorization")
    if header is None or not header.strip():
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return ""
    return parts[1]


def _unverified_claims(token):
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _keys_for(token, keys):
    """The keys that may have signed `token`: the one its `kid` names (none if it names a key we
    do not hold), or every key for a token without one (signed before tokens named their key)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return list(keys.values())[:1]  # the decode below says what is wrong with it
    if kid is None:
        return list(keys.values())
    return [keys[kid]] if kid in keys else []


def _verified_claims(token, check_expiry=True):
    """PyJWT's checks, as the tokens we issue (flask-jwt-extended, api/auth.py) must pass them:
    our keys and algorithm only, our issuer and audience, the dates within the configured leeway,
    and every required claim present."""
    config = current_app.config
    candidates = _keys_for(token, current_app.extensions[VERIFICATION_KEYS])
    if not candidates:
        raise jwt.InvalidSignatureError("signed with a key this server does not accept")
    for number, key in enumerate(candidates, start=1):
        try:
            return jwt.decode(
                token, key, algorithms=config["JWT_DECODE_ALGORITHMS"],
                audience=config["JWT_DECODE_AUDIENCE"], issuer=config["JWT_DECODE_ISSUER"],
                leeway=config["JWT_DECODE_LEEWAY"],
                options={"require": list(REQUIRED_CLAIMS), "verify_exp": check_expiry},
            )
        except jwt.InvalidSignatureError:
            if number == len(candidates):
                raise


def _read_external(token, issuer):
    """The Caller a token from one of the council's identity providers makes."""
    try:
        try:
            return Caller(issuer.mapped(issuer.verify(token)), "valid", external=True)
        except jwt.ExpiredSignatureError:
            return Caller(issuer.mapped(issuer.verify(token, check_expiry=False)), "expired",
                          "The token has expired.", external=True)
    except issuers.TokenRefused as refused:
        return Caller(_unverified_claims(token), "invalid", str(refused))
    except jwt.PyJWTError as error:
        return Caller(_unverified_claims(token), "invalid", f"The token is not valid: {error}")
    except issuers.IssuerUnavailable:
        return Caller(_unverified_claims(token), "invalid",
                      f"The token's issuer ({issuer.name}) could not be asked for its keys; "
                      "retry shortly.", unavailable=True)


def read_token(token):
    """The Caller a token (or None, or "") makes."""
    if token is None:
        return Caller({}, "missing", MISSING_TOKEN)
    if not token:
        return Caller({}, "invalid", MISSING_TOKEN)
    external = current_app.extensions[issuers.EXTENSION]
    if external:
        unverified = _unverified_claims(token)
        if unverified.get("iss") != current_app.config["JWT_DECODE_ISSUER"]:
            issuer = external.for_token(unverified)
            if issuer is not None:
                return _read_external(token, issuer)
    try:
        claims = _verified_claims(token)
    except jwt.ExpiredSignatureError:
        try:  # signed by us and otherwise good, but out of date: who it was is worth recording
            return Caller(_verified_claims(token, check_expiry=False), "expired",
                          "The token has expired.")
        except jwt.PyJWTError as error:
            return Caller(_unverified_claims(token), "invalid", f"The token is not valid: {error}")
    except jwt.PyJWTError as error:
        return Caller(_unverified_claims(token), "invalid", f"The token is not valid: {error}")
    if claims.get("type", "access") != "access":
        return Caller(claims, "invalid", "The token is not valid: only access tokens are accepted.")
    return Caller(claims, "valid")


def current_caller():
    """This request's Caller, its token read once (api/logs.py starts each request with an empty
    `g`, even where an app context outlives one request, as in tests)."""
    caller = g.get("caller")
    if caller is None:
        caller = g.caller = read_token(bearer_token())
    return caller


def current_actor():
    """The actor the permission check proved for this request (api/auth.py)."""
    return g.actor
