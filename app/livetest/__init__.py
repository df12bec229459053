"""The live tester's one entry, for the web app, the CLI and the benchmarks: which servers
to test (:func:`plan_test`), running them (:func:`stream`, :func:`last_report`,
:func:`run_plan`) and the JSON a test produces. The engine below is :mod:`app.probe`;
callers take its types from here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from app.discovery.service import Discoverer, resolve
from app.errors import MailsetupError
from app.livetest.selfcheck import check_ourselves
from app.livetest.servers import (
    CommandSecret,
    CommandText,
    ServerSpec,
    repeated_server,
    unique_servers,
)
from app.livetest.verdicts import Outcome, Verdict, outcome, untested, verdict
from app.models import AccountConfig, EmailAddress, Localized
from app.net.guard import Resolver
from app.probe.credential import CredentialKind, check_token
from app.probe.report import AuthStatus, Direction, Finding, Mechanism, ProbeResult, Severity
from app.probe.runner import MAX_SERVERS as MAX_SERVERS  # each server is a test, counted
from app.probe.runner import Event, ReportEvent, ResultEvent, StepEvent, Target, run_tests
from app.probe.slots import ANYONE
from app.probe.steps import StepName
from app.settings import Settings

__all__ = [
    "MAX_SERVERS",
    "AuthStatus",
    "CommandSecret",
    "CommandText",
    "CredentialKind",
    "Direction",
    "Event",
    "Finding",
    "Mechanism",
    "Outcome",
    "Plan",
    "ProbeResult",
    "ReportEvent",
    "ResultEvent",
    "ServerSpec",
    "Severity",
    "StepEvent",
    "StepName",
    "Target",
    "UsernameNeeded",
    "Verdict",
    "check_token",
    "last_report",
    "ndjson",
    "outcome",
    "plan_test",
    "repeated_server",
    "report_json",
    "run_plan",
    "stream",
    "unique_servers",
    "untested",
    "verdict",
]


class UsernameNeeded(MailsetupError, ValueError):
    """The provider issues its own login name (docomo's IMAP ID): the address will not
    log in, so the test needs the name typed; ``what`` says what it is."""

    def __init__(self, what: Localized) -> None:
        self.what = what
        super().__init__(f"this provider issues its own user name: give {what.en} as the username")


@dataclass(frozen=True)
class Plan:
    """What to test, and where each host came from: ``database_hosts`` are the targets'
    hosts that the provider database lists, ``typed_hosts`` those the visitor typed."""

    address: EmailAddress
    targets: list[Target]
    account: AccountConfig | None
    database_hosts: frozenset[str] = frozenset()
    typed_hosts: frozenset[str] = frozenset()


async def plan_test(
    discoverer: Discoverer,
    email: str,
    username: str | None,
    servers: list[ServerSpec] | None,
) -> Plan:
    """The targets for a test; raise InvalidAddress, UnknownDomain without servers, or
    UsernameNeeded when a server wants a login name the provider issues and none is given.

    With ``servers`` the provider's steps and quirks come from the database or the
    cache only: a test that names its servers never starts a discovery.
    """
    address = EmailAddress.parse(email)
    account: AccountConfig | None
    if servers:
        found = await discoverer.known_or_cached(address.domain)
        account = found.config if found is not None else None
        endpoints = [s.to_endpoint() for s in servers]
    else:
        _, account, _ = await resolve(discoverer, address.address)
        endpoints = list(account.endpoints)
    known = account.endpoints if account is not None else ()
    issued = next((e.issued_username for e in (*endpoints, *known) if e.issued_username), None)
    if issued is not None and not username:
        raise UsernameNeeded(issued)  # the address would only be a refused login
    # A discovered document may repeat a server or list many: tested as a request may.
    targets: dict[tuple[object, ...], Target] = {}
    for e in endpoints:
        login = username or address.fill(e.username)
        targets.setdefault((e.protocol, e.host, e.port, e.security, login), Target(e, login))
    chosen = list(targets.values())[:MAX_SERVERS]
    hosts = {t.endpoint.host for t in chosen}
    database = frozenset(h for h in hosts if discoverer.db.lists_host(h))
    return Plan(address, chosen, account, database, frozenset(hosts) if servers else frozenset())


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
        "untested": untested(result),
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
        "outcome": outcome(report.results).value,
        "duration_ms": report.duration_ms,
        "results": [result_json(r) for r in report.results],
    }


async def stream(
    plan: Plan,
    secret: SecretStr,
    settings: Settings,
    resolver: Resolver,
    allow_invalid: bool = False,
    lang: str = "en",
    *,
    deadline: float | None = None,
    client: str = ANYONE,
    credential: CredentialKind = CredentialKind.PASSWORD,
    prefer: Mechanism | None = None,
) -> AsyncIterator[Event]:
    """Run the plan with ``secret`` (a password, or the access token ``credential`` says
    it is), names resolved by ``resolver`` (discovery's DNS client, in the app); findings
    in ``lang``. ``deadline`` and ``client`` are :func:`app.probe.runner.run_tests`'s.
    Network-level failures that the whole test shows to be the service's are worded so."""
    events = run_tests(
        plan.targets,
        secret.get_secret_value(),
        settings=settings,
        credential=credential,
        prefer=prefer,
        resolver=resolver,
        account=plan.account,
        allow_invalid_certificate=allow_invalid,
        lang=lang,
        deadline=deadline,
        client=client,
    )
    checked = check_ourselves(events, plan.database_hosts, plan.typed_hosts, plan.account, lang)
    async for event in checked:
        yield event


async def last_report(
    events: AsyncIterator[Event], on_event: Callable[[Event], None] | None = None
) -> ReportEvent:
    """The report, once ``events`` has ended (limits wrapped around them count as it
    ends); ``on_event`` sees every event on the way."""
    report = None
    async for event in events:
        if on_event is not None:
            on_event(event)
        if isinstance(event, ReportEvent):
            report = event
    if report is None:
        raise RuntimeError("the runner ended without a report")
    return report


async def run_plan(
    plan: Plan, secret: SecretStr, settings: Settings, resolver: Resolver, **options: Any
) -> ReportEvent:
    """Run the plan to its end: :func:`stream`'s options, :func:`last_report`'s answer."""
    return await last_report(stream(plan, secret, settings, resolver, **options))


async def ndjson(
    events: AsyncIterator[Event],
    extra: Callable[[ReportEvent], dict[str, Any]] | None = None,
) -> AsyncIterator[bytes]:
    """One JSON line per event; ``extra`` adds fields to the report's line."""
    async for event in events:
        body = event_json(event)
        if extra is not None and isinstance(event, ReportEvent):
            body.update(extra(event))
        yield json.dumps(body, ensure_ascii=False).encode() + b"\n"
