"""SASL payloads (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) and the APOP digest. Every
payload is secret."""

from __future__ import annotations

import base64
import binascii
import hashlib

from app.probe.credential import check_token
from app.probe.report import REDACTED
from app.probe.wire.base import ClientLine, WireError, b64
from app.untrusted import has_control

PASSWORD_MECHANISMS = frozenset({"PLAIN", "LOGIN"})
TOKEN_MECHANISMS = frozenset({"XOAUTH2", "OAUTHBEARER"})
# After an error challenge the client ends the exchange with this, and the server then
# sends its final failure: XOAUTH2 an empty line (Google's and Microsoft's documents),
# OAUTHBEARER a single %x01 (RFC 7628 section 3.2.3).
_AFTER_ERROR = {"XOAUTH2": "", "OAUTHBEARER": b64(b"\x01")}
_CHALLENGE_SHOWN = 512  # characters of a decoded error challenge kept


def _saslname(login: str) -> str:
    """RFC 5801 section 4: ``=`` and ``,`` escaped in the GS2 authzid."""
    return login.replace("=", "=3D").replace(",", "=2C")


def _payload(mechanism: str, username: str, secret: str, host: str, port: int) -> list[str]:
    if mechanism == "PLAIN":  # RFC 4616 section 2: [authzid] NUL authcid NUL passwd
        return [b64(f"\0{username}\0{secret}".encode())]
    if mechanism == "LOGIN":
        return [b64(username.encode()), b64(secret.encode())]
    if mechanism == "XOAUTH2":  # developers.google.com/workspace/gmail/imap/xoauth2-protocol
        return [b64(f"user={username}\x01auth=Bearer {secret}\x01\x01".encode())]
    # RFC 7628 section 3.1: gs2-header, then key=value pairs, each ended by %x01
    where = f"host={host}\x01port={port}\x01" if host else ""
    message = f"n,a={_saslname(username)},\x01{where}auth=Bearer {secret}\x01\x01"
    return [b64(message.encode())]


def decode_challenge(challenge: str) -> str:
    """A server's error challenge as text (JSON for XOAUTH2 and OAUTHBEARER), or the
    challenge itself when it is not base64."""
    try:
        raw = base64.b64decode(challenge.strip(), validate=True)
    except (binascii.Error, ValueError):
        return challenge[:_CHALLENGE_SHOWN]
    return raw.decode("utf-8", errors="replace")[:_CHALLENGE_SHOWN]


class SaslClient:
    """The client side of one SASL exchange; every payload is secret.

    PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), XOAUTH2 (Google's and
    Microsoft's) and OAUTHBEARER (RFC 7628). LOGIN as Dovecot and aiosmtpd run it::

        C: AUTH LOGIN
        S: 334 VXNlcm5hbWU6          ("Username:")
        C: ********
        S: 334 UGFzc3dvcmQ6          ("Password:")
        C: ********
        S: 235 2.7.0 Authentication successful

    A refused token gets an error challenge first (Dovecot's XOAUTH2 one decodes to
    ``{"status":"401","schemes":"bearer","scope":"mail"}``); the client answers it as
    the mechanism says and the failure follows::

        C: AUTH XOAUTH2 ********
        S: 334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=
        C:
        S: 535 5.7.8 Authentication failed.
    """

    def __init__(
        self, mechanism: str, username: str, secret: str, *, host: str = "", port: int = 0
    ) -> None:
        if mechanism not in PASSWORD_MECHANISMS | TOKEN_MECHANISMS:
            raise ValueError(f"unsupported SASL mechanism {mechanism}")
        if has_control(username) or has_control(secret):
            # RFC 4616 section 2: authcid and passwd are UTF8SAFE, NUL excluded; %x01
            # separates XOAUTH2's and OAUTHBEARER's fields.
            raise ValueError("a SASL login name or secret holds a control character")
        if mechanism in TOKEN_MECHANISMS:
            check_token(secret)
        self.mechanism = mechanism
        self.error_challenge: str | None = None  # decoded, when the server sent one
        self._answers = _payload(mechanism, username, secret, host, port)

    @property
    def has_initial_response(self) -> bool:
        return self.mechanism != "LOGIN"

    def command(self, prefix: str, *, initial: bool = True, max_line: int = 0) -> ClientLine:
        """``prefix MECHANISM``, with the initial response when ``initial`` is set and the
        line (CRLF included) fits ``max_line`` octets (0: no limit). RFC 4954 section 4 and
        RFC 5034 section 4: a response too long for the command line goes in answer to
        the server's empty challenge instead."""
        verb = f"{prefix} {self.mechanism}"
        if initial and self.has_initial_response:
            line = f"{verb} {self._answers[0]}"
            if not max_line or len(line) + 2 <= max_line:
                return ClientLine.secret(f"{verb} ", self._answers.pop(0))
        return ClientLine.plain(verb)

    def respond(self, challenge: str) -> ClientLine:
        """The next payload; LOGIN answers username then password, whatever the prompt.
        A token mechanism whose payload is gone got an error challenge: keep it, and
        answer so that the server sends its final failure."""
        if self._answers:
            answer = self._answers.pop(0)
            return ClientLine(answer.encode("ascii"), REDACTED, (answer,))
        if self.mechanism in TOKEN_MECHANISMS and self.error_challenge is None:
            self.error_challenge = decode_challenge(challenge)
            return ClientLine.plain(_AFTER_ERROR[self.mechanism])
        raise WireError(f"the server sent one SASL {self.mechanism} challenge too many")


def apop_digest(timestamp: str, password: str) -> str:
    """RFC 1939 section 7: hex MD5 of the greeting's timestamp followed by the secret."""
    return hashlib.md5((timestamp + password).encode(), usedforsecurity=False).hexdigest()
