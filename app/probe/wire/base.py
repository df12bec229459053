"""What every protocol module shares: the error, server text decoding, client lines."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from app.probe.report import REDACTED


class WireError(ValueError):
    """A line the protocol does not allow."""


def decode(raw: bytes) -> str:
    """Server text as UTF-8, else GBK (QQ Mail sends GBK), else UTF-8 with replacements."""
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


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
