"""The work behind the domain-owner page and its API: which servers to use, the records
they make, and each record checked in DNS.

Servers come from the provider database when it lists the domain, else from the
lines the owner entered (``protocol:host:port:security``, the live tester's syntax),
else from what discovery already holds for the domain (its cache: no discovery is
started here). A record's check is present, missing, different or unchecked: a
lookup that failed (timeout, SERVFAIL, REFUSED) says nothing about the record.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import ValidationError

from app.discovery.service import DnsClient
from app.documents.dns_records import (
    LOCAL_SUFFIXES,
    Lookup,
    RecordCheck,
    compare,
    pointer_records,
    public_host,
    render_zone,
    service_records,
)
from app.documents.mozilla import render_autoconfig
from app.documents.provider_toml import missing_protocols, owner_config, provider_file
from app.errors import MailsetupError, UnknownDomain
from app.i18n import N_
from app.livetest import MAX_SERVERS, ServerSpec
from app.models import AccountConfig, ServerEndpoint
from app.net.guard import parse_ip_literal
from app.providers.server_entry import is_loopback
from app.web.http.state import AppState

# DnsStatus values of a lookup that ended without an answer.
FAILED_LOOKUP = frozenset({"timeout", "failed"})
MAX_LINE = 300

BAD_LINE = N_(
    "Line %(line)d is not a server. Write each server as the example shows: "
    "imap:mail.example.com:993:tls."
)
NEEDS_NAME = N_(
    "Line %(line)d names an IP address or a local name. DNS records and provider files "
    "need the server's public host name, such as mail.example.com."
)
LISTED_TWICE = N_("Line %(line)d lists a server again. List each server once.")
TOO_MANY = N_("List at most %(count)d servers.")


class ServerProblem(MailsetupError, ValueError):
    """A server line that cannot be used: ``message`` (marked for translation) with
    ``values``; ``str()`` is the English text."""

    def __init__(self, message: str, **values: int) -> None:
        super().__init__(message % values)
        self.message = message
        self.values = values


class ServersFrom(StrEnum):
    DATABASE = "database"  # the provider database lists the domain
    ENTERED = "entered"  # the owner listed them
    DISCOVERY = "discovery"  # discovery found them earlier (its cache)
    NONE = "none"  # none yet: the owner has to list them


def _public_name(host: str) -> bool:
    """Whether ``host`` can be an SRV target and a provider file's server: a name the
    internet resolves, not an address, ``localhost`` or a local-only name."""
    if parse_ip_literal(host) is not None or is_loopback(host):
        return False
    last = host.rsplit(".", 1)[-1]
    return not last.isdigit() and not host.endswith(LOCAL_SUFFIXES)


def parse_servers(lines: Sequence[str]) -> list[ServerEndpoint]:
    """The servers of ``lines`` (blank ones skipped); raise :class:`ServerProblem`
    naming the first bad line, counted from 1."""
    if sum(1 for line in lines if line.strip()) > MAX_SERVERS:
        raise ServerProblem(TOO_MANY, count=MAX_SERVERS)
    seen: set[str] = set()
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            raise ServerProblem(BAD_LINE, line=number)
        try:
            spec = ServerSpec.parse(line)
        except (ValueError, ValidationError) as exc:
            raise ServerProblem(BAD_LINE, line=number) from exc
        if not _public_name(spec.host):
            raise ServerProblem(NEEDS_NAME, line=number)
        if spec.label() in seen:
            raise ServerProblem(LISTED_TWICE, line=number)
        seen.add(spec.label())
        out.append(spec.to_endpoint())
    return out


def server_line(endpoint: ServerEndpoint) -> str:
    """``protocol:host:port:security``, as :func:`parse_servers` reads it."""
    return f"{endpoint.protocol.value}:{endpoint.host}:{endpoint.port}:{endpoint.security.value}"


@dataclass(frozen=True)
class Servers:
    """The servers the records are built from, where they came from, and the database's
    config of the domain (when it lists it)."""

    source: ServersFrom
    endpoints: tuple[ServerEndpoint, ...] = ()
    config: AccountConfig | None = None


async def choose_servers(state: AppState, domain: str, lines: Sequence[str]) -> Servers:
    """The database's servers for ``domain`` (an A-label), else the entered ``lines``,
    else those discovery has cached; raise :class:`ServerProblem` for a bad line."""
    try:
        config: AccountConfig | None = state.db.config_for(domain, normalized=True)
    except UnknownDomain:
        config = None
    if config is not None and config.endpoints:
        return Servers(ServersFrom.DATABASE, config.endpoints, config)
    entered = parse_servers(lines)
    if entered:
        return Servers(ServersFrom.ENTERED, tuple(entered), config)
    if config is None:
        found = await state.discoverer.known_or_cached(domain)
        known = found.config.endpoints if found is not None and found.config else ()
        usable = tuple(e for e in known if _public_name(e.host))
        if usable:
            return Servers(ServersFrom.DISCOVERY, usable)
    return Servers(ServersFrom.NONE, (), config)


MxStatus = Literal["found", "none", "no-domain", "unchecked"]


@dataclass(frozen=True)
class MxState:
    """The domain's MX records now, and whether the lookup found any."""

    status: MxStatus
    hosts: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Documents:
    """What the servers make: the autoconfig document, whether this service serves it
    (a database domain that is not retired), and the provider file, or what it lacks."""

    autoconfig_xml: str | None = None
    serves_autoconfig: bool = False
    provider_toml: str | None = None
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OwnerView:
    """Everything the page and the API show for one domain."""

    domain: str
    servers: Servers
    public_host: str | None
    pointers: list[RecordCheck]
    services: list[RecordCheck]
    mx: MxState
    zone: str
    documents: Documents

    @property
    def checks(self) -> list[RecordCheck]:
        """Every record, in zone order: autoconfig, the SRV records, Autodiscover."""
        return self.pointers[:1] + self.services + self.pointers[1:]


async def _lookup(dns: DnsClient, name: str, rtype: str) -> Lookup:
    answer = await dns.values(name, rtype)
    return Lookup(answer.records, answer.status in FAILED_LOOKUP, answer.detail)


async def _mx(dns: DnsClient, domain: str) -> MxState:
    answer = await dns.mx(domain)
    if answer.status in FAILED_LOOKUP:
        return MxState("unchecked")
    if answer.status == "nxdomain":
        return MxState("no-domain")
    hosts = tuple((m.preference, m.host) for m in answer.records)
    return MxState("found", hosts) if hosts else MxState("none")


def documents_for(domain: str, servers: Servers, today: dt.date) -> Documents:
    """The autoconfig document and the provider file the servers make, where they can.
    A domain the database lists gets no provider file: every deployment has its own."""
    if servers.source is ServersFrom.DATABASE and servers.config is not None:
        serves = servers.config.status.has_servers
        xml = render_autoconfig(servers.config).decode() if serves else None
        return Documents(xml, serves)
    if not servers.endpoints:
        return Documents()
    missing = missing_protocols(servers.endpoints)
    toml = None if missing else provider_file(domain, servers.endpoints, today)
    xml = render_autoconfig(owner_config(domain, servers.endpoints)).decode()
    return Documents(xml, False, toml, missing)


def today() -> dt.date:
    """Today's date in UTC: a provider file's ``last_verified``."""
    return dt.datetime.now(dt.UTC).date()


async def check_domain(
    state: AppState, domain: str, lines: Sequence[str], public_url: str
) -> OwnerView:
    """The records ``domain`` (an A-label) publishes for the service at ``public_url``,
    each checked in DNS, its MX records, and the documents its servers make."""
    servers = await choose_servers(state, domain, lines)
    pointers = pointer_records(domain, public_url)
    services = service_records(domain, servers.endpoints) if servers.endpoints else []
    expected = pointers + services
    dns: DnsClient = state.discoverer.dns
    keys = sorted({(r.name, r.type) for r in expected})
    answers, mx = await asyncio.gather(
        asyncio.gather(*(_lookup(dns, name, rtype) for name, rtype in keys)), _mx(dns, domain)
    )
    checks = compare(expected, dict(zip(keys, answers, strict=True)))
    ordered = pointers[:1] + services + pointers[1:]
    return OwnerView(
        domain=domain,
        servers=servers,
        public_host=public_host(public_url),
        pointers=checks[: len(pointers)],
        services=checks[len(pointers) :],
        mx=mx,
        zone=render_zone(ordered) if ordered else "",
        documents=documents_for(domain, servers, today()),
    )
