"""The typed result of one live test: frozen pydantic models, safe to serialise.

Nothing here may carry a credential: transcript lines are redacted when they are
written (see :mod:`app.probe.session`), and error messages, findings and their
details name hosts, ports and server text only.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from app.models import ServerEndpoint
from app.net.tls import TLSPolicy as TLSPolicy  # part of TLSInfo
from app.probe.credential import CredentialKind

_FROZEN = ConfigDict(frozen=True, extra="forbid")

REDACTED = "********"


class Mechanism(StrEnum):
    """How the tester logs in. ``AUTO`` picks from what the server advertises."""

    AUTO = "auto"
    COMMAND = "command"  # the protocol's own command: POP3 USER/PASS, IMAP LOGIN
    APOP = "apop"  # POP3 only (RFC 1939 section 7)
    PLAIN = "plain"  # SASL PLAIN (RFC 4616)
    LOGIN = "login"  # SASL LOGIN (draft-murchison-sasl-login)
    XOAUTH2 = "xoauth2"  # an OAuth2 token, Google's and Microsoft's SASL mechanism
    OAUTHBEARER = "oauthbearer"  # an OAuth2 token, RFC 7628

    @property
    def takes_token(self) -> bool:
        return self in {Mechanism.XOAUTH2, Mechanism.OAUTHBEARER}


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

    name: str  # a StepName value (app.probe.steps)
    ok: bool
    duration_ms: float
    detail: str = ""


class AuthStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    NOT_ATTEMPTED = "not-attempted"


class NotAttempted(StrEnum):
    """Why the tester did not log in."""

    STOPPED = "stopped"  # the probe failed before the login
    PLAINTEXT = "plaintext"  # unencrypted, and the caller did not allow it
    INSECURE_TLS = "insecure-tls"  # the TLS session failed verification
    NOT_OFFERED = "not-offered"  # no mechanism the tester can use is on offer
    LOGINDISABLED = "logindisabled"  # IMAP LOGINDISABLED (RFC 3501 section 6.2.3)
    PREAUTH = "preauth"  # IMAP PREAUTH greeting


class AuthOutcome(BaseModel):
    """``detail`` is the server's answer when tried, or why the login was not tried;
    ``challenge`` the error a server sent as a SASL challenge before refusing a token,
    decoded (RFC 7628 section 3.2.2: JSON such as ``{"status":"invalid_token"}``)."""

    model_config = _FROZEN

    status: AuthStatus
    mechanism: Mechanism | None = None
    detail: str = ""
    not_attempted: NotAttempted | None = None
    challenge: str = ""


class CertificateInfo(BaseModel):
    """One certificate as the server sent it."""

    model_config = _FROZEN

    subject: str  # RFC 4514
    issuer: str
    sans: tuple[str, ...] = ()  # DNS names and IP addresses
    not_before: dt.datetime
    not_after: dt.datetime
    serial: str  # hex
    sha256: str  # hex fingerprint of the DER
    self_signed: bool  # subject equals issuer
    ca: bool  # basicConstraints CA:TRUE
    ca_issuers: tuple[str, ...] = ()  # Authority Information Access caIssuers URLs


class TLSInfo(BaseModel):
    """The TLS session and OpenSSL's verdict on it.

    ``verified`` means OpenSSL accepted the chain and the host name. When it did
    not, ``verify_code``/``verify_message`` give its reason (X509_V_ERR_*), and
    the chain comes from a second, unverified handshake (policy ``inspect``).
    """

    model_config = _FROZEN

    via: str  # a TlsVia value (app.probe.steps)
    policy: TLSPolicy = TLSPolicy.STRICT
    version: str | None  # None when no handshake completed
    cipher: str | None
    verified: bool = False
    verify_code: int | None = None
    verify_message: str | None = None
    chain: tuple[CertificateInfo, ...] = ()  # leaf first, as the server sent it
    days_to_expiry: int | None = None  # of the leaf, at the time of the probe

    @property
    def leaf(self) -> CertificateInfo | None:
        return self.chain[0] if self.chain else None


class SmtpFeatures(BaseModel):
    """The EHLO keywords a submission client cares about (RFC 1870, 6152, 6531, 2920)."""

    model_config = _FROZEN

    size: int | None = None
    eightbitmime: bool = False
    smtputf8: bool = False
    pipelining: bool = False


class Reason(StrEnum):
    """What stopped the probe, decided where it happened."""

    GUARD_REFUSED = "guard-refused"
    DNS_NOT_FOUND = "dns-not-found"
    DNS_TIMEOUT = "dns-timeout"
    CONNECT_REFUSED = "connect-refused"
    CONNECT_TIMEOUT = "connect-timeout"
    CONNECT_FAILED = "connect-failed"
    CLOSED = "closed"  # the peer closed or reset the connection
    SILENT = "silent"  # the server never sent a byte
    SLOW = "slow"  # answers came, but too slowly
    OVERSIZED = "oversized"  # a line or response over the caps
    PROTOCOL_VIOLATION = "protocol-violation"
    WRONG_PROTOCOL = "wrong-protocol"  # the server speaks something else (ErrorInfo.speaks)
    PORT_PLAINTEXT = "port-plaintext"  # implicit TLS asked, the port greets in plain text
    PORT_NEEDS_TLS = "port-needs-tls"  # plain or STARTTLS asked, the port wants TLS at once
    SESSION_REFUSED = "session-refused"  # greeting or EHLO/HELO refused
    STARTTLS_NOT_OFFERED = "starttls-not-offered"
    STARTTLS_REFUSED = "starttls-refused"
    TLS_CERTIFICATE = "tls-certificate"  # OpenSSL rejected the certificate
    TLS_VERSION = "tls-version"  # no common protocol version
    TLS_GARBLED = "tls-garbled"  # the answer to the handshake was not TLS
    TLS_HANDSHAKE = "tls-handshake"  # any other handshake failure
    SERVICE_BUSY = "service-busy"  # no probe slot before the deadline: the tester's capacity
    OTHER = "other"


class ErrorInfo(BaseModel):
    model_config = _FROZEN

    type: str  # the exception class name, e.g. "ProbeTLSError"
    message: str
    reason: Reason = Reason.OTHER
    step: str | None = None  # the StepName of the step that failed
    speaks: str | None = None  # what the server seems to speak instead, e.g. "HTTP"
    reply: str = ""  # the server's answer that caused the error, when one did


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    """Stable finding codes; their texts live in :mod:`app.probe.catalogue`."""

    DNS_NOT_FOUND = "dns-not-found"
    DNS_TIMEOUT = "dns-timeout"
    GUARD_REFUSED = "guard-refused"
    CONNECTION_REFUSED = "connection-refused"
    CONNECTION_TIMEOUT = "connection-timeout"
    CONNECTION_FAILED = "connection-failed"
    SERVER_CLOSED = "server-closed"
    SERVER_SILENT = "server-silent"
    SERVER_SLOW = "server-slow"
    SERVER_OVERSIZED = "server-oversized"
    SERVER_REFUSED_SESSION = "server-refused-session"
    PROTOCOL_VIOLATION = "protocol-violation"
    WRONG_PROTOCOL = "wrong-protocol"
    PORT_PLAINTEXT = "port-plaintext"
    PORT_NEEDS_TLS = "port-needs-tls"
    CONNECTION_UNENCRYPTED = "connection-unencrypted"
    STARTTLS_NOT_OFFERED = "starttls-not-offered"
    STARTTLS_REFUSED = "starttls-refused"
    STARTTLS_INJECTION = "starttls-injection"
    TLS_GARBLED = "tls-garbled"
    TLS_HANDSHAKE_FAILED = "tls-handshake-failed"
    TLS_OUTDATED = "tls-outdated"
    TLS_WEAK = "tls-weak"
    CERT_EXPIRED = "tls-certificate-expired"
    CERT_NOT_YET_VALID = "tls-certificate-not-yet-valid"
    CERT_SELF_SIGNED = "tls-certificate-self-signed"
    CERT_UNKNOWN_ISSUER = "tls-certificate-unknown-issuer"
    CERT_MISSING_INTERMEDIATE = "tls-certificate-missing-intermediate"
    CERT_HOSTNAME_MISMATCH = "tls-certificate-hostname-mismatch"
    CERT_INVALID = "tls-certificate-invalid"
    CERT_EXPIRING = "tls-certificate-expiring"
    PASSWORD_NOT_SENT_TLS = "password-not-sent-tls"  # noqa: S105 - a finding code, not a secret
    PASSWORD_NOT_SENT_PLAINTEXT = "password-not-sent-plaintext"  # noqa: S105 - a finding code, not a secret
    PLAINTEXT_LOGIN_REFUSED = "plaintext-login-refused"
    AUTH_NOT_OFFERED = "auth-not-offered"
    AUTH_FAILED = "auth-failed"
    AUTH_PREAUTH = "auth-preauth"  # IMAP PREAUTH: logged in before any password
    APOP_REFUSED = "apop-refused"
    AUTH_NEEDS_AUTHORIZATION_CODE = "auth-needs-authorization-code"
    AUTH_NEEDS_APP_PASSWORD = "auth-needs-app-password"  # noqa: S105 - a finding code, not a secret
    AUTH_NEEDS_OAUTH2 = "auth-needs-oauth2"
    AUTH_WECHAT_SECURE_LOGIN = "auth-wechat-secure-login"
    AUTH_TEMPORARY = "auth-temporary-failure"  # the server could not check the login now
    OAUTH_NOT_OFFERED = "oauth-not-offered"  # a token was given; no XOAUTH2 or OAUTHBEARER
    OAUTH_TOKEN_INVALID = "oauth-token-invalid"  # noqa: S105 - a finding code; expired, revoked, or another account's
    OAUTH_SCOPE_MISSING = "oauth-scope-missing"  # the token does not allow mail access
    OAUTH_REFUSED_MICROSOFT = "oauth-refused-microsoft"  # Microsoft said no, not why
    OAUTH_REFUSED = "oauth-refused"  # any other server said no, not why
    SMTP_AUTH_OFF_TENANT = "smtp-auth-disabled-tenant"  # Microsoft 365, 535 5.7.139
    SMTP_AUTH_OFF_MAILBOX = "smtp-auth-disabled-mailbox"  # Microsoft 365, 535 5.7.139
    SERVICE_DISABLED = "service-disabled"
    LOGIN_IP_DENIED = "login-ip-denied"
    UNSAFE_LOGIN = "unsafe-login"
    MAILBOX_UNAVAILABLE = "mailbox-unavailable"
    SERVER_ERROR = "server-error"  # the server failed a step on its side, quoted in the detail
    PROBE_ERROR = "probe-error"  # a fault of the tester's own; never the server's
    SERVICE_BUSY = "service-busy"
    SERVICE_OFFLINE = "service-offline"  # the tester cannot reach mail servers at all


class Finding(BaseModel):
    """One diagnosis: what went wrong, in plain words, and what to do about it.

    ``message`` and ``fix`` are in the language asked for; ``detail`` is the
    server's own text or the tester's technical note, untranslated.
    """

    model_config = _FROZEN

    code: Code
    severity: Severity
    message: str
    fix: str
    detail: str = ""


class ProbeResult(BaseModel):
    """Everything one probe saw. ``ok`` means: no error, login worked, every step passed."""

    model_config = _FROZEN

    endpoint: ServerEndpoint
    username: str
    credential: CredentialKind = CredentialKind.PASSWORD  # what the login was tried with
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
    findings: tuple[Finding, ...] = ()  # computed by app.probe.diagnose
