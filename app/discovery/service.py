"""Discovery's one entry, as the web app, the CLI and the live tester use it: built from
settings, answering lookups. Callers take discovery's types from here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from app import metrics
from app.discovery.autoconfig import AutoconfigError, ProviderDocument, parse_provider
from app.discovery.cache import Cache
from app.discovery.dns import DnsClient
from app.discovery.findings import DiscoveryFinding
from app.discovery.guess import ProbeVerifier
from app.discovery.pipeline import Discoverer, Discovery, Verifier
from app.discovery.redis_cache import RedisCache, open_redis
from app.discovery.run import Listener, Trying
from app.discovery.typos import typo_suggestions
from app.errors import UnknownDomain
from app.models import AccountConfig, EmailAddress
from app.net.guard import Guard
from app.net.http import HTTP_PORTS, Fetcher, make_fetcher
from app.net.tls import tls_context
from app.providers.db import ProviderDB
from app.providers.lookup import LookupAnswer, answer_from_config, parse_query
from app.ratelimit import Charge, Limit, RateLimiter, asking_client
from app.settings import Settings

HTTP_TIMEOUT = 5.0

__all__ = [
    "AutoconfigError",
    "Discoverer",
    "Discovery",
    "DiscoveryFinding",
    "DnsClient",
    "Listener",
    "NotDiscovered",
    "ProviderDocument",
    "RedisCache",
    "ServiceDiscoverer",
    "Trying",
    "lookup",
    "open_discovery",
    "open_redis",
    "parse_provider",
    "resolve",
    "typo_suggestions",
]


class ServiceDiscoverer(Discoverer):
    """The service's discoverer: counts which source answered in the metrics and, with
    a limiter, refuses a discovery that would leave this machine (a domain neither in
    the database nor in the cache) once the asking client is over its limit for that
    registrable domain, or all clients together are. Answers from the database and
    the cache are never refused."""

    def __init__(
        self,
        db: ProviderDB,
        dns: DnsClient,
        http: Fetcher,
        settings: Settings,
        *,
        verifier: Verifier | None = None,
        cache: Cache[Discovery] | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(db, dns, http, settings, verifier=verifier, cache=cache)
        self.limiter = limiter

    async def discover(
        self, domain: str, email: str | None = None, listener: Listener | None = None
    ) -> Discovery:
        found = await super().discover(domain, email, listener)
        metrics.discovered(found.config.source.value if found.config else None, found.cached)
        return found

    async def _discover(
        self, domain: str, email: str | None, listener: Listener | None
    ) -> Discovery:
        if self.limiter is not None:
            site = self.limiter.keys.target(domain)
            charges = [Charge(Limit.DISCOVERY_DOMAIN_ALL, (site,))]
            client = asking_client.get()
            if client is not None:  # set by the web layer for the request being served
                charges.insert(0, Charge(Limit.DISCOVERY_DOMAIN, (client, site)))
            await self.limiter.charge(charges)
        found = await super()._discover(domain, email, listener)
        return forget_address(found, email) if email else found


PLACEHOLDER = "%EMAILADDRESS%"


def forget_address(found: Discovery, email: str) -> Discovery:
    """``found`` without the asker's address in its trace (the autoconfig URL carries it).

    A discovery is cached per domain, in Redis for every instance, and its trace is
    shown to whoever asks next: it names Mozilla's placeholder instead.
    """
    forms = sorted({email, quote(email, safe="@"), quote(email, safe="")}, key=len, reverse=True)

    def clean(text: str) -> str:
        for form in forms:
            text = text.replace(form, PLACEHOLDER)
        return text

    trace = tuple(
        a.model_copy(update={"target": clean(a.target), "detail": clean(a.detail)})
        for a in found.trace
    )
    return found.model_copy(update={"trace": trace})


@asynccontextmanager
async def open_discovery(
    settings: Settings,
    db: ProviderDB,
    *,
    cache: Cache[Discovery] | None = None,
    limiter: RateLimiter | None = None,
) -> AsyncIterator[Discoverer]:
    """A discoverer with its DNS client and guarded HTTP client; closes them on exit.

    ``cache`` defaults to memory; ``limiter`` (the web app's) limits discoveries per domain.
    """
    dns = DnsClient.from_settings(settings)
    guard = Guard(
        allow_networks=settings.discovery_allow_networks,
        resolver=dns,
        ports=HTTP_PORTS | settings.discovery_allow_ports,
    )
    http = make_fetcher(
        guard,
        trusted_urls=(settings.ispdb_url,),
        ssl_context=tls_context(settings.probe_ca_file),
        timeout=min(HTTP_TIMEOUT, settings.discovery_deadline),
    )
    try:
        yield ServiceDiscoverer(
            db,
            dns,
            http,
            settings,
            verifier=ProbeVerifier(settings, dns),
            cache=cache,
            limiter=limiter,
        )
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
