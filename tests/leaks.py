"""Every form a password takes on the wire, for tests that search logs and responses."""

from __future__ import annotations

import base64
import hashlib
import re

from app.probe.report import ProbeResult


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def secret_forms_plain(username: str, password: str) -> set[str]:
    """Raw, IMAP-quoted, IMAP literal, SASL PLAIN and LOGIN base64, and escaped forms."""
    return {
        password,
        '"' + password.replace("\\", "\\\\").replace('"', '\\"') + '"',  # IMAP quoted
        f"{{{len(password.encode())}}}\r\n{password}",  # IMAP literal
        _b64(f"\0{username}\0{password}".encode()),  # AUTH PLAIN
        _b64(f"{username}\0{password}".encode()),
        _b64(password.encode()),  # AUTH LOGIN
        password.encode("unicode_escape").decode(),
        password.encode("unicode_escape").decode().replace("\\", "\\\\"),  # inside JSON strings
    }


def secret_forms(username: str, password: str, result: ProbeResult) -> set[str]:
    """:func:`secret_forms_plain`, and the APOP digest for every timestamp the server sent."""
    forms = secret_forms_plain(username, password)
    for entry in result.transcript:
        for stamp in re.findall(r"<[^<>@\s]+@[^<>\s]+>", entry.line):
            forms.add(hashlib.md5((stamp + password).encode()).hexdigest())  # noqa: S324
    return forms


TOKEN_PIECE = 16  # the tester withholds server lines that repeat this many characters


def token_forms(username: str, token: str) -> set[str]:
    """Every form an access token takes: itself, every 16-character piece of it, and
    the XOAUTH2 and OAUTHBEARER payloads (whole, and from their start)."""
    pieces = {token[i : i + TOKEN_PIECE] for i in range(max(1, len(token) - TOKEN_PIECE + 1))}
    xoauth2 = _b64(f"user={username}\x01auth=Bearer {token}\x01\x01".encode())
    bearer = _b64(f"n,a={username},\x01auth=Bearer {token}".encode())
    return {token, *pieces, xoauth2, xoauth2[:40], bearer[:40]}


def assert_no_token(text: str, username: str, token: str) -> None:
    """Fail, without printing it, if ``text`` holds any form of ``token``."""
    for form in token_forms(username, token):
        assert form not in text, f"a {len(form)}-character form of the token leaked"
