"""DNS records a domain owner publishes so mail clients find their settings.

- ``autoconfig.<domain>``: a CNAME to this service (A/AAAA when it is reached by a
  public IP address), for Thunderbird's autoconfig lookup.
- RFC 6186 SRV records for IMAP, POP3 and submission, and RFC 8314's
  ``_submissions._tcp`` for implicit-TLS submission, built from the config.
  A service the config lacks gets the target ``.`` ("not offered", RFC 6186 §3.4).
- ``_autodiscover._tcp.<domain>``: Outlook's SRV record pointing at this service.

The two records that point at this service are left out when the internet cannot
reach it (:func:`public_host`). :func:`compare` checks records someone looked up
against the expected ones, in four states; the lookup itself is I/O and lives in
discovery.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from app.hostnames import normalize_domain
from app.i18n import N_
from app.models import AccountConfig, Protocol, Security, ServerEndpoint


@dataclass(frozen=True)
class DnsRecord:
    """One record; SRV records also carry their four fields."""

    name: str
    type: str
    value: str
    purpose: str
    priority: int | None = None
    weight: int | None = None
    port: int | None = None
    target: str | None = None


class CheckStatus(StrEnum):
    PRESENT = "present"  # a record of the name and type has the expected value
    MISSING = "missing"  # the name has no record of the type (NXDOMAIN or no data)
    DIFFERENT = "different"  # records exist, none with the expected value
    UNCHECKED = "unchecked"  # the lookup failed (timeout, SERVFAIL, REFUSED …)


@dataclass(frozen=True)
class Lookup:
    """What DNS answered for one name and type: its values, or that the lookup failed.
    No values without a failure means the name has no such record."""

    values: tuple[str, ...] = ()
    failed: bool = False
    detail: str = ""


@dataclass(frozen=True)
class RecordCheck:
    expected: DnsRecord
    status: CheckStatus
    found: tuple[str, ...] = ()
    detail: str = ""  # why the check could not run


# RFC 6186 / RFC 8314 service labels: (label, protocol, securities, purpose).
SRV_SERVICES: tuple[tuple[str, Protocol, frozenset[Security], str], ...] = (
    ("_imaps._tcp", Protocol.IMAP, frozenset({Security.TLS}), N_("IMAP over implicit TLS")),
    (
        "_imap._tcp",
        Protocol.IMAP,
        frozenset({Security.STARTTLS, Security.NONE}),
        N_("IMAP with STARTTLS"),
    ),
    ("_pop3s._tcp", Protocol.POP3, frozenset({Security.TLS}), N_("POP3 over implicit TLS")),
    (
        "_pop3._tcp",
        Protocol.POP3,
        frozenset({Security.STARTTLS, Security.NONE}),
        N_("POP3 with STARTTLS"),
    ),
    (
        "_submissions._tcp",
        Protocol.SMTP,
        frozenset({Security.TLS}),
        N_("Mail submission over implicit TLS (RFC 8314)"),
    ),
    (
        "_submission._tcp",
        Protocol.SMTP,
        frozenset({Security.STARTTLS, Security.NONE}),
        N_("Mail submission with STARTTLS"),
    ),
)
NOT_OFFERED = N_("Not offered: tells clients not to look for this service")


# Names only the machine itself or its local network resolve (RFC 6761, RFC 6762,
# RFC 8375); a record pointing at one leads nowhere from the internet.
LOCAL_SUFFIXES = (".localhost", ".local", ".home.arpa", ".internal")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def public_host(public_url: str) -> str | None:
    """The host of ``public_url`` if the internet can reach it, else None: ``localhost``,
    single-label and local-only names, and loopback, private, link-local or other
    non-global addresses. Raise ValueError when the URL has no host."""
    host = (urlsplit(public_url).hostname or "").rstrip(".").lower()
    if not host:
        raise ValueError(f"public_url {public_url!r} has no host")
    if _is_ip(host):
        ip = ipaddress.ip_address(host)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return host if ip.is_global else None
    if host == "localhost" or "." not in host or host.endswith(LOCAL_SUFFIXES):
        return None
    return host


def _srv(name: str, priority: int, weight: int, port: int, target: str, purpose: str) -> DnsRecord:
    target = target if target == "." else target.rstrip(".") + "."
    value = f"{priority} {weight} {port} {target}"
    return DnsRecord(name, "SRV", value, purpose, priority, weight, port, target)


def service_records(domain: str, endpoints: Sequence[ServerEndpoint]) -> list[DnsRecord]:
    """The RFC 6186 / RFC 8314 SRV records of ``domain`` (an A-label) for ``endpoints``;
    a service none of them offers gets the target ``.``."""
    out: list[DnsRecord] = []
    for label, protocol, securities, purpose in SRV_SERVICES:
        name = f"{label}.{domain}"
        matching = [
            e
            for e in endpoints
            if e.protocol is protocol and e.security in securities and not _is_ip(e.host)
        ]
        for priority, endpoint in enumerate(matching):
            out.append(_srv(name, priority, 0, endpoint.port, endpoint.host, purpose))
        if not matching:
            out.append(_srv(name, 0, 0, 0, ".", NOT_OFFERED))
    return out


def pointer_records(domain: str, public_url: str) -> list[DnsRecord]:
    """``autoconfig.<domain>`` and ``_autodiscover._tcp.<domain>`` pointing at the service
    at ``public_url``: none when the internet cannot reach it (:func:`public_host`), no
    SRV record when it is reached by an IP address (an SRV target is a name)."""
    domain = normalize_domain(domain)
    host = public_host(public_url)
    if host is None:
        return []
    autoconfig = f"autoconfig.{domain}"
    purpose = N_("Thunderbird and other clients fetch autoconfig from this name")
    if _is_ip(host):
        ip = ipaddress.ip_address(host)
        return [DnsRecord(autoconfig, "A" if ip.version == 4 else "AAAA", str(ip), purpose)]
    port = urlsplit(public_url).port or 443
    autodiscover = N_("Outlook finds its Autodiscover service through this record")
    return [
        DnsRecord(autoconfig, "CNAME", f"{host}.", purpose),
        _srv(f"_autodiscover._tcp.{domain}", 0, 0, port, host, autodiscover),
    ]


def records_for(domain: str, config: AccountConfig, public_url: str) -> list[DnsRecord]:
    """The records ``domain`` should publish for ``config``, served from ``public_url``:
    the autoconfig record, the SRV records of the servers, the Autodiscover record."""
    domain = normalize_domain(domain)
    pointers = pointer_records(domain, public_url)
    services = service_records(domain, config.endpoints)
    return pointers[:1] + services + pointers[1:]


def render_zone(
    records: Sequence[DnsRecord], ttl: int = 3600, describe: Callable[[str], str] = str
) -> str:
    """The records as zone-file lines, each preceded by its purpose as a comment
    (``describe`` may translate it)."""
    lines = []
    for record in records:
        lines.append(f"; {' '.join(describe(record.purpose).split())}")
        lines.append(f"{record.name}.\t{ttl}\tIN\t{record.type}\t{record.value}")
    return "\n".join(lines) + "\n"


def _normal_value(rtype: str, value: str) -> str:
    text = " ".join(value.split()).lower()
    if rtype in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            return text
    if rtype == "SRV":
        fields = text.split(" ")
        if len(fields) == 4 and all(f.isdigit() for f in fields[:3]):
            numbers = " ".join(str(int(f)) for f in fields[:3])
            if fields[3] == ".":  # "not offered" (RFC 6186 §3.4): the numbers mean nothing
                return "."
            return f"{numbers} {fields[3].rstrip('.')}"
        return text
    return text if text == "." else text.rstrip(".")


def _key(name: str, rtype: str) -> tuple[str, str]:
    return name.lower().rstrip("."), rtype.upper()


def compare(
    expected: Sequence[DnsRecord], found: Mapping[tuple[str, str], Sequence[str] | Lookup]
) -> list[RecordCheck]:
    """Check each expected record against ``found`` ((name, type) → what was looked up:
    a :class:`Lookup`, or plain values). A record whose lookup failed is UNCHECKED, one
    with no values MISSING, one among the values PRESENT, else DIFFERENT.

    Names and values compare without case, trailing dots or extra white space.
    """
    merged: dict[tuple[str, str], Lookup] = {}
    for (name, rtype), answer in found.items():
        lookup = answer if isinstance(answer, Lookup) else Lookup(tuple(answer))
        key = _key(name, rtype)
        before = merged.get(key, Lookup())
        merged[key] = Lookup(
            before.values + lookup.values,
            before.failed or lookup.failed,
            before.detail or lookup.detail,
        )
    checks = []
    for record in expected:
        lookup = merged.get(_key(record.name, record.type), Lookup())
        values = lookup.values
        if not values:
            if lookup.failed:
                checks.append(RecordCheck(record, CheckStatus.UNCHECKED, detail=lookup.detail))
            else:
                checks.append(RecordCheck(record, CheckStatus.MISSING))
            continue
        wanted = _normal_value(record.type, record.value)
        have = {_normal_value(record.type, v) for v in values}
        status = CheckStatus.PRESENT if wanted in have else CheckStatus.DIFFERENT
        checks.append(RecordCheck(record, status, values))
    return checks
