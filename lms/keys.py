"""The tool's key pair: an RSA private key only the hub's account reads (0600, in `<root>/hub/lms/`, a 0700
directory students cannot enter), and the public half as a JWKS the platform fetches to check the tool's
signed assertions (served by the hub at `/hub/lti13/jwks`, medai.hub.lti)."""
from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from medai.errors import UserError

KEY_NAME = "tool-key.pem"
JWKS_NAME = "jwks.json"


class ToolKeyError(UserError):
    """The tool's key is missing, unreadable or readable by others."""


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def ensure_key(path: Path) -> Path:
    """Create the tool's 2048-bit RSA key at `path` (0600) unless it is there; refuse a key others can read."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ToolKeyError(f"{path} is readable by others (mode {mode:o}): chmod 600 it")
        return path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    _write_private(path, pem)
    return path


def load_key(path: Path) -> rsa.RSAPrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ToolKeyError(f"no tool key at {path}: run `medai lms keys`") from None
    if path.stat().st_mode & 0o077:
        raise ToolKeyError(f"{path} is readable by others: chmod 600 it")
    return serialization.load_pem_private_key(data, password=None)


def public_jwk(key: rsa.RSAPrivateKey) -> dict:
    """The public key as a JWK, with its RFC 7638 thumbprint as `kid` (stable for one key)."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    members = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def jwks(key: rsa.RSAPrivateKey) -> dict:
    return {"keys": [public_jwk(key)]}


def write_jwks(key_path: Path) -> Path:
    """Write the public JWKS beside the key (readable: it is public) for the hub to serve."""
    out = key_path.with_name(JWKS_NAME)
    out.write_text(json.dumps(jwks(load_key(key_path)), indent=1), encoding="utf-8")
    out.chmod(0o644)
    return out
