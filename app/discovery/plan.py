"""What discovery tries, and how it ranks what it finds. Pure: no I/O here.

The order follows Thunderbird's account setup: the domain's own autoconfig, then
ISPDB (online, then the snapshot shipped in data/ispdb/), then MX, then RFC 6186/8314
SRV records; guesses come last and count only once a probe confirms them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import quote

from app.discovery.dns import SrvRecord
from app.models import AccountConfig, Protocol, Security, ServerEndpoint, Source


class Rank(IntEnum):
    """Lower wins. The database short-circuits before anything runs."""

    DATABASE = 0
    AUTOCONFIG_HTTPS = 1
    AUTOCONFIG_HTTP = 2
    ISPDB = 3
    ISPDB_SNAPSHOT = 4  # our copy of ISPDB: wins only when the live sources above fail
    MX_PROVIDER = 5
    MX_AUTOCONFIG = 6
    MX_ISPDB = 7
    SRV = 8
    GUESS = 9


@dataclass(frozen=True)
class Fetch:
    """One HTTP document to try."""

    rank: Rank
    url: str
    source: Source
    insecure: bool = False  # fetched over plain http: the answer could be forged


def autoconfig_fetches(domain: str, email: str | None, rank_base: Rank) -> list[Fetch]:
    """The domain's own autoconfig URLs, https first (Thunderbird's steps 1–3)."""
    query = f"?emailaddress={quote(email, safe='@')}" if email else ""
    paths = (
        f"autoconfig.{domain}/mail/config-v1.1.xml{query}",
        f"{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    )
    https_rank = rank_base
    http_rank = Rank.AUTOCONFIG_HTTP if rank_base is Rank.AUTOCONFIG_HTTPS else rank_base
    fetches = [Fetch(https_rank, f"https://{p}", Source.AUTOCONFIG) for p in paths]
    fetches += [Fetch(http_rank, f"http://{p}", Source.AUTOCONFIG, insecure=True) for p in paths]
    return fetches


def ispdb_fetch(base_url: str, domain: str, rank: Rank = Rank.ISPDB) -> Fetch:
    """ISPDB: the configured base URL plus the domain."""
    return Fetch(rank, base_url + domain, Source.ISPDB)


# RFC 6186 section 3.1 and RFC 8314 section 5.1; implicit TLS first (RFC 8314 section 3).
SRV_SERVICES: tuple[tuple[str, Protocol, Security], ...] = (
    ("_imaps._tcp", Protocol.IMAP, Security.TLS),
    ("_imap._tcp", Protocol.IMAP, Security.STARTTLS),
    ("_pop3s._tcp", Protocol.POP3, Security.TLS),
    ("_pop3._tcp", Protocol.POP3, Security.STARTTLS),
    ("_submissions._tcp", Protocol.SMTP, Security.TLS),
    ("_submission._tcp", Protocol.SMTP, Security.STARTTLS),
)


def config_from_srv(domain: str, answers: dict[str, tuple[SrvRecord, ...]]) -> AccountConfig | None:
    """Endpoints from SRV answers keyed by service label; None without incoming and smtp.

    A target of "." means the service is not offered (RFC 6186 section 3.1).
    """
    endpoints = []
    for label, protocol, security in SRV_SERVICES:
        for record in answers.get(label, ()):
            if not record.target or record.port == 0:
                continue
            endpoints.append(
                ServerEndpoint(
                    protocol=protocol,
                    host=record.target,
                    port=record.port,
                    security=security,
                    source=Source.SRV,
                )
            )
    incoming = [e for e in endpoints if e.protocol.incoming]
    outgoing = [e for e in endpoints if not e.protocol.incoming]
    if not incoming or not outgoing:
        return None
    return AccountConfig(
        domain=domain, provider_id=None, endpoints=(*incoming, *outgoing), source=Source.SRV
    )


# Thunderbird's guesses, in its order: encrypted before plain, IMAP before POP3.
GUESS_INCOMING: tuple[tuple[Protocol, tuple[str, ...], int, Security], ...] = (
    (Protocol.IMAP, ("imap.", "mail.", ""), 993, Security.TLS),
    (Protocol.IMAP, ("imap.", "mail.", ""), 143, Security.STARTTLS),
    (Protocol.POP3, ("pop3.", "pop.", "mail.", ""), 995, Security.TLS),
    (Protocol.POP3, ("pop3.", "pop.", "mail.", ""), 110, Security.STARTTLS),
)
GUESS_OUTGOING: tuple[tuple[tuple[str, ...], int, Security], ...] = (
    (("smtp.", "mail.", ""), 465, Security.TLS),
    (("smtp.", "mail.", ""), 587, Security.STARTTLS),
    (("smtp.", "mail.", ""), 25, Security.STARTTLS),
)


def guess_candidates(domain: str) -> list[ServerEndpoint]:
    """Every guess in order of preference; a probe must confirm each before use."""
    out = []
    for protocol, prefixes, port, security in GUESS_INCOMING:
        for prefix in prefixes:
            out.append(_guess(protocol, prefix + domain, port, security))
    for prefixes, port, security in GUESS_OUTGOING:
        for prefix in prefixes:
            out.append(_guess(Protocol.SMTP, prefix + domain, port, security))
    return out


def _guess(protocol: Protocol, host: str, port: int, security: Security) -> ServerEndpoint:
    return ServerEndpoint(
        protocol=protocol, host=host, port=port, security=security, source=Source.GUESS_VERIFIED
    )


def config_from_guesses(domain: str, confirmed: list[ServerEndpoint]) -> AccountConfig | None:
    """A config from confirmed guesses (kept in guess order); None without both kinds."""
    order = {(e.protocol, e.host, e.port): i for i, e in enumerate(guess_candidates(domain))}
    ranked = sorted(confirmed, key=lambda e: order.get((e.protocol, e.host, e.port), len(order)))
    incoming = [e for e in ranked if e.protocol.incoming]
    outgoing = [e for e in ranked if not e.protocol.incoming]
    if not incoming or not outgoing:
        return None
    return AccountConfig(
        domain=domain,
        provider_id=None,
        endpoints=(*incoming, *outgoing),
        source=Source.GUESS_VERIFIED,
    )


def pick(found: list[tuple[Rank, AccountConfig]]) -> tuple[AccountConfig, list[AccountConfig]]:
    """The winner (lowest rank) and every alternative, best first."""
    ordered = sorted(found, key=lambda pair: pair[0])
    return ordered[0][1], [config for _, config in ordered[1:]]
