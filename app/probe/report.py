"""The typed result of one live test: frozen pydantic models, safe to serialise.

Nothing here may carry a credential: transcript lines are redacted when they are
written (see :mod:`app.probe.session`), and error messages name hosts, ports and
server text only.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from app.models import ServerEndpoint

_FROZEN = ConfigDict(frozen=True, extra="forbid")

REDACTED = "********"


class Mechanism(StrEnum):
    """How the tester logs in. ``AUTO`` picks from what the server advertises."""

    AUTO = "auto"
    COMMAND = "command"  # the protocol's own command: POP3 USER/PASS, IMAP LOGIN
    APOP = "apop"  # POP3 only (RFC 1939 section 7)
    PLAIN = "plain"  # SASL PLAIN (RFC 4616)
    LOGIN = "login"  # SASL LOGIN (draft-murchison-sasl-login)


class Direction(StrEnum):
    CLIENT = "C"
    SERVER = "S"
    NOTE = "*"  # something the tester observed or did (TLS up, bytes discarded)


class TranscriptEntry(BaseModel):
    model_config = _FROZEN

    t_ms: float  # milliseconds since the probe started
    direction: Direction
    line: str


class StepResult(BaseModel):
    model_config = _FROZEN

    name: str
    ok: bool
    duration_ms: float
    detail: str = ""


class AuthStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    NOT_ATTEMPTED = "not-attempted"


class AuthOutcome(BaseModel):
    """``detail`` is the server's answer when tried, or why the login was not tried."""

    model_config = _FROZEN

    status: AuthStatus
    mechanism: Mechanism | None = None
    detail: str = ""


class TLSInfo(BaseModel):
    """The negotiated session; issue 5 (TLS inspection) adds the certificate chain."""

    model_config = _FROZEN

    via: str  # "implicit" or "starttls"
    version: str | None
    cipher: str | None


class SmtpFeatures(BaseModel):
    """The EHLO keywords a submission client cares about (RFC 1870, 6152, 6531, 2920)."""

    model_config = _FROZEN

    size: int | None = None
    eightbitmime: bool = False
    smtputf8: bool = False
    pipelining: bool = False


class ErrorInfo(BaseModel):
    model_config = _FROZEN

    type: str  # the exception class name, e.g. "ProbeTLSError"
    message: str


class ProbeResult(BaseModel):
    """Everything one probe saw. ``ok`` means: no error, login worked, every step passed."""

    model_config = _FROZEN

    endpoint: ServerEndpoint
    username: str
    address: str | None = None  # the vetted IP actually connected to
    ok: bool
    duration_ms: float
    steps: tuple[StepResult, ...] = ()
    capabilities: tuple[str, ...] = ()  # as advertised last (after TLS and login)
    auth_mechanisms: tuple[str, ...] = ()  # SASL mechanisms on offer
    apop_timestamp: bool = False  # POP3 greeting carried an APOP timestamp
    smtp: SmtpFeatures | None = None
    tls: TLSInfo | None = None
    starttls_discarded_bytes: int = 0  # plaintext received before the TLS handshake
    auth: AuthOutcome
    transcript: tuple[TranscriptEntry, ...] = ()
    error: ErrorInfo | None = None
