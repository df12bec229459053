"""What every protocol module shares: the error, server text decoding, client lines."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from app.errors import MailsetupError
from app.probe.report import REDACTED


class WireError(MailsetupError, ValueError):
    """A line the protocol does not allow; the session turns it into ProtocolViolation."""


def decode(raw: bytes) -> str:
    """Server text as UTF-8, else GBK (QQ Mail sends GBK), else UTF-8 with replacements."""
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


_SMTP_REPLY = re.compile(r"[2-5][0-9][0-9][ -]")


def identify(data: bytes) -> str | None:
    """The protocol a peer's first bytes belong to, if recognisable.

    ``TLS`` (a handshake or alert record, RFC 8446 section 5.1), ``HTTP``,
    ``SSH``, ``IMAP`` (``* OK``), ``POP3`` (``+OK``/``-ERR``) or ``SMTP``
    (``220 ``); the names match :class:`app.models.Protocol` member names.
    """
    if len(data) >= 2 and data[0] in (0x15, 0x16) and data[1] == 0x03:
        return "TLS"
    text = data[:64].decode("latin-1").lstrip().upper()
    prefixes = (
        ("HTTP/", "HTTP"),
        ("SSH-", "SSH"),
        ("* OK", "IMAP"),
        ("* PREAUTH", "IMAP"),
        ("* BYE", "IMAP"),
        ("+OK", "POP3"),
        ("-ERR", "POP3"),
    )
    for prefix, name in prefixes:
        if text.startswith(prefix):
            return name
    return "SMTP" if _SMTP_REPLY.match(text) else None


@dataclass(frozen=True)
class ClientLine:
    """One line to send (without CRLF), how the transcript shows it, and its secrets."""

    data: bytes
    shown: str
    secrets: tuple[str, ...] = ()

    @classmethod
    def plain(cls, text: str) -> ClientLine:
        return cls(text.encode("utf-8"), text)

    @classmethod
    def secret(cls, prefix: str, secret: str, suffix: str = "") -> ClientLine:
        """``prefix + secret + suffix``, shown as ``prefix ******** suffix``."""
        data = (prefix + secret + suffix).encode("utf-8")
        return cls(data, prefix + REDACTED + suffix, (secret,))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
