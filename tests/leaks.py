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
