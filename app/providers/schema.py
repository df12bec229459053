"""The provider file format: one TOML file per provider in ``data/providers/``.

A minimal file::

    id = "example.com"
    domains = ["example.com"]
    country = "US"
    website = "https://example.com/"
    status = "ok"
    confidence = "high"
    last_verified = 2026-11-27

    [name]
    en = "Example Mail"
    zh-Hans = "Example 邮箱"
    zh-Hant = "Example 郵箱"

    [[servers]]
    protocol = "imap"
    host = "imap.example.com"
    port = 993
    security = "tls"
    username = "address"          # or "localpart", or a %EMAILADDRESS% template
    auth = ["password"]

    [[sources]]
    url = "https://example.com/help/imap"
    title = "Example help: IMAP settings"

Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.hostnames import is_hostname, normalize_domain
from app.models import (
    AuthMethod,
    Confidence,
    HelpLink,
    Hints,
    Localized,
    NonEmpty,
    OAuth2Info,
    Protocol,
    Quirk,
    Security,
    ServerEndpoint,
    Source,
    Status,
    Step,
    check_username_template,
)
from app.providers.ranking import Rank

_STRICT = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


_NUMERIC = frozenset("0123456789abcdefx.")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an IP address, including the IPv4 forms resolvers read (``127.1``,
    ``0x7f.0.0.1``); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not set(host) <= _NUMERIC:
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` names the computer it is used on: ``localhost``, a name under
    ``.localhost`` (RFC 6761), or a loopback address (127.0.0.0/8, ``::1``)."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = _address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and address.is_loopback


LOOPBACK_RULE = (
    "a loopback host is the user's own computer, so a provider file may name one only "
    "on a server marked local_bridge = true (a program such as Proton Mail Bridge)"
)


class ServerEntry(BaseModel):
    """One server as written in a provider file under ``data/providers/``.
    :meth:`to_endpoint` turns it into the :class:`ServerEndpoint` lookups give."""

    model_config = _STRICT

    protocol: Protocol
    # Before host, so that host's validator can read it. Never dumped: a check, not a fact.
    local_bridge: bool = Field(
        default=False,
        exclude=True,
        description="The server is a program on the user's own computer; "
        "the only way a loopback host is accepted.",
    )
    host: NonEmpty
    port: int = Field(ge=1, le=65535)
    security: Security
    username: str = "%EMAILADDRESS%"
    auth: tuple[AuthMethod, ...] = Field(default=(AuthMethod.PASSWORD,), min_length=1)
    auth_until: dict[AuthMethod, dt.date] = Field(
        default_factory=dict,
        description="Methods of auth that the provider has announced it will stop "
        "accepting: the last day each is known to work. Lookups leave it out after that.",
    )

    @field_validator("host")
    @classmethod
    def _host(cls, value: str, info: ValidationInfo) -> str:
        value = value.lower()
        bridge = info.data.get("local_bridge", False)
        if is_loopback(value):
            if not bridge:
                raise ValueError(f"{value!r}: {LOOPBACK_RULE}")
            named = value == "localhost" or is_hostname(value)
            if named or (_address(value) is not None and "%" not in value):
                return value
            raise ValueError(f"{value!r} is not a valid host name or address")
        if bridge:
            raise ValueError(
                f"local_bridge = true is only for a loopback host (127.0.0.1, ::1, "
                f"localhost), and {value!r} is not one: remove local_bridge"
            )
        if not is_hostname(value):
            raise ValueError(f"{value!r} is not a valid host name")
        return value

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        return check_username_template(value)

    @model_validator(mode="after")
    def _dated(self) -> ServerEntry:
        stray = [m.value for m in self.auth_until if m not in self.auth]
        if stray:
            raise ValueError(f"auth_until names {', '.join(stray)}, which auth does not list")
        if all(m in self.auth_until for m in self.auth):
            raise ValueError("auth_until dates every method: keep one without an end")
        return self

    def auth_on(self, day: dt.date) -> tuple[AuthMethod, ...]:
        """The methods the provider accepts on ``day``, in order."""
        return tuple(m for m in self.auth if day <= self.auth_until.get(m, dt.date.max))

    def to_endpoint(self, day: dt.date | None = None) -> ServerEndpoint:
        """This server as the database gives it to lookups, documents and the tester on
        ``day`` (today by default)."""
        return ServerEndpoint(
            protocol=self.protocol,
            host=self.host,
            port=self.port,
            security=self.security,
            username=self.username,
            auth=self.auth_on(day or dt.date.today()),
            source=Source.DATABASE,
        )


class SourceRef(BaseModel):
    """Where a fact came from."""

    model_config = _STRICT

    url: HttpUrl
    title: NonEmpty  # in the source's own language; pages mark it with its lang
    note: Localized | None = None  # what the source says, in our words


class Pop3Options(BaseModel):
    model_config = _STRICT

    leave_messages_on_server: bool = True


def _domain(value: str) -> str:
    return normalize_domain(value)


class ProviderRecord(BaseModel):
    """A curated provider: who it is, what it serves, and how clients connect."""

    model_config = _STRICT

    id: NonEmpty
    name: Localized
    short_name: Annotated[str, Field(max_length=20)] | None = None
    domains: tuple[NonEmpty, ...] = Field(
        default=(), description="Mail domains served; hosted services may list none and use mx."
    )
    mx: tuple[NonEmpty, ...] = Field(
        default=(), description="MX host patterns: 'mx.example.com' or '*.example.com'."
    )
    country: Annotated[str, Field(pattern=r"^([A-Z]{2}|ZZ)$")]
    website: HttpUrl
    status: Status
    status_reason: Localized | None = None
    confidence: Confidence
    confidence_note: Localized | None = None
    servers: tuple[ServerEntry, ...] = ()
    steps: tuple[Step, ...] = ()
    hints: Hints = Hints()
    notes: tuple[Localized, ...] = ()
    quirks: tuple[Quirk, ...] = ()
    oauth2: OAuth2Info | None = None
    help: tuple[HelpLink, ...] = ()
    pop3: Pop3Options = Pop3Options()
    sources: tuple[SourceRef, ...] = Field(min_length=1)
    last_verified: dt.date
    # Never dumped: it orders the catalogue page and is no fact about the provider.
    rank: Rank = Field(default=Rank(), exclude=True, description="Popularity per region.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not is_hostname(value):
            raise ValueError("must be hostname-like: lower-case letters, digits, '-' and dots")
        return value

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        normalized = tuple(_domain(d) for d in value)
        if len(set(normalized)) != len(normalized):
            raise ValueError("a domain is listed twice")
        return normalized

    @field_validator("mx")
    @classmethod
    def _mx(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for pattern in value:
            bare = pattern.lower().removeprefix("*.")
            if not is_hostname(bare):
                raise ValueError(f"{pattern!r} is not 'host.name' or '*.host.name'")
            out.append(pattern.lower())
        return tuple(out)

    @model_validator(mode="after")
    def _consistent(self) -> ProviderRecord:
        if not self.domains and not self.mx:
            raise ValueError("list at least one of domains or mx")
        if not self.status.has_servers:
            if self.servers:
                raise ValueError(f"a provider with status {self.status.value!r} lists no servers")
            if self.status_reason is None:
                raise ValueError(f"status {self.status.value!r} needs status_reason")
            return self
        if self.status in (Status.BROKEN, Status.PREPARATION) and self.status_reason is None:
            raise ValueError(f"status {self.status.value!r} needs status_reason")
        if not any(s.protocol.incoming for s in self.servers):
            raise ValueError("servers: at least one imap or pop3 server is needed")
        if not any(s.protocol is Protocol.SMTP for s in self.servers):
            raise ValueError("servers: at least one smtp server is needed")
        if self.status is Status.PREPARATION and not self.steps:
            raise ValueError("status 'preparation' needs the steps the user must take")
        uses_oauth = any(AuthMethod.OAUTH2 in s.auth for s in self.servers)
        if uses_oauth and self.oauth2 is None:
            raise ValueError("a server offers oauth2, so the [oauth2] table is needed")
        return self
