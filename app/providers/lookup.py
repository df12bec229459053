"""Answer "how do I set up this address?" from the provider database.

The answers are dataclasses, not pydantic models: they are built from an already
validated AccountConfig, and a lookup sits on the hot path, where copying a
pydantic model costs several times more (see benchmarks/). They are not frozen
either (a frozen dataclass is five times slower to make), but they are values:
a domain's answer is built once and shared, so nothing may change one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from app.errors import InvalidAddress
from app.hostnames import normalize_domain, to_unicode
from app.models import (
    AccountConfig,
    Attempt,
    AuthMethod,
    EmailAddress,
    HelpLink,
    Hints,
    Localized,
    OAuth2Info,
    Protocol,
    Security,
    Source,
    Status,
    Step,
)
from app.providers.db import ProviderDB


@dataclass(slots=True)
class EndpointAnswer:
    """A server with the username filled in for the address asked about."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str
    auth: tuple[AuthMethod, ...]
    source: Source


@dataclass(slots=True)
class LookupAnswer:
    """The settings for one address or domain, in order of preference."""

    email: str | None
    domain: str
    domain_unicode: str
    provider: str | None
    name: Localized | None
    status: Status
    status_reason: Localized | None
    endpoints: tuple[EndpointAnswer, ...]
    steps: tuple[Step, ...]
    hints: Hints
    notes: tuple[Localized, ...]
    oauth2: OAuth2Info | None
    help: tuple[HelpLink, ...]
    source: Source
    trace: tuple[Attempt, ...] = ()
    findings: tuple[str, ...] = ()
    alternatives: tuple[tuple[EndpointAnswer, ...], ...] = ()

    def for_address(self, email: str, endpoints: tuple[EndpointAnswer, ...]) -> LookupAnswer:
        """This answer for one address: its email and filled-in endpoints. Every field
        named: ``dataclasses.replace`` looks the fields up each time, which cost more
        than the rest of a lookup."""
        return LookupAnswer(
            email,
            self.domain,
            self.domain_unicode,
            self.provider,
            self.name,
            self.status,
            self.status_reason,
            endpoints,
            self.steps,
            self.hints,
            self.notes,
            self.oauth2,
            self.help,
            self.source,
            self.trace,
            self.findings,
            self.alternatives,
        )

    def to_json(self) -> dict[str, Any]:
        """The answer as the API sends it (provider texts keyed en, zh-Hans, zh-Hant)."""
        data: dict[str, Any] = _ANSWER.dump_python(self, mode="json", by_alias=True)
        return data


_ANSWER: TypeAdapter[LookupAnswer] = TypeAdapter(LookupAnswer)


def parse_query(text: str) -> tuple[EmailAddress | None, str]:
    """Split user input into (address or None, A-label domain); raise InvalidAddress."""
    text = text.strip()
    if not text:
        raise InvalidAddress("give an email address, like someone@example.com")
    if "@" in text:
        address = EmailAddress.parse(text)
        return address, address.domain
    return None, normalize_domain(text)


def _endpoints(config: AccountConfig, address: EmailAddress | None) -> tuple[EndpointAnswer, ...]:
    return tuple(
        EndpointAnswer(
            protocol=e.protocol,
            host=e.host,
            port=e.port,
            security=e.security,
            username=address.fill(e.username) if address else e.username,
            auth=e.auth,
            source=e.source,
        )
        for e in config.endpoints
    )


def answer_from_config(
    config: AccountConfig,
    address: EmailAddress | None,
    *,
    trace: tuple[Attempt, ...] = (),
    findings: tuple[str, ...] = (),
    alternatives: tuple[AccountConfig, ...] = (),
) -> LookupAnswer:
    """Fill the config's username templates for ``address`` (kept as templates without one)."""
    endpoints = _endpoints(config, address)
    return LookupAnswer(
        email=address.address if address else None,
        domain=config.domain,
        domain_unicode=to_unicode(config.domain),
        provider=config.provider_id,
        name=config.name,
        status=config.status,
        status_reason=config.status_reason,
        endpoints=endpoints,
        steps=config.steps,
        hints=config.hints,
        notes=config.notes,
        oauth2=config.oauth2,
        help=config.help,
        source=config.source,
        trace=trace,
        findings=findings,
        alternatives=tuple(_endpoints(a, address) for a in alternatives),
    )


# Database answers by id(config), kept with their config: an address only changes usernames.
_TEMPLATES: dict[int, tuple[AccountConfig, LookupAnswer]] = {}


def _template(config: AccountConfig) -> LookupAnswer:
    found = _TEMPLATES.get(id(config))
    if found is None or found[0] is not config:
        found = _TEMPLATES[id(config)] = (config, answer_from_config(config, None))
    return found[1]


def lookup_answer(db: ProviderDB, query: str) -> LookupAnswer:
    """Look ``query`` (address or domain) up; raise InvalidAddress or UnknownDomain.

    The hot path: the answer for a domain is built once and copied per address.
    """
    address, domain = parse_query(query)
    template = _template(db.config_for(domain, normalized=True))
    if address is None:
        return template
    filled: dict[str, str] = {}  # the endpoints mostly share one username template
    endpoints = []
    for e in template.endpoints:
        username = filled.get(e.username)
        if username is None:
            username = filled[e.username] = address.fill(e.username)
        endpoints.append(
            EndpointAnswer(e.protocol, e.host, e.port, e.security, username, e.auth, e.source)
        )
    return template.for_address(address.address, tuple(endpoints))
