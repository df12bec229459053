"""SASL PLAIN and LOGIN payloads, and the APOP digest. Every payload is secret."""

from __future__ import annotations

import hashlib

from app.probe.report import REDACTED
from app.probe.wire.base import ClientLine, WireError, b64
from app.untrusted import has_control


class SaslClient:
    """The client side of SASL PLAIN (RFC 4616) and LOGIN; every payload is secret.

    LOGIN (draft-murchison-sasl-login) as Dovecot and aiosmtpd run it::

        C: AUTH LOGIN
        S: 334 VXNlcm5hbWU6          ("Username:")
        C: ********
        S: 334 UGFzc3dvcmQ6          ("Password:")
        C: ********
        S: 235 2.7.0 Authentication successful
    """

    def __init__(self, mechanism: str, username: str, password: str) -> None:
        if mechanism not in {"PLAIN", "LOGIN"}:
            raise ValueError(f"unsupported SASL mechanism {mechanism}")
        if has_control(username) or has_control(password):
            # RFC 4616 section 2: authcid and passwd are UTF8SAFE, NUL excluded.
            raise ValueError("a SASL login name or password holds a control character")
        self.mechanism = mechanism
        self._answers: list[str]
        if mechanism == "PLAIN":
            # RFC 4616 section 2: [authzid] NUL authcid NUL passwd, UTF-8.
            self._answers = [b64(f"\0{username}\0{password}".encode())]
        else:
            self._answers = [b64(username.encode()), b64(password.encode())]

    def initial_response(self) -> str | None:
        """The PLAIN payload to send with the command (RFC 4954, 5034, 4959), or None."""
        return self._answers.pop(0) if self.mechanism == "PLAIN" else None

    def respond(self, _challenge: str) -> ClientLine:
        """The next payload; LOGIN answers username then password, whatever the prompt."""
        if not self._answers:
            raise WireError(f"the server sent one SASL {self.mechanism} challenge too many")
        answer = self._answers.pop(0)
        return ClientLine(answer.encode("ascii"), REDACTED, (answer,))


def apop_digest(timestamp: str, password: str) -> str:
    """RFC 1939 section 7: hex MD5 of the greeting's timestamp followed by the secret."""
    return hashlib.md5((timestamp + password).encode(), usedforsecurity=False).hexdigest()
