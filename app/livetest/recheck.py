"""``mailsetup verify-data``, the I/O half: connect to each endpoint of the provider
database through the guard, complete TLS (implicit or STARTTLS), read the greeting and
the capabilities, and note the certificate; never log in. The comparison with the record
is :mod:`app.livetest.recheck_compare`."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from app.discovery.guess import greets, offers_starttls
from app.discovery.service import DnsClient
from app.errors import (
    GuardRefused,
    ProbeConnectError,
    ProbeDNSError,
    ProbeError,
    ProbeTimeout,
    ProbeTLSError,
    ProtocolViolation,
)
from app.livetest.recheck_compare import (
    Check,
    Observed,
    Result,
    Target,
    judge,
    mechanisms,
    offline,
    targets,
)
from app.models import Protocol, Security, ServerEndpoint
from app.net.guard import Guard, Resolver
from app.net.tls import tls_context
from app.probe.explain import explain
from app.probe.report import ErrorInfo, Reason
from app.probe.session import LineSession
from app.probe.steps import StepName, TlsVia
from app.settings import Settings

__all__ = ["Check", "Result", "Target", "check_all", "offline", "targets"]

DEFAULT_CONCURRENCY = 16
DEFAULT_TIMEOUT = 10.0

CAPABILITY_STEP = {Protocol.IMAP: StepName.CAPABILITY, Protocol.POP3: StepName.CAPA}

_BY_TYPE: tuple[tuple[type[ProbeError], Reason], ...] = (
    (GuardRefused, Reason.GUARD_REFUSED),
    (ProbeDNSError, Reason.DNS_NOT_FOUND),
    (ProbeTimeout, Reason.SILENT),
    (ProbeTLSError, Reason.TLS_HANDSHAKE),
    (ProtocolViolation, Reason.PROTOCOL_VIOLATION),
    (ProbeConnectError, Reason.CONNECT_FAILED),
)


async def _capabilities(session: LineSession, protocol: Protocol, ehlo: StepName) -> list[str]:
    async with session.step(CAPABILITY_STEP.get(protocol, ehlo)):
        if protocol is Protocol.IMAP:
            await session.send("v1 CAPABILITY")
            return await session.read_response(lambda line: line.startswith("v1 "))
        if protocol is Protocol.POP3:
            await session.send("CAPA")
            return await session.read_response(lambda line: line == "." or line.startswith("-"))
        await session.send(f"EHLO {session.local_address_literal()}")
        return await session.read_response(lambda line: line[3:4] != "-")


async def _starttls(session: LineSession, protocol: Protocol) -> None:
    """Ask for the upgrade and shake hands; a refusal is :data:`Reason.STARTTLS_REFUSED`."""
    async with session.step(StepName.STARTTLS):
        if protocol is Protocol.IMAP:
            await session.send("v2 STARTTLS")
            lines = await session.read_response(lambda line: line.startswith("v2 "))
            agreed = lines[-1].upper().startswith("V2 OK")
        elif protocol is Protocol.POP3:
            await session.send("STLS")
            agreed = (await session.read_line()).startswith("+OK")
        else:
            await session.send("STARTTLS")
            agreed = (await session.read_response(lambda line: line[3:4] != "-"))[-1][:3] == "220"
        if not agreed:
            message = "the server refused STARTTLS"
            raise session.error(Reason.STARTTLS_REFUSED, ProbeTLSError, message)
        await session.start_tls(TlsVia.STARTTLS)


async def _dialogue(session: LineSession, target: Target) -> Observed:
    protocol = target.protocol
    async with session.step(StepName.CONNECT):
        await session.connect()
    if target.security is Security.TLS:
        async with session.step(StepName.TLS):
            await session.start_tls(TlsVia.IMPLICIT)
    async with session.step(StepName.GREETING):
        greeting = await session.read_line()
    if not greets(protocol, greeting):
        raise session.not_a_greeting()
    session.confirm_greeting()
    lines = await _capabilities(session, protocol, StepName.EHLO)
    if target.security is Security.STARTTLS:
        if not offers_starttls(protocol, lines):
            message = "the record says STARTTLS, but the server does not offer it"
            raise session.error(Reason.STARTTLS_NOT_OFFERED, ProbeTLSError, message)
        await _starttls(session, protocol)
        lines = await _capabilities(session, protocol, StepName.EHLO_TLS)
    return Observed(mechanisms=mechanisms(protocol, lines), capabilities_read=True)


def _not_after(session: LineSession) -> dt.datetime | None:
    chain = session.tls.chain if session.tls is not None else ()
    return chain[0].not_after if chain else None


async def observe(
    target: Target, settings: Settings, resolver: Resolver | None, seconds: float
) -> Observed:
    """Connect to ``target`` and read what it offers, within ``seconds``."""
    loop = asyncio.get_running_loop()
    session = LineSession(
        target.host,
        target.port,
        guard=Guard.from_settings(settings, resolver=resolver),
        context=tls_context(settings.probe_ca_file),
        deadline=loop.time() + seconds,
        step_timeout=seconds,
        protocol=target.protocol.name,
        sniff_after=min(1.5, seconds / 2),
    )
    try:
        seen = await _dialogue(session, target)
        return Observed(
            mechanisms=seen.mechanisms, capabilities_read=True, not_after=_not_after(session)
        )
    except ProbeError as exc:
        reason = Reason(exc.reason) if exc.reason else None
        reason = reason or next((r for t, r in _BY_TYPE if isinstance(exc, t)), Reason.OTHER)
        if reason is Reason.TLS_GARBLED and target.security is Security.TLS:
            endpoint = ServerEndpoint(
                protocol=target.protocol,
                host=target.host,
                port=target.port,
                security=target.security,
            )
            error = ErrorInfo(type=type(exc).__name__, message=str(exc), reason=reason)
            sharpened = await explain(session, endpoint, error)
            if sharpened.reason is Reason.PORT_PLAINTEXT:
                message = "the record says implicit TLS, but the port speaks plain text"
                return Observed(reason=sharpened.reason, message=message)
            reason = sharpened.reason
        code = session.verdict[0] if session.verdict else None
        return Observed(reason=reason, message=str(exc), verify_code=code)
    finally:
        await session.close()


async def check_all(
    found: list[Target],
    settings: Settings,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    seconds: float = DEFAULT_TIMEOUT,
    done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Every target checked, at most ``concurrency`` at once, ``seconds`` each, in the
    order given."""
    semaphore = asyncio.Semaphore(max(1, concurrency))
    resolver = DnsClient.from_settings(settings)

    async def one(target: Target) -> Result:
        async with semaphore:
            seen = await observe(target, settings, resolver, seconds)
        result = judge(target, seen, dt.datetime.now(dt.UTC))
        if done is not None:
            done(result)
        return result

    return list(await asyncio.gather(*(one(t) for t in found)))
