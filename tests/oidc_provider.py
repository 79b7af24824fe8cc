"""An OpenID provider served by the tests on a free port: a discovery document and a key set
(JWKS) over real HTTP, keys that can be rotated, and tokens signed as Entra ID or Keycloak sign
them. The API under test finds the keys as it would a council's provider's (api/issuers.py)."""

import base64
import hashlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

AUDIENCE = "api://mash-front-door"


def _new_key(alg):
    if alg.startswith("ES"):
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    """`issuer` is http://127.0.0.1:{port}/{realm}. `fetches` counts requests per path."""

    def __init__(self, realm="council", alg="RS256", port=0):
        self.alg = alg
        self.keys = {}  # kid -> private key, in the order published
        self.fetches = {"discovery": 0, "jwks": 0}
        self.down = False
        # The authorization endpoint signs in whoever `person` says (claims of the access token
        # it then issues), at once: a council's sign-in page, already passed.
        self.person = {}
        self.authorizations = []  # the query of each authorization request
        self.exchanges = []  # the form of each token request, and what was answered
        self._codes = {}
        self.rotate()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, status, body, cors=False):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                if cors:  # the console's page fetches the token endpoint from its own origin
                    self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                if urlparse(self.path).path != f"/{realm}/token":
                    self.send_error(404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = provider.exchange(form)
                provider.exchanges.append({"form": form, "status": status})
                self._json(status, body, cors=True)

            def do_GET(self):
                if provider.down:
                    self.send_error(503)
                    return
                if urlparse(self.path).path == f"/{realm}/authorize":
                    query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                    provider.authorizations.append(query)
                    self.send_response(302)
                    self.send_header("Location", provider.authorize(query))
                    self.end_headers()
                    return
                if self.path == f"/{realm}/.well-known/openid-configuration":
                    provider.fetches["discovery"] += 1
                    body = provider.discovery()
                elif self.path == f"/{realm}/jwks":
                    provider.fetches["jwks"] += 1
                    body = provider.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}/{realm}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # ---- what it publishes ---------------------------------------------------------------------

    def discovery(self):
        return {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks",
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "id_token_signing_alg_values_supported": [self.alg]}

    def jwks(self):
        algorithm = jwt.get_algorithm_by_name(self.alg)
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(algorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": self.alg})
        return {"keys": keys}

    def rotate(self, keep_old=True):
        """Publish a new signing key (tokens are then signed with it); drop the old unless kept.
        Returns the new key's id."""
        kid = uuid.uuid4().hex[:16]
        if not keep_old:
            self.keys.clear()
        self.keys[kid] = _new_key(self.alg)
        self.current = kid
        return kid

    # ---- the authorization code flow (RFC 6749), with PKCE (RFC 7636) -------------------------

    def authorize(self, query):
        """Where the browser goes next: back to redirect_uri with a code (or an error)."""
        redirect = query.get("redirect_uri", "")
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256" \
                or not query.get("code_challenge"):
            return f"{redirect}?{urlencode({'error': 'invalid_request', 'state': query.get('state', '')})}"
        code = uuid.uuid4().hex
        self._codes[code] = {"challenge": query["code_challenge"], "redirect_uri": redirect,
                             "client_id": query.get("client_id"), "person": dict(self.person)}
        return f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def exchange(self, form):
        """The token endpoint: a code once, for the verifier whose S256 is its challenge."""
        grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"] or form.get("redirect_uri") != grant["redirect_uri"] \
                or form.get("client_id") != grant["client_id"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        return 200, {"access_token": self.entra(**grant["person"]), "token_type": "Bearer",
                     "expires_in": 600}

    # ---- tokens ---------------------------------------------------------------------------------

    def token(self, claims=None, *, kid=None, key=None, alg=None, headers=None, lifetime=600,
              issuer=None, audience=AUDIENCE, drop=()):
        now = int(time.time())
        body = {"iss": issuer or self.issuer, "aud": audience, "iat": now, "nbf": now,
                "exp": now + lifetime, "sub": "subject-1", **(claims or {})}
        for name in drop:
            body.pop(name, None)
        kid = kid or self.current
        signing_key = key if key is not None else self.keys.get(kid, self.keys[self.current])
        return jwt.encode(body, signing_key, algorithm=alg or self.alg,
                          headers={"kid": kid, **(headers or {})})

    def entra(self, roles=("practitioner:mash",), oid="3f2a9c1e-0d5b-4c1a-9a77-2b6f0c9d8e11", *,
              kid=None, lifetime=600, **claims):
        """A token shaped as Microsoft Entra ID (v2.0) issues one for a signed-in person: app
        roles in `roles`, the person's object id in `oid`, a pairwise `sub`, no `jti`."""
        return self.token({"sub": "pairwise-" + oid[:8], "oid": oid, "tid": "tenant-1",
                           "azp": "console-client", "ver": "2.0", "name": "Sam Okafor",
                           "preferred_username": "sam.okafor@council.example",
                           **({"roles": list(roles)} if roles is not None else {}), **claims},
                          drop=() if "jti" in claims else ("jti",), kid=kid, lifetime=lifetime)

    def keycloak(self, realm_roles=("manager:social_care",), client_roles=(), client="mash-api", *,
                 kid=None, lifetime=600, **claims):
        """A token shaped as Keycloak issues one: realm roles in `realm_access.roles`, a client's
        in `resource_access.<client>.roles`, a `jti`, no `nbf`."""
        return self.token({"sub": "6b1f7a2c-4e90-4f0e-8a55-1d2c3b4a5968", "jti": uuid.uuid4().hex,
                           "typ": "Bearer", "azp": "mash-console",
                           "preferred_username": "jo.bloggs",
                           "realm_access": {"roles": list(realm_roles)},
                           "resource_access": {client: {"roles": list(client_roles)}}, **claims},
                          drop=("nbf",), kid=kid, lifetime=lifetime)
