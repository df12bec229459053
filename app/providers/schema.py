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
    username = "address"          # or "localpart", a %EMAILADDRESS% template, or "issued"
    auth = ["password"]

    [[sources]]
    url = "https://example.com/help/imap"
    title = "Example help: IMAP settings"

Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
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
    Protocol,
    Quirk,
    Status,
    Step,
)
from app.providers.oauth2_record import RecordOAuth2
from app.providers.ranking import Rank
from app.providers.server_entry import ISSUED, ServerEntry

_STRICT = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


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
    issued_username: Localized | None = Field(
        default=None,
        description="What the user types as the user name on servers with "
        "username = 'issued': a login name the provider issues.",
    )
    servers: tuple[ServerEntry, ...] = ()
    steps: tuple[Step, ...] = ()
    hints: Hints = Hints()
    notes: tuple[Localized, ...] = ()
    quirks: tuple[Quirk, ...] = ()
    oauth2: RecordOAuth2 | None = None
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
        _check_issued(self)
        _check_sign_in(self)
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


def _check_issued(record: ProviderRecord) -> None:
    """``username = "issued"`` and the ``issued_username`` text come together."""
    issued = [i for i, s in enumerate(record.servers) if s.username == ISSUED]
    if issued and record.issued_username is None:
        raise ValueError(
            f"servers[{issued[0]}] has username = 'issued', so the file needs issued_username: "
            "what the user types as the user name, with en, zh-Hans and zh-Hant"
        )
    if record.issued_username is not None and not issued:
        raise ValueError(
            "issued_username is given, but no server has username = 'issued': "
            "remove it, or say 'issued' on the servers that use it"
        )


def _check_sign_in(record: ProviderRecord) -> None:
    """A provider that offers sign-in names the scopes of every protocol it takes tokens on."""
    oauth = record.oauth2
    if oauth is None or oauth.sign_in is None or oauth.protocol_scopes is None:
        return
    for server in record.servers:
        if AuthMethod.OAUTH2 in server.auth and not oauth.protocol_scopes.of(server.protocol):
            raise ValueError(
                f"{server.protocol.value} on {server.host} takes oauth2, so "
                f"[oauth2.protocol_scopes] needs {server.protocol.value}"
            )
