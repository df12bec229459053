"""A probe result built by hand, for the diagnosis tests that need no server."""

from __future__ import annotations

from typing import Any

from app.models import Protocol, Security, ServerEndpoint
from app.probe.report import AuthOutcome, AuthStatus, NotAttempted, ProbeResult

EP = ServerEndpoint(
    protocol=Protocol.IMAP, host="imap.example.com", port=993, security=Security.TLS
)


def make(**fields: Any) -> ProbeResult:
    """A result for :data:`EP` that stopped before the login, with ``fields`` replaced."""
    values: dict[str, Any] = {
        "endpoint": EP,
        "username": "u@example.com",
        "ok": False,
        "duration_ms": 1.0,
        "auth": AuthOutcome(status=AuthStatus.NOT_ATTEMPTED, not_attempted=NotAttempted.STOPPED),
    }
    values.update(fields)
    return ProbeResult(**values)
