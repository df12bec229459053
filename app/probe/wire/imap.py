"""IMAP responses, capabilities, literals and command quoting (RFC 3501)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.probe.report import REDACTED
from app.probe.wire.base import ClientLine, WireError
from app.untrusted import has_control


@dataclass(frozen=True)
class ImapResponse:
    tag: str  # "*" untagged, "+" continuation, else the command tag
    status: str | None  # OK NO BAD PREAUTH BYE for status responses, else None
    code: str | None  # the response code inside [...], e.g. "CAPABILITY IMAP4rev1 …"
    text: str  # the rest of the line


_STATUS = ("OK", "NO", "BAD", "PREAUTH", "BYE")
_LITERAL = re.compile(rb"\{(\d{1,9})\+?\}\Z")


def parse_imap_response(line: str) -> ImapResponse:
    """One response line (RFC 3501 section 7). Dovecot 2.3 greeting::

    * OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+
    STARTTLS AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5] Dovecot (Debian) ready.
    """
    tag, _, rest = line.partition(" ")
    if not tag:
        raise WireError(f"not an IMAP response: {line[:80]!r}")
    if tag == "+":  # RFC 3501 section 7.5: continuation request
        return ImapResponse("+", None, None, rest)
    word, _, after = rest.partition(" ")
    status = word.upper() if word.upper() in _STATUS else None
    if status is None:
        if tag != "*":  # section 7.1: a tagged response is always a status response
            raise WireError(f"tagged response without OK/NO/BAD: {line[:80]!r}")
        return ImapResponse(tag, None, None, rest)
    code = None
    if after.startswith("["):  # section 7.1: resp-text-code
        end = after.find("]")
        if end < 0:
            raise WireError(f"unterminated response code: {line[:80]!r}")
        code, after = after[1:end], after[end + 1 :].lstrip()
    return ImapResponse(tag, status, code, after)


def imap_capabilities(responses: Iterable[ImapResponse]) -> tuple[str, ...] | None:
    """The last CAPABILITY list seen, untagged (section 7.2.1) or as a response code."""
    found: tuple[str, ...] | None = None
    for response in responses:
        text = response.code if response.status else response.text
        if text and text.upper().startswith("CAPABILITY "):
            found = tuple(word.upper() for word in text.split()[1:])
    return found


def imap_exists(responses: Iterable[ImapResponse]) -> int | None:
    """``* 3 EXISTS`` from SELECT/EXAMINE (section 7.3.1)."""
    for response in responses:
        parts = response.text.split()
        if response.tag == "*" and len(parts) == 2 and parts[1].upper() == "EXISTS":
            return int(parts[0]) if parts[0].isdigit() else None
    return None


def trailing_literal(raw: bytes) -> int | None:
    """The size n when a server line ends in ``{n}``: n raw bytes follow (section 4.3)."""
    match = _LITERAL.search(raw)
    return int(match.group(1)) if match else None


def imap_quote(value: str) -> str | None:
    """``value`` as a quoted string, or None when it needs a literal.

    RFC 3501 section 9: a quoted string holds 7-bit TEXT-CHARs (no NUL, CR or LF)
    with ``"`` and ``\\`` escaped.
    """
    if not value.isascii() or any(c in value for c in "\0\r\n"):
        return None
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_command(tag: str, verb: str, args: Sequence[tuple[str, bool]]) -> list[ClientLine]:
    """``tag verb arg…`` split at synchronising literals (RFC 3501 section 7.5).

    Each ``(value, secret)`` argument is quoted when it can be, else sent as
    ``{n}`` followed, after the server's ``+``, by the raw bytes. The client
    waits for ``+`` after every line but the last. Secret arguments show as
    ``********``, and a secret literal's size as ``{*}``::

        C: a2 LOGIN "leaky@mail.test" {*}
        S: + OK
        C: ********
        S: a2 NO [AUTHENTICATIONFAILED] Authentication failed.

    An argument holding a control character (CR, LF and NUL among them) raises
    ValueError: the session would refuse the line anyway, and a literal must not
    carry what a quoted string may not.
    """
    if any(has_control(value) for value, _secret in args):
        # A login name or password never needs one; refused before any literal is built.
        raise ValueError(f"an argument of {verb} holds a control character")
    parts: list[ClientLine] = []
    data, shown = f"{tag} {verb}".encode(), f"{tag} {verb}"
    secrets: list[str] = []
    for value, secret in args:
        quoted = imap_quote(value)
        if quoted is not None:
            data += b" " + quoted.encode("ascii")
            shown += " " + (REDACTED if secret else quoted)
            secrets.extend([value, quoted] if secret else [])
            continue
        raw = value.encode("utf-8")
        data += b" {%d}" % len(raw)
        shown += " {*}" if secret else f" {{{len(raw)}}}"
        parts.append(ClientLine(data, shown, tuple(secrets)))
        data, shown = raw, REDACTED if secret else value
        secrets = [value] if secret else []
    parts.append(ClientLine(data, shown, tuple(secrets)))
    return parts
