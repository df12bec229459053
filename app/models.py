"""Domain types shared by the provider database, discovery, the tester and the documents.

All of them are frozen pydantic models or string enums, so they can be cached,
hashed and serialised to JSON as they are.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from app.errors import InvalidAddress
from app.hostnames import normalize_domain, to_unicode
from app.i18n import locale_of
from app.trace_outcome import TraceOutcome as TraceOutcome
from app.untrusted import has_control, is_utf8

LANGS = ("en", "zh-Hans", "zh-Hant")


class Protocol(StrEnum):
    IMAP = "imap"
    POP3 = "pop3"
    SMTP = "smtp"

    @property
    def incoming(self) -> bool:
        return self is not Protocol.SMTP


class Security(StrEnum):
    """How a connection is protected: implicit TLS, STARTTLS upgrade, or not at all."""

    TLS = "tls"
    STARTTLS = "starttls"
    NONE = "none"


class AuthMethod(StrEnum):
    """What the user must present. The first three all travel as a plain password."""

    PASSWORD = "password"  # noqa: S105 - a method name, not a secret
    APP_PASSWORD = "app-password"  # noqa: S105 - a method name, not a secret
    AUTHORIZATION_CODE = "authorization-code"
    OAUTH2 = "oauth2"
    PASSWORD_ENCRYPTED = "password-encrypted"  # noqa: S105 - a method name, not a secret
    NTLM = "ntlm"
    GSSAPI = "gssapi"
    CLIENT_CERT = "client-cert"
    NONE = "none"

    @property
    def is_password(self) -> bool:
        return self in _PASSWORD_LIKE


_PASSWORD_LIKE = frozenset(
    {AuthMethod.PASSWORD, AuthMethod.APP_PASSWORD, AuthMethod.AUTHORIZATION_CODE}
)


class Status(StrEnum):
    OK = "ok"
    PREPARATION = "preparation"  # the user must act first (turn on IMAP, create a code)
    BROKEN = "broken"
    RETIRED = "retired"
    NO_MAIL_APPS = "no-mail-apps"  # the service runs, but offers mail apps no server

    @property
    def has_servers(self) -> bool:
        """Whether a provider with this status lists servers for mail apps."""
        return self not in (Status.RETIRED, Status.NO_MAIL_APPS)


class Quirk(StrEnum):
    """Machine-readable facts the tester and the guides act on."""

    IMAP_ID_REQUIRED = "imap-id-required"  # NetEase: SELECT fails until the client sends ID
    BRIDGE_ONLY = "bridge-only"  # Proton: only through a local bridge program
    OAUTH2_ONLY = "oauth2-only"  # no password login at all
    GBK_ERRORS = "gbk-errors"  # server error text may be GBK, not UTF-8
    ADMIN_MAY_BLOCK = "admin-may-block"  # an organisation's admin can switch clients off


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Source(StrEnum):
    """Where an answer came from."""

    DATABASE = "database"
    AUTOCONFIG = "autoconfig"
    ISPDB = "ispdb"
    ISPDB_SNAPSHOT = "ispdb-snapshot"  # the copy of ISPDB shipped in data/ispdb/
    MX = "mx"
    SRV = "srv"
    GUESS_VERIFIED = "guess-verified"


_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Localized(BaseModel):
    """One text in English, Simplified Chinese and Traditional Chinese."""

    model_config = _FROZEN

    en: NonEmpty
    zh_hans: NonEmpty = Field(alias="zh-Hans")
    zh_hant: NonEmpty = Field(alias="zh-Hant")

    def get(self, lang: str) -> str:
        """The text in ``lang`` (a BCP 47 tag), falling back to English."""
        locale = locale_of(lang)
        if locale is None:
            return self.en
        return self.zh_hant if locale == "zh_Hant" else self.zh_hans


PLACEHOLDERS = ("%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%")
_PLACEHOLDER_RE = re.compile(r"%[A-Z]+%")
# RFC 5322 dot-atom of ASCII atext: the common case, checked without email-validator.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def check_username_template(value: str) -> str:
    """Accept ``address``, ``localpart`` or a template using only Mozilla's placeholders."""
    shortcuts = {"address": "%EMAILADDRESS%", "localpart": "%EMAILLOCALPART%"}
    value = shortcuts.get(value, value)
    unknown = [p for p in _PLACEHOLDER_RE.findall(value) if p not in PLACEHOLDERS]
    if unknown:
        raise ValueError(f"unknown placeholder {unknown[0]}; use one of {', '.join(PLACEHOLDERS)}")
    if not value.strip() or any(c.isspace() for c in value):
        raise ValueError("username template must be non-empty and contain no spaces")
    if has_control(value) or not is_utf8(value):  # it becomes part of a login command
        raise ValueError("username template must not contain control characters")
    return value


class EmailAddress(BaseModel):
    """A parsed, validated address; ``domain`` is the lower-case IDNA A-label form."""

    model_config = _FROZEN

    local: str
    domain: str
    domain_unicode: str

    @property
    def address(self) -> str:
        return f"{self.local}@{self.domain}"

    @classmethod
    def parse(cls, text: str) -> EmailAddress:
        """Parse ``text``; raise :class:`InvalidAddress` with a readable reason."""
        text = text.strip()
        if len(text) > 320:
            raise InvalidAddress("an email address is at most 320 characters long")
        if "@" not in text:
            raise InvalidAddress(f"{text!r} is not an email address: it has no @")
        local, _, domain_part = text.rpartition("@")
        domain = normalize_domain(domain_part)
        if len(local) <= 64 and _DOT_ATOM.fullmatch(local):  # RFC 5321 §4.5.3.1.1
            # Checked above, so built without validating again (this is on every lookup).
            return cls.model_construct(
                local=local, domain=domain, domain_unicode=to_unicode(domain)
            )
        try:
            checked = validate_email(
                f"{local}@{domain}", check_deliverability=False, allow_smtputf8=True, strict=True
            )
        except EmailNotValidError as exc:
            raise InvalidAddress(f"{text!r} is not a valid email address: {exc}") from exc
        return cls(local=checked.local_part, domain=domain, domain_unicode=checked.domain)

    def fill(self, template: str) -> str:
        """Replace Mozilla's placeholders in ``template`` with this address's parts."""
        return (
            template.replace("%EMAILADDRESS%", self.address)
            .replace("%EMAILLOCALPART%", self.local)
            .replace("%EMAILDOMAIN%", self.domain)
        )


class ServerEndpoint(BaseModel):
    """A server the service has decided a client should use (from the provider database or
    discovery: ``source``), and what the tester connects to; ``username`` is a template.

    ``issued_username`` is set when the provider issues a login name that is not derived
    from the address (only a provider file can say so): it says what the user types, and
    ``username`` is then only the stand-in for formats that must name one."""

    model_config = _FROZEN

    protocol: Protocol
    host: str
    port: int = Field(ge=1, le=65535)
    security: Security
    username: str = "%EMAILADDRESS%"
    auth: tuple[AuthMethod, ...] = (AuthMethod.PASSWORD,)
    source: Source = Source.DATABASE
    issued_username: Localized | None = None


class Step(BaseModel):
    """Something the user must do before a client can connect."""

    model_config = _FROZEN

    text: Localized
    url: HttpUrl | None = None
    path: Localized | None = Field(default=None, description="Where the setting is, in menus.")


class Hints(BaseModel):
    model_config = _FROZEN

    before: tuple[Localized, ...] = ()
    after: tuple[Localized, ...] = ()


class OAuth2Info(BaseModel):
    model_config = _FROZEN

    issuer: NonEmpty
    scopes: tuple[NonEmpty, ...] = Field(min_length=1)
    auth_url: HttpUrl
    token_url: HttpUrl


class HelpLink(BaseModel):
    model_config = _FROZEN

    url: HttpUrl
    title: Localized | None = None


class AccountConfig(BaseModel):
    """Everything needed to set up one domain's mail: endpoints in order, plus provider facts."""

    model_config = _FROZEN

    domain: str
    provider_id: str | None
    name: Localized | None = None
    short_name: str | None = None
    domains: tuple[str, ...] = ()
    status: Status = Status.OK
    status_reason: Localized | None = None
    endpoints: tuple[ServerEndpoint, ...] = ()
    steps: tuple[Step, ...] = ()
    hints: Hints = Hints()
    notes: tuple[Localized, ...] = ()
    oauth2: OAuth2Info | None = None
    help: tuple[HelpLink, ...] = ()
    pop3_leave_on_server: bool = True
    source: Source = Source.DATABASE
    quirks: tuple[Quirk, ...] = ()

    def by_protocol(self, protocol: Protocol) -> tuple[ServerEndpoint, ...]:
        return tuple(e for e in self.endpoints if e.protocol is protocol)

    @property
    def incoming(self) -> tuple[ServerEndpoint, ...]:
        return tuple(e for e in self.endpoints if e.protocol.incoming)

    @property
    def outgoing(self) -> tuple[ServerEndpoint, ...]:
        return self.by_protocol(Protocol.SMTP)


class Attempt(BaseModel):
    """One thing discovery tried: which source, what target, how long, what came of it
    (``outcome``) and the technical detail, in English, for the API and the logs."""

    model_config = ConfigDict(frozen=True)

    source: Source
    target: str
    ok: bool
    duration_ms: float
    outcome: TraceOutcome
    detail: str = ""
