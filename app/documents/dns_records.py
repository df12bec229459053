"""DNS records a domain owner publishes so mail clients find their settings.

- ``autoconfig.<domain>``: a CNAME to this service (A/AAAA when it is reached by IP),
  for Thunderbird's autoconfig lookup.
- RFC 6186 SRV records for IMAP, POP3 and submission, and RFC 8314's
  ``_submissions._tcp`` for implicit-TLS submission, built from the config.
  A service the config lacks gets the target ``.`` ("not offered", RFC 6186 §3.4).
- ``_autodiscover._tcp.<domain>``: Outlook's SRV record pointing at this service.

:func:`compare` checks records someone looked up against the expected ones; the
lookup itself is I/O and lives in discovery.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
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
    PRESENT = "present"
    MISSING = "missing"
    DIFFERENT = "different"


@dataclass(frozen=True)
class RecordCheck:
    expected: DnsRecord
    status: CheckStatus
    found: tuple[str, ...] = ()


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


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _srv(name: str, priority: int, weight: int, port: int, target: str, purpose: str) -> DnsRecord:
    target = target if target == "." else target.rstrip(".") + "."
    value = f"{priority} {weight} {port} {target}"
    return DnsRecord(name, "SRV", value, purpose, priority, weight, port, target)


def _service_records(domain: str, endpoints: Sequence[ServerEndpoint]) -> list[DnsRecord]:
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


def records_for(domain: str, config: AccountConfig, public_url: str) -> list[DnsRecord]:
    """The records ``domain`` should publish for ``config``, served from ``public_url``."""
    domain = normalize_domain(domain)
    parts = urlsplit(public_url)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"public_url {public_url!r} has no host")
    autoconfig = f"autoconfig.{domain}"
    purpose = N_("Thunderbird and other clients fetch autoconfig from this name")
    records: list[DnsRecord] = []
    if _is_ip(host):
        ip = ipaddress.ip_address(host)
        records.append(DnsRecord(autoconfig, "A" if ip.version == 4 else "AAAA", str(ip), purpose))
    else:
        records.append(DnsRecord(autoconfig, "CNAME", f"{host}.", purpose))
    records.extend(_service_records(domain, config.endpoints))
    if not _is_ip(host):
        records.append(
            _srv(
                f"_autodiscover._tcp.{domain}",
                0,
                0,
                parts.port or 443,
                host,
                N_("Outlook finds its Autodiscover service through this record"),
            )
        )
    return records


def render_zone(records: Sequence[DnsRecord], ttl: int = 3600) -> str:
    """The records as zone-file lines, each preceded by its purpose as a comment."""
    lines = []
    for record in records:
        lines.append(f"; {record.purpose}")
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
            target = fields[3] if fields[3] == "." else fields[3].rstrip(".")
            return f"{numbers} {target}"
        return text
    return text if text == "." else text.rstrip(".")


def _key(name: str, rtype: str) -> tuple[str, str]:
    return name.lower().rstrip("."), rtype.upper()


def compare(
    expected: Sequence[DnsRecord], found: Mapping[tuple[str, str], Sequence[str]]
) -> list[RecordCheck]:
    """Check each expected record against ``found`` ((name, type) → values as looked up).

    Names and values compare without case, trailing dots or extra white space.
    """
    found_by_key: dict[tuple[str, str], tuple[str, ...]] = {}
    for (name, rtype), values in found.items():
        key = _key(name, rtype)
        found_by_key[key] = found_by_key.get(key, ()) + tuple(values)
    checks = []
    for record in expected:
        values = found_by_key.get(_key(record.name, record.type), ())
        if not values:
            checks.append(RecordCheck(record, CheckStatus.MISSING))
            continue
        wanted = _normal_value(record.type, record.value)
        have = {_normal_value(record.type, v) for v in values}
        status = CheckStatus.PRESENT if wanted in have else CheckStatus.DIFFERENT
        checks.append(RecordCheck(record, status, values))
    return checks
