"""The sign-in in progress, sealed into a cookie: encrypted and authenticated (Fernet,
AES-128-CBC with HMAC-SHA256) under a key derived from ``MAILSETUP_SECRET_KEY`` (or
random per process), and valid for :data:`FLOW_TTL` seconds. It holds the PKCE verifier,
so it never travels to the provider; the ``state`` parameter that does is a nonce the
cookie must repeat."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass

from cryptography.fernet import Fernet, InvalidToken

from app.settings import Settings

FLOW_TTL = 600  # seconds from "Sign in" to the provider's redirect back
COOKIE = "mailsetup_signin"
MAX_COOKIE = 3000  # bytes: a sealed flow is about 500; anything longer is not ours


@dataclass(frozen=True)
class Flow:
    """What the callback needs: the nonce sent as ``state``, the PKCE verifier, and the
    test to run (address, provider file, mail app, login name, servers as typed)."""

    nonce: str
    verifier: str
    email: str
    provider_id: str
    client: str = ""
    username: str = ""
    servers: str = ""


class Sealer:
    def __init__(self, key: bytes) -> None:
        derived = hashlib.sha256(b"mailsetup sign-in\x00" + key).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        """``MAILSETUP_SECRET_KEY``, or a random key for this process."""
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(secrets.token_bytes(32))

    def seal(self, flow: Flow) -> str:
        return self._fernet.encrypt(json.dumps(asdict(flow)).encode()).decode("ascii")

    def open(self, sealed: str) -> Flow | None:
        """The flow, or None when the cookie is not ours, was altered or has expired."""
        if not sealed or len(sealed) > MAX_COOKIE or not sealed.isascii():
            return None
        try:
            data = json.loads(self._fernet.decrypt(sealed.encode("ascii"), ttl=FLOW_TTL))
            return Flow(**data)
        except (InvalidToken, ValueError, TypeError):
            return None
