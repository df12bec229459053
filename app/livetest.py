"""A live test, as the web app and the CLI run it: which servers, and the JSON it produces."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError

from app.discovery.pipeline import Discoverer
from app.discovery.service import resolve
from app.hostnames import is_hostname
from app.models import AccountConfig, EmailAddress, Protocol, Security, ServerEndpoint
from app.net.guard import parse_ip_literal
from app.probe.report import ProbeResult
from app.probe.runner import MAX_SERVERS as MAX_SERVERS  # each server is a test, counted
from app.probe.runner import Event, ReportEvent, ResultEvent, Target, run_tests
from app.probe.slots import ANYONE
from app.settings import Settings
from app.untrusted import CONTROL_MESSAGE, ENCODING_MESSAGE, has_control, is_utf8


def _is_ipv6(text: str) -> bool:
    """Whether ``text`` is an IPv6 address (no brackets)."""
    return "[" not in text and isinstance(parse_ip_literal(text), ipaddress.IPv6Address)


def _text(value: str) -> str:
    """A field bound for a mail command: no controls, nothing UTF-8 cannot encode.
    The message names the problem, never the value (it may be a password)."""
    if not is_utf8(value):
        raise PydanticCustomError("unicode_text", ENCODING_MESSAGE)
    if has_control(value):
        raise PydanticCustomError("control_character", CONTROL_MESSAGE)
    return value


def _secret(value: SecretStr) -> SecretStr:
    _text(value.get_secret_value())
    return value


# The credential fields of a live test, wherever they come from (API, form, CLI).
CommandText = Annotated[str, AfterValidator(_text)]
CommandSecret = Annotated[SecretStr, AfterValidator(_secret)]


class ServerSpec(BaseModel):
    """A server to test instead of the looked-up ones."""

    model_config = ConfigDict(extra="forbid")

    protocol: Protocol
    host: Annotated[str, Field(max_length=253)]
    port: Annotated[int, Field(ge=1, le=65535)]
    security: Security

    IPV6_EXAMPLE: ClassVar[str] = "imap:[2001:db8::1]:993:tls"

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip().lower().rstrip(".")
        if value.startswith("[") or value.endswith("]"):  # RFC 3986 IP-literal: IPv6 only
            inner = value.removeprefix("[").removesuffix("]")
            if not (value.startswith("[") and value.endswith("]")) or not _is_ipv6(inner):
                raise ValueError("brackets hold an IPv6 address only, such as [2001:db8::1]")
            return inner
        if parse_ip_literal(value) is None and not is_hostname(value):
            raise ValueError("must be a host name such as imap.example.com, or an IP address")
        return value

    def label(self) -> str:
        """``protocol:host:port:security``, as :meth:`parse` reads it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol.value}:{host}:{self.port}:{self.security.value}"

    @classmethod
    def parse(cls, text: str) -> ServerSpec:
        """``protocol:host:port:security``, e.g. ``imap:imap.qq.com:993:tls``; an IPv6
        host in brackets (RFC 3986 section 3.2.2), e.g. ``imap:[2001:db8::1]:993:tls``."""
        protocol, _, rest = text.strip().partition(":")
        if rest.startswith("["):
            inner, bracket, tail = rest[1:].partition("]")
            if not bracket:
                raise ValueError(f"{text!r}: the '[' has no ']', e.g. {cls.IPV6_EXAMPLE}")
            if not _is_ipv6(inner):
                raise ValueError(
                    f"{text!r}: {inner!r} in brackets is not an IPv6 address, "
                    f"e.g. {cls.IPV6_EXAMPLE}"
                )
            if not tail.startswith(":"):
                raise ValueError(
                    f"{text!r}: write ':' and the port after ']', e.g. {cls.IPV6_EXAMPLE}"
                )
            host = f"[{inner}]"
            parts = tail[1:].split(":")
        else:
            host, _, rest = rest.partition(":")
            parts = rest.split(":")
            if len(parts) > 2 and _is_ipv6(":".join([host, *parts[:-2]])):
                address = ":".join([host, *parts[:-2]])
                raise ValueError(
                    f"{text!r}: write the IPv6 address {address!r} in brackets, "
                    f"e.g. {cls.IPV6_EXAMPLE}"
                )
        if not protocol or not host or len(parts) != 2:
            raise ValueError(
                f"{text!r}: write protocol:host:port:security, "
                f"e.g. imap:imap.qq.com:993:tls or {cls.IPV6_EXAMPLE}"
            )
        port, security = parts
        if not port.isdigit():
            raise ValueError(f"{text!r}: the port must be a number")
        return cls.model_validate(
            {
                "protocol": protocol.lower(),
                "host": host,
                "port": int(port),
                "security": security.lower(),
            }
        )


def repeated_server(specs: list[ServerSpec]) -> ServerSpec | None:
    """The first server listed again (same protocol, host, port and security), if any."""
    seen: set[str] = set()
    for spec in specs:
        if spec.label() in seen:
            return spec
        seen.add(spec.label())
    return None


def unique_servers(specs: list[ServerSpec]) -> list[ServerSpec]:
    """``specs``, or ValueError when one of them is listed twice."""
    repeated = repeated_server(specs)
    if repeated is not None:
        raise ValueError(f"{repeated.label()} is listed twice; list each server once")
    return specs


@dataclass(frozen=True)
class Plan:
    address: EmailAddress
    targets: list[Target]
    account: AccountConfig | None


async def plan_test(
    discoverer: Discoverer,
    email: str,
    username: str | None,
    servers: list[ServerSpec] | None,
) -> Plan:
    """The targets for a test; raise InvalidAddress, or UnknownDomain without servers.

    With ``servers`` the provider's steps and quirks come from the database or the
    cache only: a test that names its servers never starts a discovery.
    """
    address = EmailAddress.parse(email)
    account: AccountConfig | None
    if servers:
        found = await discoverer.known_or_cached(address.domain)
        account = found.config if found is not None else None
        endpoints = [
            ServerEndpoint(protocol=s.protocol, host=s.host, port=s.port, security=s.security)
            for s in servers
        ]
    else:
        _, account, _ = await resolve(discoverer, address.address)
        endpoints = list(account.endpoints)
    # A discovered document may repeat a server or list many: tested as a request may.
    targets: dict[tuple[object, ...], Target] = {}
    for e in endpoints:
        login = username or address.fill(e.username)
        targets.setdefault((e.protocol, e.host, e.port, e.security, login), Target(e, login))
    return Plan(address, list(targets.values())[:MAX_SERVERS], account)


def result_json(result: ProbeResult) -> dict[str, Any]:
    """One server's verdict, flat: where, whether it worked, why, and the transcript."""
    body = result.model_dump(mode="json", exclude={"endpoint"})
    endpoint = result.endpoint
    return {
        "protocol": endpoint.protocol.value,
        "host": endpoint.host,
        "port": endpoint.port,
        "security": endpoint.security.value,
        **body,
    }


def event_json(event: Event) -> dict[str, Any]:
    if isinstance(event, ResultEvent):
        return {"type": "result", "server": event.server, "result": result_json(event.result)}
    if isinstance(event, ReportEvent):
        return report_json(event)
    return event.model_dump(mode="json")


def report_json(report: ReportEvent) -> dict[str, Any]:
    return {
        "type": "report",
        "ok": report.ok,
        "duration_ms": report.duration_ms,
        "results": [result_json(r) for r in report.results],
    }


async def stream(
    plan: Plan,
    password: SecretStr,
    settings: Settings,
    discoverer: Discoverer,
    allow_invalid: bool,
    lang: str = "en",
    *,
    deadline: float | None = None,
    client: str = ANYONE,
) -> AsyncIterator[Event]:
    """Run the plan, names resolved by discovery's DNS client; findings in ``lang``.
    ``deadline`` and ``client`` are :func:`app.probe.runner.run_tests`'s."""
    async for event in run_tests(
        plan.targets,
        password.get_secret_value(),
        settings=settings,
        resolver=discoverer.dns,
        account=plan.account,
        allow_invalid_certificate=allow_invalid,
        lang=lang,
        deadline=deadline,
        client=client,
    ):
        yield event


async def ndjson(events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
    async for event in events:
        yield json.dumps(event_json(event), ensure_ascii=False).encode() + b"\n"
