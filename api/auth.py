"""Roles: who may call what, the permission check every route runs, and the tokens we issue.

Every route names the roles that may call it, or that it is public, where it is declared
(api/routes: `blp.route(..., roles=...)`); a test walks the URL map and fails on any route
without a declaration. The token itself is read in api/caller.py; its keys in api/keys.py.
"""

from datetime import timedelta

from flask import g
from flask_jwt_extended import JWTManager, create_access_token

from .caller import GENERATION_CLAIM, current_caller
from .errors import BEARER_CHALLENGE, DomainError, Forbidden, Unauthorized, problem_response
from .keys import SIGNING_KID, configure_keys
from .vocab import ROLES, SERVICES, STAFF_ROLES

# The groups of roles routes are declared with (API.md, "Authentication and roles").
ADMINS = ("admin",)
AUDITORS = ("auditor",)
MANAGERS = ("manager",)
STAFF = STAFF_ROLES
CASE_READERS = (*STAFF, "auditor")
OVERSEERS = ("auditor", "manager")  # metrics' and exports' readers beyond the case workers
CONTACT_READERS = ("agency", *CASE_READERS)  # an agency reads only the contacts it posted
CONTACT_WRITERS = ("agency", *STAFF)
EVERYONE = ROLES

SECURITY = [{"bearerAuth": []}]


class IssuerUnavailable(DomainError):
    """A token from an identity provider whose keys cannot be fetched now: not the client's fault,
    and the token may well be good, so 503 (retry), not 401 (get another token)."""

    status = 503
    slug = "issuer-unavailable"
    title = "The token's issuer cannot be reached"

    def __init__(self, detail):
        super().__init__(detail, headers={"Retry-After": "5"})


def check_roles(roles):
    """A route's declared roles: at least one, each known."""
    if isinstance(roles, str):
        raise ValueError(f"roles are a tuple of role names, got the string {roles!r}")
    roles = tuple(roles)
    if not roles or set(roles) - set(ROLES):
        raise ValueError(f"a route needs known roles, got {roles!r}")
    return roles


def authorise(roles, lookup):
    """Prove this request's caller and check their role is one of `roles`: 401 for a token that
    proves nobody (checking its account in `lookup`, the request's session), 403 for a role
    that may not. The actor is then current_actor() for the rest of the request."""
    caller = current_caller()
    actor = caller.actor(lookup)
    if actor is None:
        if caller.unavailable:
            raise IssuerUnavailable(caller.problem)
        raise Unauthorized(caller.problem)
    if actor.role not in ROLES:
        raise Unauthorized("The token carries no valid role.")
    if actor.role == "agency" and not actor.agency:
        raise Unauthorized("An agency token must name its agency.")
    if actor.role not in roles:
        raise Forbidden(f"The {actor.role} role may not do this.")
    g.actor = actor
    return actor


def documented(roles):
    """What a route with these roles adds to its OpenAPI operation."""
    allowed = ", ".join(f"`{role}`" for role in roles)
    return {"security": SECURITY, "description": f"Roles: {allowed}.",
            "responses": {"401": "UNAUTHORIZED", "403": "FORBIDDEN"}}


# ---- the tokens we issue ----------------------------------------------------------------------


def claims_for(role, service=None, agency=None, kind="person"):
    """Validate a role's companions (agency for `agency`, service for staff) and build claims."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "agency" and not agency:
        raise ValueError("the agency role needs an agency code")
    if role in STAFF and service not in SERVICES:
        raise ValueError(f"{role} needs a service: one of {', '.join(SERVICES)}")
    claims = {"role": role, "kind": kind}
    if agency and role == "agency":
        claims["agency"] = agency
    if service and role in STAFF:
        claims["service"] = service
    return claims


def mint_token(app, sub, role, *, service=None, agency=None, kind="person", minutes=None,
               generation=None):
    """A signed access token and its lifetime in seconds. `generation`: the account's
    token_generation, carried as claim `gen` (see api.caller.account_refuses)."""
    if minutes is None:
        config_key = "TOKEN_MINUTES_CLIENT" if kind == "client" else "TOKEN_MINUTES_PERSON"
        minutes = app.config[config_key]
    lifetime = timedelta(minutes=minutes)
    claims = claims_for(role, service, agency, kind)
    if generation is not None:
        claims[GENERATION_CLAIM] = generation
    kid = app.extensions[SIGNING_KID]
    token = create_access_token(identity=sub, additional_claims=claims, expires_delta=lifetime,
                                additional_headers={"kid": kid} if kid else None)
    return token, int(lifetime.total_seconds())


def init_app(app):
    """The keys, and flask-jwt-extended for encoding and decoding with them. api/caller.py reads
    each request's token itself, so none of the library's per-request checks runs; its error
    handlers, which it installs on the app all the same, answer problem+json like every other."""
    configure_keys(app)
    manager = JWTManager(app)

    def unauthorized(detail):
        return problem_response(401, detail, slug="unauthorized", title="Authentication required",
                                headers={"WWW-Authenticate": BEARER_CHALLENGE})

    manager.unauthorized_loader(lambda reason: unauthorized(f"No valid bearer token: {reason}"))
    manager.invalid_token_loader(lambda reason: unauthorized(f"The token is not valid: {reason}"))
    for loader in (manager.expired_token_loader, manager.revoked_token_loader,
                   manager.needs_fresh_token_loader, manager.token_verification_failed_loader,
                   manager.user_lookup_error_loader):
        loader(lambda _header, _payload: unauthorized("The token is not valid."))
    return manager
