"""The council's identity providers: tokens from issuers other than ours, checked and mapped.

A council's staff sign in with its own identity provider (Microsoft Entra ID, Keycloak, Okta),
and partner systems may get tokens from theirs. Each trusted issuer is configured by its issuer
URL and the audience its tokens must name, and says how its claims map to this API's role,
service and agency:

- the simple case, two settings: `OIDC_ISSUER` and `OIDC_AUDIENCE`; the issuer's `roles` claim
  (Entra's app roles) holds values `ROLE`, `ROLE:SERVICE` or `agency:CODE`
  (`practitioner:mash`, `manager:social_care`, `auditor`, `agency:wmp`);
- more issuers, or other mappings, in the YAML file `OIDC_CONFIG_FILE` (README, "Sign-in from
  the council's identity provider"): the claims holding role values (`realm_access.roles`,
  `resource_access.<client>.roles` for Keycloak), Entra group ids to role values, a client's
  `azp` or `appid` to a role value (a partner system's client-credentials token), and the claim
  naming the subject (`sub`, or Entra's `oid`).

A token is checked against the issuer's keys, found by OpenID discovery
(`{issuer}/.well-known/openid-configuration`, its `jwks_uri`) and cached by PyJWT's
`PyJWKClient`: a token signed with a key the cache does not hold refetches the keys, at most once
every `OIDC_JWKS_REFETCH_SECONDS`, so a rotation at the provider is picked up at once and a flood
of made-up key ids costs the provider one fetch. The rules are ours: asymmetric algorithms only
(no `none`, no HS*), the key only from the issuer's published set (never `jku`, `x5u` or `jwk`
from the token), the issuer and audience exact, the dates within the leeway, and `sub` (or the
configured subject claim), `iss`, `aud`, `iat` and `exp` required. A provider's `jti` and `nbf`
are checked when present (Entra issues no `jti`, Keycloak no `nbf`).

The actor such a token proves is `{name}:{subject}` (`name`: the issuer's short name in the
configuration, `oidc` for the simple case), so the audit trail and the access log say which
provider vouched for whom. An admin can register such a subject as an account and disable it
here (api/domain/accounts.py): its tokens are then refused whatever the provider says.
"""

import ipaddress
import json
import re
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import jwt
import yaml

from .vocab import ROLES, SERVICES, STAFF_ROLES

EXTENSION = "external_issuers"
# Asymmetric only: a key that can check a token cannot make one, and never `none` or HS*.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
REQUIRED = ("iss", "aud", "iat", "exp")
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_SUBJECT = 64
DISCOVERY = "/.well-known/openid-configuration"


class IssuerUnavailable(Exception):
    """The issuer's discovery document or keys could not be fetched: the token is not known bad,
    only not checkable now (503, not 401)."""


class TokenRefused(Exception):
    """The token is not good: the detail of a 401."""


def _loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url, what):
    """https, or http for a loopback address only (a provider run beside the API, in tests)."""
    parts = urlparse(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return url
    raise ValueError(f"{what} {url!r} must be https (http only for a loopback address)")


def parse_role_value(value):
    """(role, service, agency) from `ROLE`, `ROLE:SERVICE` or `agency:CODE`; None if it names no
    role of this API (a provider's token carries roles for other applications too)."""
    if not isinstance(value, str):
        return None
    role, _, rest = value.partition(":")
    if role not in ROLES or role == "system":
        return None
    if role == "agency":
        return (role, None, rest) if rest else None
    if role in STAFF_ROLES:
        return (role, rest, None) if rest in SERVICES else None
    return (role, None, None) if not rest else None


def _claim_path(claims, path):
    """The value at a dotted path (`resource_access.mash-api.roles`), or None."""
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _as_list(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


@dataclass
class Issuer:
    """One trusted issuer and how its claims map to a role, a service and an agency."""

    name: str
    issuer: str
    audience: str
    role_claims: tuple = ("roles",)
    groups: dict = field(default_factory=dict)  # a group id in `groups` -> a role value
    clients: dict = field(default_factory=dict)  # a client's `azp` / `appid` -> a role value
    subject_claim: str = "sub"
    refetch_seconds: float = 30.0
    keys_lifespan_seconds: float = 3600.0
    timeout_seconds: float = 5.0
    leeway_seconds: int = 30

    def __post_init__(self):
        if not NAME.match(self.name):
            raise ValueError(f"issuer name {self.name!r}: lower case letters, digits, - or _, "
                             "at most 32, starting with a letter")
        check_url(self.issuer, "issuer")
        if not self.audience:
            raise ValueError(f"issuer {self.name}: an audience is required")
        for table in (self.groups, self.clients):
            for key, value in table.items():
                if parse_role_value(value) is None:
                    raise ValueError(f"issuer {self.name}: {key!r} maps to {value!r}, which is "
                                     "not ROLE, ROLE:SERVICE or agency:CODE")
        self._lock = threading.Lock()
        self._keys = None
        self._document = None

    # ---- the keys, by discovery ---------------------------------------------------------------

    def _fetch_json(self, url):
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                return json.loads(response.read(1_000_000))
        except (OSError, ValueError) as error:
            raise IssuerUnavailable(f"{url}: {error}") from error

    def discovery(self):
        """The issuer's OpenID discovery document, fetched at first use and kept (a provider that
        is down when the API starts does not stop it starting)."""
        with self._lock:
            if self._document is None:
                document = self._fetch_json(self.issuer.rstrip("/") + DISCOVERY)
                if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                    raise IssuerUnavailable(
                        f"the discovery document of {self.issuer} names another issuer")
                self._document = document
            return self._document

    def key_client(self):
        """PyJWT's key client for the issuer's `jwks_uri` (discovery)."""
        document = self.discovery()
        with self._lock:
            if self._keys is None:
                jwks_uri = document.get("jwks_uri")
                try:
                    check_url(str(jwks_uri), "jwks_uri")
                except ValueError as error:
                    raise IssuerUnavailable(str(error)) from error
                self._keys = jwt.PyJWKClient(
                    jwks_uri, cache_jwk_set=True, lifespan=self.keys_lifespan_seconds,
                    timeout=self.timeout_seconds, cooldown_duration=self.refetch_seconds)
            return self._keys

    def signing_key(self, token):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRefused(f"The token is not valid: {error}") from error
        if header.get("alg") not in ALGORITHMS:
            raise TokenRefused(f"The token is not valid: algorithm {header.get('alg')!r} is not "
                               "accepted.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("The token is not valid: it names no key (kid).")
        client = self.key_client()
        try:
            key = client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as error:
            raise IssuerUnavailable(str(error)) from error
        except jwt.PyJWKClientError as error:
            raise TokenRefused(f"The token is not valid: signed with a key {self.name} does not "
                               f"publish ({kid}).") from error
        if key.algorithm_name and key.algorithm_name != header["alg"]:
            raise TokenRefused("The token is not valid: its algorithm is not its key's.")
        return key

    # ---- one token -----------------------------------------------------------------------------

    def verify(self, token, check_expiry=True):
        """The token's claims, checked; TokenRefused or IssuerUnavailable."""
        key = self.signing_key(token)
        try:
            return jwt.decode(
                token, key.key, algorithms=list(ALGORITHMS), audience=self.audience,
                issuer=self.issuer, leeway=self.leeway_seconds,
                options={"require": [*REQUIRED, self.subject_claim], "verify_exp": check_expiry})
        except jwt.ExpiredSignatureError:
            raise
        except jwt.PyJWTError as error:
            raise TokenRefused(f"The token is not valid: {error}") from error

    def role_values(self, claims):
        values = []
        for path in self.role_claims:
            values.extend(_as_list(_claim_path(claims, path)))
        for group in _as_list(claims.get("groups")):
            if group in self.groups:
                values.append(self.groups[group])
        for client_claim in ("azp", "appid"):
            client = claims.get(client_claim)
            if isinstance(client, str) and client in self.clients:
                values.append(self.clients[client])
        return values

    def mapped(self, claims):
        """This API's claims for a verified token: `sub` as `{name}:{subject}`, `role`, and
        `service` or `agency`. TokenRefused when no value, or more than one, maps to a role."""
        subject = claims.get(self.subject_claim)
        if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT:
            raise TokenRefused(f"The token is not valid: its {self.subject_claim} claim must be "
                               f"a string of 1 to {MAX_SUBJECT} characters.")
        roles = sorted({mapped for value in self.role_values(claims)
                        if (mapped := parse_role_value(value)) is not None},
                       key=lambda r: tuple(part or "" for part in r))
        if not roles:
            raise TokenRefused(
                f"The token carries no role for this API: {self.name} must give it one of "
                "ROLE, ROLE:SERVICE or agency:CODE (for example practitioner:mash).")
        if len(roles) > 1:
            named = ", ".join(":".join(part for part in r if part) for r in roles)
            raise TokenRefused(
                f"The token carries more than one role for this API ({named}): {self.name} must "
                "give each person or system exactly one.")
        role, service, agency = roles[0]
        mapped = {"sub": f"{self.name}:{subject}", "role": role, "iss": self.issuer,
                  "external_subject": subject}
        if service:
            mapped["service"] = service
        if agency:
            mapped["agency"] = agency
        for name in ("iat", "exp", "jti"):
            if name in claims:
                mapped[name] = claims[name]
        return mapped


class Issuers:
    """The trusted external issuers, by issuer URL."""

    def __init__(self, issuers=()):
        self.by_url = {}
        self.by_name = {}
        for issuer in issuers:
            if issuer.issuer in self.by_url or issuer.name in self.by_name:
                raise ValueError(f"issuer {issuer.name} ({issuer.issuer}) is configured twice")
            self.by_url[issuer.issuer] = issuer
            self.by_name[issuer.name] = issuer

    def __bool__(self):
        return bool(self.by_url)

    def for_token(self, unverified_claims):
        iss = unverified_claims.get("iss")
        return self.by_url.get(iss) if isinstance(iss, str) else None


_FIELDS = {"name", "issuer", "audience", "role_claims", "groups", "clients", "subject_claim"}


def load(config):
    """The issuers the configuration names: OIDC_ISSUER and OIDC_AUDIENCE, and the issuers of
    OIDC_CONFIG_FILE. A mistake in them stops the app starting, with the reason."""
    common = {"refetch_seconds": float(config["OIDC_JWKS_REFETCH_SECONDS"]),
              "keys_lifespan_seconds": float(config["OIDC_JWKS_LIFESPAN_SECONDS"]),
              "timeout_seconds": float(config["OIDC_TIMEOUT_SECONDS"]),
              "leeway_seconds": int(config["TOKEN_LEEWAY_SECONDS"])}
    issuers = []
    if config.get("OIDC_ISSUER"):
        if not config.get("OIDC_AUDIENCE"):
            raise RuntimeError("OIDC_ISSUER is set without OIDC_AUDIENCE: the audience its tokens "
                               "must name for this API")
        issuers.append(Issuer(name="oidc", issuer=config["OIDC_ISSUER"],
                              audience=config["OIDC_AUDIENCE"], **common))
    path = config.get("OIDC_CONFIG_FILE")
    if path:
        document = yaml.safe_load(Path(path).read_text()) or {}
        for number, entry in enumerate(document.get("issuers") or [], start=1):
            if not isinstance(entry, dict) or set(entry) - _FIELDS:
                unknown = sorted(set(entry) - _FIELDS) if isinstance(entry, dict) else entry
                raise RuntimeError(f"{path}: issuer {number}: unknown settings {unknown}; "
                                   f"known: {', '.join(sorted(_FIELDS))}")
            settings = dict(entry)
            if "role_claims" in settings:
                settings["role_claims"] = tuple(_as_list(settings["role_claims"]))
            try:
                issuers.append(Issuer(**settings, **common))
            except (TypeError, ValueError) as error:
                raise RuntimeError(f"{path}: issuer {number}: {error}") from error
    try:
        return Issuers(issuers)
    except ValueError as error:
        raise RuntimeError(str(error)) from error


def init_app(app):
    try:
        app.extensions[EXTENSION] = load(app.config)
    except ValueError as error:
        raise RuntimeError(f"OIDC configuration: {error}") from error
    console_issuer(app)  # a console configured for an issuer nobody configured stops the start


def external_issuers(app):
    return app.extensions[EXTENSION]


def origin(url):
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}"


def console_issuer(app):
    """The issuer the console signs staff in with (authorization code flow with PKCE, as a public
    client): the one OIDC_CONSOLE_ISSUER names (default `oidc`, OIDC_ISSUER's), when
    OIDC_CONSOLE_CLIENT_ID is set; None otherwise (the console signs in locally)."""
    if not app.config.get("OIDC_CONSOLE_CLIENT_ID"):
        return None
    name = app.config.get("OIDC_CONSOLE_ISSUER") or "oidc"
    issuer = external_issuers(app).by_name.get(name)
    if issuer is None:
        raise RuntimeError(f"OIDC_CONSOLE_CLIENT_ID is set but no external issuer is named "
                           f"{name!r} (OIDC_CONSOLE_ISSUER)")
    return issuer
