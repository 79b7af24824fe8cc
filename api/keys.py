"""The keys tokens are signed and checked with, and flask-jwt-extended's settings for them.

Production passes PEM text (or a path) in the environment; a development machine gets a key
pair made once under instance/. Only asymmetric algorithms: a key that can check a token cannot
make one.

Rotating the signing key (README, "Rotating the token signing key") needs a while in which both
keys are accepted: `JWT_PUBLIC_KEY` may hold several public keys, one PEM block after another,
and a token signed by any of them is accepted. Each key is known by its id (`kid`: its SHA-256
thumbprint, RFC 7638), which every token and checkpoint we sign names in its header, so the
right key is found at once. A key retired for tokens stays in `JWT_RETIRED_PUBLIC_KEYS` (or
`_FILE`) to check the audit checkpoints it signed, and never a token.
"""

import base64
import hashlib
import json
import os
import re
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# app.extensions keys: {kid: loaded public key} that check tokens (api/caller.py); the same and
# the retired keys, that check audit checkpoints (api/audit.py); the signing key's kid.
VERIFICATION_KEYS = "token_verification_keys"
CHECKPOINT_KEYS = "checkpoint_verification_keys"
SIGNING_KID = "token_signing_kid"

_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


def key_id(public_key):
    """The key's RFC 7638 thumbprint (base64url SHA-256 of its canonical JWK): its `kid`."""
    jwk = json.loads(_to_jwk(public_key))
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"),
                           sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(
        b"=").decode()


def _to_jwk(public_key):
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ECAlgorithm.to_jwk(public_key)
    return RSAAlgorithm.to_jwk(public_key)


def load_public_keys(text):
    """{kid: key} of every PEM public key in `text` (one or more blocks), in the order given."""
    blocks = _PEM_BLOCK.findall(text or "")
    if not blocks and (text or "").strip():
        raise RuntimeError("JWT_PUBLIC_KEY holds no PEM public key (-----BEGIN PUBLIC KEY-----)")
    keys = {}
    for block in blocks:
        key = serialization.load_pem_public_key(block.encode())
        keys[key_id(key)] = key
    return keys

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


def secret_file_once(path, make):
    """The text of the secret file at `path`, written once (mode 600) with `make()` if it is not
    there. Two workers starting together: the first link wins; the other reads the winner's."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
        try:
            os.link(staged, path)
        except FileExistsError:
            pass
        finally:
            staged.unlink()
    return path.read_text()


def _development_keys(instance_dir):
    """Load, or create once, a development key pair under instance/ (never used in production)."""
    instance_dir = Path(instance_dir)
    instance_dir.mkdir(parents=True, exist_ok=True)
    private_pem = secret_file_once(instance_dir / "jwt-es256.pem",
                                   lambda: generate_key_pair()[0])
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


def configure_keys(app):
    """Load (or make, in development) the key pair, and set flask-jwt-extended's options from
    the configuration: algorithm, issuer, audience, lifetimes, leeway; tokens in headers only."""
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
    # Loaded once: PyJWT would otherwise load the PEM text again for every token it checks.
    keys = load_public_keys(public_key)
    retired = load_public_keys(_read(config.get("JWT_RETIRED_PUBLIC_KEYS"),
                                     config.get("JWT_RETIRED_PUBLIC_KEYS_FILE")))
    app.extensions[VERIFICATION_KEYS] = keys
    app.extensions[CHECKPOINT_KEYS] = {**keys, **retired}
    app.extensions[SIGNING_KID] = None
    if private_key:
        signing = serialization.load_pem_private_key(private_key.encode(), password=None)
        kid = key_id(signing.public_key())
        if kid not in keys:
            raise RuntimeError(
                "JWT_PRIVATE_KEY's public half is not among JWT_PUBLIC_KEY's keys: the tokens "
                "this server signs would be refused. Accept the new public key first (README, "
                "'Rotating the token signing key').")
        app.extensions[SIGNING_KID] = kid


