"""Discovery for any domain: every source at once, each under a deadline, best rank wins.

The database answers first and alone. Otherwise the domain's autoconfig, ISPDB,
the ISPDB snapshot, MX and SRV run in parallel; as soon as no pending source can
beat the best answer so far, the rest are cancelled. Guesses run only when all of them
failed, and count only once the verifier confirms them. Results are cached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from app.discovery.autoconfig import AutoconfigError, parse_autoconfig
from app.discovery.cache import Cache, MemoryCache
from app.discovery.dns import DnsClient, DnsStatus
from app.discovery.findings import DiscoveryFinding
from app.discovery.offline import from_snapshot
from app.discovery.plan import (
    SRV_SERVICES,
    Fetch,
    Rank,
    autoconfig_fetches,
    config_from_guesses,
    config_from_srv,
    guess_candidates,
    ispdb_fetch,
    pick,
)
from app.discovery.run import (
    DiscoveryRun,
    Found,
    Listener,
    dns_outcome,
    fetch_outcome,
    until_decided,
)
from app.discovery.templating import general_config
from app.errors import UnknownDomain
from app.hostnames import base_domain
from app.models import AccountConfig, Attempt, ServerEndpoint, Source, TraceOutcome
from app.net.http import Fetcher, FetchError
from app.providers.db import ProviderDB, to_account_config
from app.settings import Settings

log = logging.getLogger(__name__)

GUESS_STAGGER = 0.1  # Thunderbird starts one guess every 100 ms


class Discovery(BaseModel):
    model_config = ConfigDict(frozen=True)

    domain: str
    config: AccountConfig | None
    alternatives: tuple[AccountConfig, ...] = ()
    trace: tuple[Attempt, ...] = ()
    findings: tuple[DiscoveryFinding, ...] = ()
    cached: bool = False
    personal: bool = False  # names the asker beyond what placeholders can say: never cached


class Verifier(Protocol):
    """Confirms a guessed endpoint with a capability check (never a login)."""

    async def confirm(self, endpoint: ServerEndpoint) -> tuple[TraceOutcome, str] | None:
        """None when the endpoint speaks its protocol as guessed, else what came of it
        and why, in English."""


def _relabel(config: AccountConfig, source: Source) -> AccountConfig:
    endpoints = tuple(e.model_copy(update={"source": source}) for e in config.endpoints)
    return config.model_copy(update={"endpoints": endpoints, "source": source})


class Discoverer:
    """Runs discovery; one per app, sharing the DNS client, HTTP client and cache."""

    def __init__(
        self,
        db: ProviderDB,
        dns: DnsClient,
        http: Fetcher,
        settings: Settings,
        *,
        verifier: Verifier | None = None,
        cache: Cache[Discovery] | None = None,
    ) -> None:
        self.db = db
        self.dns = dns
        self.http = http
        self.settings = settings
        self.verifier = verifier
        self.cache: Cache[Discovery] = cache or MemoryCache()
        # Answers from the database, made once per domain (bounded by the database).
        self._known: dict[str, Discovery] = {}

    async def discover(
        self, domain: str, email: str | None = None, listener: Listener | None = None
    ) -> Discovery:
        """The settings for ``domain`` (A-label, normalised) and how they were found;
        ``listener`` hears each source as it is tried and as it answers."""
        known = self._known.get(domain)
        if known is not None:
            return known
        try:
            config = self.db.config_for(domain)
        except UnknownDomain:
            pass
        else:
            hit = Attempt(
                source=Source.DATABASE,
                target=domain,
                ok=True,
                duration_ms=0.0,
                outcome=TraceOutcome.FOUND,
            )
            known = self._known[domain] = Discovery(domain=domain, config=config, trace=(hit,))
            return known
        cached = await self.cache.get(domain)
        if cached is not None:
            return cached.model_copy(update={"cached": True})
        result = await self._discover(domain, email, listener)
        if result.personal:
            return result  # for this asker only
        ttl = (
            self.settings.discovery_cache_ttl
            if result.config
            else self.settings.discovery_negative_ttl
        )
        await self.cache.set(domain, result, ttl)
        return result

    async def known_or_cached(self, domain: str) -> Discovery | None:
        """What :meth:`discover` answers from the database or the cache, else None;
        never goes to the network."""
        try:
            self.db.config_for(domain)
        except UnknownDomain:
            cached = await self.cache.get(domain)
            return None if cached is None else cached.model_copy(update={"cached": True})
        return await self.discover(domain)

    async def _discover(
        self, domain: str, email: str | None, listener: Listener | None
    ) -> Discovery:
        run = DiscoveryRun(email, listener)
        end = run.loop.time() + self.settings.discovery_deadline
        fetches = autoconfig_fetches(domain, email, Rank.AUTOCONFIG_HTTPS)
        fetches.append(ispdb_fetch(self.settings.ispdb_url, domain))
        jobs: list[tuple[Rank, Awaitable[Found]]] = [
            (f.rank, self._fetch(run, f, domain)) for f in fetches
        ]
        if self.db.snapshot is not None:  # from memory; wins only when the fetches fail
            jobs.append((Rank.ISPDB_SNAPSHOT, from_snapshot(run, self.db.snapshot, domain)))
        jobs.append((Rank.MX_PROVIDER, self._mx(run, domain)))
        jobs.append((Rank.SRV, self._srv(run, domain)))
        try:
            async with asyncio.timeout_at(end):
                await until_decided(jobs, run.found)
        except TimeoutError:
            run.findings.append(DiscoveryFinding.DISCOVERY_DEADLINE)
        run.close_pending()
        no_domain = DiscoveryFinding.DOMAIN_NOT_FOUND in run.findings
        if not run.found and not no_domain and self.verifier:
            guessed = await self._guess(run, domain, self.verifier, end)
            if guessed is not None:
                run.found.append((Rank.GUESS, guessed))
        if not run.found:
            return Discovery(
                domain=domain, config=None, trace=tuple(run.trace), findings=tuple(run.findings)
            )
        personal = run.personal
        best, alternatives = pick(run.found)
        if min(rank for rank, _ in run.found) is Rank.AUTOCONFIG_HTTP:  # could be forged
            run.findings.append(DiscoveryFinding.INSECURE_AUTOCONFIG)
        return Discovery(
            domain=domain,
            config=best,
            alternatives=tuple(alternatives),
            trace=tuple(run.trace),
            findings=tuple(run.findings),
            personal=personal,
        )

    async def _fetch(
        self, run: DiscoveryRun, plan: Fetch, domain: str, relabel: Source | None = None
    ) -> Found:
        started = run.begin(plan.source, plan.url)
        try:
            fetched = await self.http.fetch(plan.url)
        except FetchError as exc:
            run.note(plan.source, plan.url, started, fetch_outcome(exc), str(exc))
            return None
        try:
            config, dropped = parse_autoconfig(fetched.body, domain, plan.source)
        except AutoconfigError as exc:
            run.note(plan.source, plan.url, started, TraceOutcome.INVALID, str(exc))
            return None
        if run.email:  # the server may have filled in the asker: make it general again
            config, shareable = general_config(config, run.email)
            run.personal = run.personal or not shareable
        detail = "; ".join(f"dropped: {d}" for d in dropped)
        outcome = TraceOutcome.FOUND_PARTLY if dropped else TraceOutcome.FOUND
        run.note(plan.source, plan.url, started, outcome, detail)
        return plan.rank, _relabel(config, relabel) if relabel else config

    async def _mx(self, run: DiscoveryRun, domain: str) -> Found:
        started = run.begin(Source.MX, domain)
        answer = await self.dns.mx(domain)
        if answer.status is DnsStatus.NXDOMAIN:
            run.findings.append(DiscoveryFinding.DOMAIN_NOT_FOUND)
        elif answer.status is DnsStatus.NO_RECORDS:
            run.findings.append(DiscoveryFinding.NO_MX)
        if not answer.records:
            run.note(Source.MX, domain, started, dns_outcome([answer.status]), answer.detail)
            return None
        host = answer.records[0].host
        record = self.db.by_mx(host)
        if record is not None:
            detail = f"{host} belongs to {record.id}"
            run.note(Source.MX, domain, started, TraceOutcome.MX_KNOWN, detail)
            return Rank.MX_PROVIDER, _relabel(to_account_config(record, domain), Source.MX)
        base = base_domain(host)
        detail = f"{host}: no known provider; trying {base}"
        run.note(Source.MX, domain, started, TraceOutcome.MX_UNKNOWN, detail)
        if base is None or base == domain:
            return None
        plans = autoconfig_fetches(base, None, Rank.MX_AUTOCONFIG)[:2]
        plans.append(ispdb_fetch(self.settings.ispdb_url, base, Rank.MX_ISPDB))
        results = await asyncio.gather(*(self._fetch(run, p, domain, Source.MX) for p in plans))
        found = [r for r in results if r is not None]
        return min(found, key=lambda pair: pair[0]) if found else None

    async def _srv(self, run: DiscoveryRun, domain: str) -> Found:
        started = run.begin(Source.SRV, domain)
        labels = [label for label, _, _ in SRV_SERVICES]
        answers = await asyncio.gather(*(self.dns.srv(f"{label}.{domain}") for label in labels))
        records = {label: a.records for label, a in zip(labels, answers, strict=True)}
        config = config_from_srv(domain, records)
        if config is not None:
            offered = ", ".join(a.name for a in answers if a.records)
            run.note(Source.SRV, domain, started, TraceOutcome.FOUND, f"found {offered}")
            return Rank.SRV, config
        outcome = dns_outcome(a.status for a in answers if not a.records)
        if outcome is TraceOutcome.NO_SUCH_NAME:  # a missing _service._tcp name: no record
            outcome = TraceOutcome.NO_RECORDS
        failed = [a.detail for a in answers if a.status in (DnsStatus.TIMEOUT, DnsStatus.FAILED)]
        run.note(Source.SRV, domain, started, outcome, "; ".join(failed) or "no SRV records")
        return None

    async def _resolving(
        self, run: DiscoveryRun, candidates: list[ServerEndpoint]
    ) -> list[ServerEndpoint]:
        """The candidates whose host name resolves; the others are not worth a connection."""
        hosts = sorted({e.host for e in candidates})
        started = [run.begin(Source.GUESS_VERIFIED, h) for h in hosts]
        answers = await asyncio.gather(*(self.dns.addresses(h) for h in hosts))
        resolving = set()
        for host, begun, answer in zip(hosts, started, answers, strict=True):
            if answer.records:
                resolving.add(host)
                run.drop(Source.GUESS_VERIFIED, host)
            else:
                outcome = dns_outcome([answer.status])
                run.note(Source.GUESS_VERIFIED, host, begun, outcome, answer.detail)
        return [e for e in candidates if e.host in resolving]

    async def _guess(
        self, run: DiscoveryRun, domain: str, verifier: Verifier, end: float
    ) -> AccountConfig | None:
        async def one(i: int, endpoint: ServerEndpoint) -> ServerEndpoint | None:
            await asyncio.sleep(i * GUESS_STAGGER)
            target = f"{endpoint.protocol.value}://{endpoint.host}:{endpoint.port}"
            started = run.begin(Source.GUESS_VERIFIED, target)
            rejected = await verifier.confirm(endpoint)
            if rejected is None:
                run.note(Source.GUESS_VERIFIED, target, started, TraceOutcome.CONFIRMED)
                return endpoint
            run.note(Source.GUESS_VERIFIED, target, started, *rejected)
            return None

        if run.loop.time() >= end:
            run.findings.append(DiscoveryFinding.GUESS_DEADLINE)
            return None
        try:
            async with asyncio.timeout_at(end):
                candidates = await self._resolving(run, guess_candidates(domain))
                results = await asyncio.gather(*(one(i, e) for i, e in enumerate(candidates)))
        except TimeoutError:
            run.findings.append(DiscoveryFinding.GUESS_DEADLINE)
            run.close_pending()
            return None
        return config_from_guesses(domain, [e for e in results if e is not None])
