"""Discovery as the web app and the CLI use it: built from settings, answering lookups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.discovery.dns import DnsClient
from app.discovery.guess import ProbeVerifier
from app.discovery.http import HTTP_PORTS, make_client
from app.discovery.pipeline import Discoverer, Discovery
from app.errors import UnknownDomain
from app.models import AccountConfig, EmailAddress
from app.probe.guard import Guard
from app.probe.session import tls_context
from app.providers.db import ProviderDB
from app.providers.lookup import LookupAnswer, answer_from_config, parse_query
from app.settings import Settings

HTTP_TIMEOUT = 5.0


@asynccontextmanager
async def open_discovery(settings: Settings, db: ProviderDB) -> AsyncIterator[Discoverer]:
    """A discoverer with its DNS client and guarded HTTP client; closes them on exit."""
    dns = DnsClient.from_settings(settings)
    guard = Guard(allow_networks=settings.probe_allow_networks, resolver=dns, ports=HTTP_PORTS)
    http = make_client(
        guard,
        trusted_urls=(settings.ispdb_url,),
        ssl_context=tls_context(settings.probe_ca_file),
        timeout=min(HTTP_TIMEOUT, settings.discovery_deadline),
    )
    try:
        yield Discoverer(db, dns, http, settings, verifier=ProbeVerifier(settings, dns))
    finally:
        await http.aclose()


class NotDiscovered(UnknownDomain):
    """Neither the database nor discovery found settings; carries what was tried."""

    def __init__(self, discovery: Discovery, address: EmailAddress | None) -> None:
        super().__init__(discovery.domain)
        self.discovery = discovery
        self.address = address


async def resolve(
    discoverer: Discoverer, query: str
) -> tuple[EmailAddress | None, AccountConfig, Discovery]:
    """The address (if any), its config and how it was found; raise InvalidAddress or
    NotDiscovered."""
    address, domain = parse_query(query)
    found = await discoverer.discover(domain, address.address if address else None)
    if found.config is None:
        raise NotDiscovered(found, address)
    return address, found.config, found


async def lookup(discoverer: Discoverer, query: str) -> LookupAnswer:
    """Settings for an address or domain from any source; raise InvalidAddress or NotDiscovered."""
    address, config, found = await resolve(discoverer, query)
    return answer_from_config(
        config,
        address,
        trace=found.trace,
        findings=found.findings,
        alternatives=found.alternatives,
    )
