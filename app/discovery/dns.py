"""DNS through dnspython's async resolver: MX, SRV and addresses, each under a timeout.

NXDOMAIN and "no such record" are answers, not errors: :class:`DnsAnswer`
carries them so discovery can report them as findings. The same client
resolves names for the SSRF guard (:meth:`DnsClient.resolve`).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from app.errors import ProbeDNSError
from app.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DnsStatus(StrEnum):
    OK = "ok"
    NXDOMAIN = "nxdomain"  # the name does not exist
    NO_RECORDS = "no-records"  # the name exists, without records of this type
    TIMEOUT = "timeout"
    FAILED = "failed"  # SERVFAIL, refused, or no nameserver answered


@dataclass(frozen=True)
class MxRecord:
    preference: int
    host: str


@dataclass(frozen=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str  # "" when the record is "." (RFC 2782: service not offered)


T = TypeVar("T")


@dataclass(frozen=True)
class DnsAnswer(Generic[T]):  # PEP 695 generics need Python 3.12
    """Records of one query, or why there are none."""

    name: str
    rdtype: str
    status: DnsStatus
    records: tuple[T, ...] = ()
    detail: str = ""
    elapsed_ms: float = field(default=0.0, compare=False)


def parse_nameserver(spec: str) -> dns.nameserver.Do53Nameserver:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address → a nameserver."""
    host, port = spec, 53
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif spec.count(":") == 1:
        host, _, port_text = spec.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)  # nameservers are addresses, never names
    return dns.nameserver.Do53Nameserver(host, port)


class DnsClient:
    """MX, SRV and A/AAAA lookups with one timeout per query."""

    def __init__(self, nameservers: tuple[str, ...] = (), timeout: float = 3.0) -> None:
        resolver = dns.asyncresolver.Resolver(configure=not nameservers)
        if nameservers:
            resolver.nameservers = [parse_nameserver(s) for s in nameservers]
        resolver.lifetime = timeout
        resolver.timeout = min(timeout, 2.0)
        resolver.cache = None  # discovery keeps its own cache, with its own TTLs
        self._resolver = resolver
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> DnsClient:
        return cls(settings.dns_servers, settings.dns_timeout)

    async def _query(self, name: str, rdtype: str) -> tuple[DnsStatus, list[object], str, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            answer = await self._resolver.resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            return DnsStatus.NXDOMAIN, [], f"{name} does not exist", _ms(loop, started)
        except dns.resolver.NoAnswer:
            return DnsStatus.NO_RECORDS, [], f"{name} has no {rdtype} records", _ms(loop, started)
        except dns.exception.Timeout:
            detail = f"no DNS answer for {name} {rdtype} within {self.timeout:g} s"
            return DnsStatus.TIMEOUT, [], detail, _ms(loop, started)
        except (dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration) as exc:
            return DnsStatus.FAILED, [], f"DNS failed for {name}: {exc}", _ms(loop, started)
        except dns.exception.DNSException as exc:  # malformed names, YXDOMAIN …
            return DnsStatus.FAILED, [], f"DNS error for {name}: {exc}", _ms(loop, started)
        return DnsStatus.OK, list(answer), "", _ms(loop, started)

    async def mx(self, domain: str) -> DnsAnswer[MxRecord]:
        """MX records, most preferred first; a null MX (RFC 7505) gives no records."""
        status, rdatas, detail, ms = await self._query(domain, "MX")
        records = sorted(
            (MxRecord(r.preference, r.exchange.to_text().rstrip(".").lower()) for r in rdatas),  # type: ignore[attr-defined]
            key=lambda m: (m.preference, m.host),
        )
        real = tuple(m for m in records if m.host)
        if status is DnsStatus.OK and not real:
            return DnsAnswer(domain, "MX", DnsStatus.NO_RECORDS, (), "null MX: no mail", ms)
        return DnsAnswer(domain, "MX", status, real, detail, ms)

    async def srv(self, name: str) -> DnsAnswer[SrvRecord]:
        """SRV records in priority order, then by weight (heaviest first)."""
        status, rdatas, detail, ms = await self._query(name, "SRV")
        records = tuple(
            sorted(
                (
                    SrvRecord(r.priority, r.weight, r.port, r.target.to_text().rstrip(".").lower())  # type: ignore[attr-defined]
                    for r in rdatas
                ),
                key=lambda s: (s.priority, -s.weight),
            )
        )
        return DnsAnswer(name, "SRV", status, records, detail, ms)

    async def addresses(self, host: str) -> DnsAnswer[IPAddress]:
        """A and AAAA records together."""
        (s4, r4, d4, ms4), (s6, r6, d6, ms6) = await asyncio.gather(
            self._query(host, "A"), self._query(host, "AAAA")
        )
        found: tuple[IPAddress, ...] = tuple(
            ipaddress.ip_address(r.address)  # type: ignore[attr-defined]
            for r in (*r4, *r6)
        )
        if found:
            return DnsAnswer(host, "A/AAAA", DnsStatus.OK, found, "", max(ms4, ms6))
        worst = s4 if s4 is not DnsStatus.NO_RECORDS else s6
        return DnsAnswer(host, "A/AAAA", worst, (), d4 or d6, max(ms4, ms6))

    async def values(self, name: str, rdtype: str) -> DnsAnswer[str]:
        """Any record type as presentation text (``0 1 993 imap.example.org.`` for SRV)."""
        status, rdatas, detail, ms = await self._query(name, rdtype)
        texts = tuple(r.to_text() for r in rdatas)  # type: ignore[attr-defined]
        return DnsAnswer(name, rdtype, status, texts, detail, ms)

    async def resolve(self, host: str) -> list[IPAddress]:
        """The guard's :class:`~app.net.guard.Resolver` interface."""
        answer = await self.addresses(host)
        if answer.status is DnsStatus.TIMEOUT:
            raise TimeoutError(answer.detail)
        if not answer.records:
            raise ProbeDNSError(answer.detail or f"{host} has no address")
        return list(answer.records)


def _ms(loop: asyncio.AbstractEventLoop, started: float) -> float:
    return round((loop.time() - started) * 1000, 1)
