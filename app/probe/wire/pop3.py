"""POP3 status lines, CAPA and STAT (RFC 1939, RFC 2449)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.probe.wire.base import WireError


@dataclass(frozen=True)
class Pop3Status:
    kind: str  # "+OK", "-ERR" or "+" (a SASL continuation, RFC 5034 section 4)
    text: str

    @property
    def ok(self) -> bool:
        return self.kind == "+OK"


_APOP_TIMESTAMP = re.compile(r"<[^<>@\s]+@[^<>\s]+>")


def parse_pop3_status(line: str) -> Pop3Status:
    """``+OK Dovecot (Debian) ready. <32cb.6.6b08fa43.V8Kop…@vm>`` → +OK and its text."""
    # RFC 1939 section 3: a response starts with "+OK" or "-ERR".
    for kind in ("+OK", "-ERR", "+"):
        if line == kind or line.startswith(kind + " "):
            return Pop3Status(kind, line[len(kind) + 1 :])
    raise WireError(f"not a POP3 status line: {line[:80]!r}")


def apop_timestamp(greeting_text: str) -> str | None:
    """The RFC 1939 section 7 timestamp ``<process-id.clock@hostname>``, if any."""
    match = _APOP_TIMESTAMP.search(greeting_text)
    return match.group(0) if match else None


def pop3_multiline_done(line: str) -> bool:
    return line == "."  # RFC 1939 section 3: a lone dot ends a multi-line response


@dataclass(frozen=True)
class Pop3Capabilities:
    keywords: tuple[str, ...]
    sasl: tuple[str, ...]

    @property
    def stls(self) -> bool:
        return "STLS" in self.keywords

    @property
    def user(self) -> bool:
        return "USER" in self.keywords


def parse_pop3_capa(lines: Sequence[str]) -> Pop3Capabilities:
    """The body of a CAPA response (RFC 2449), status line and final dot excluded.

    Dovecot 2.3: ``CAPA TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE STLS USER``
    ``SASL PLAIN LOGIN CRAM-MD5``, one per line.
    """
    keywords: list[str] = []
    sasl: tuple[str, ...] = ()
    for line in lines:
        line = line[1:] if line.startswith("..") else line  # RFC 1939 section 3 dot-stuffing
        words = line.split()
        if not words:
            continue
        keywords.append(words[0].upper())
        if words[0].upper() == "SASL":  # RFC 2449 section 6.3
            sasl = tuple(w.upper() for w in words[1:])
    return Pop3Capabilities(tuple(keywords), sasl)


def parse_pop3_stat(text: str) -> tuple[int, int]:
    """``+OK 2 320`` (text ``2 320``) → (messages, octets), RFC 1939 section 5."""
    parts = text.split()
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        raise WireError(f"not a STAT answer: {text[:80]!r}")
    return int(parts[0]), int(parts[1])
