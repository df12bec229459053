"""One server as a provider file writes it (``[[servers]]``), and the loopback rule
that keeps a file from pointing mail apps at the user's own computer by mistake."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.hostnames import is_hostname
from app.models import (
    AuthMethod,
    Localized,
    NonEmpty,
    Protocol,
    Security,
    ServerEndpoint,
    Source,
    check_username_template,
)

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


ISSUED = "issued"  # username: the provider issues a login name not derived from the address

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
        return value if value == ISSUED else check_username_template(value)

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

    def to_endpoint(
        self, day: dt.date | None = None, issued_username: Localized | None = None
    ) -> ServerEndpoint:
        """This server as the database gives it to lookups, documents and the tester on
        ``day`` (today by default). An ``issued`` server needs its record's
        ``issued_username``; its ``username`` becomes ``%EMAILADDRESS%``, the stand-in."""
        issued = self.username == ISSUED
        if issued and issued_username is None:
            raise ValueError("a server with username = 'issued' needs the issued_username text")
        return ServerEndpoint(
            protocol=self.protocol,
            host=self.host,
            port=self.port,
            security=self.security,
            username="%EMAILADDRESS%" if issued else self.username,
            auth=self.auth_on(day or dt.date.today()),
            source=Source.DATABASE,
            issued_username=issued_username if issued else None,
        )
