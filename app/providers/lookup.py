"""Answer "how do I set up this address?" from a domain's AccountConfig.

The answers are dataclasses, not pydantic models: they are built from an already
validated AccountConfig, where building a pydantic model costs several times more.
They are values: nothing changes one once it is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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
    ServerEndpoint,
    Source,
    Status,
    Step,
)


@dataclass(slots=True)
class EndpointAnswer:
    """A server as the lookup API answers it: one of the looked-up servers, with the username
    filled in for the address asked about (still a template when only a domain was asked).

    ``username_kind`` is ``derived`` when the username comes from the address, ``issued``
    when the provider issues a separate login name: ``username`` is then empty and
    ``issued_username`` says what the user types."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str
    auth: tuple[AuthMethod, ...]
    source: Source
    username_kind: Literal["derived", "issued"] = "derived"
    issued_username: Localized | None = None

    @classmethod
    def of(cls, endpoint: ServerEndpoint, address: EmailAddress | None) -> EndpointAnswer:
        """``endpoint`` with its username template filled for ``address``, if one."""
        issued = endpoint.issued_username
        if issued is not None:
            username = ""  # no address stands in for a login name the provider issues
        else:
            username = address.fill(endpoint.username) if address else endpoint.username
        return cls(
            protocol=endpoint.protocol,
            host=endpoint.host,
            port=endpoint.port,
            security=endpoint.security,
            username=username,
            auth=endpoint.auth,
            source=endpoint.source,
            username_kind="derived" if issued is None else "issued",
            issued_username=issued,
        )


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
    return tuple(EndpointAnswer.of(e, address) for e in config.endpoints)


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
