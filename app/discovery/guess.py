"""Confirm a guessed endpoint the way Thunderbird does: greeting and capabilities, no login.

An implicit-TLS guess must complete a verified TLS handshake and greet in its
protocol; a STARTTLS guess must greet and offer STARTTLS (STLS for POP3). Every
connection goes through the SSRF guard.
"""

from __future__ import annotations

import asyncio

from app.errors import (
    GuardRefused,
    ProbeConnectError,
    ProbeDNSError,
    ProbeError,
    ProbeTimeout,
    ProbeTLSError,
    ProtocolViolation,
)
from app.models import Protocol, Security, ServerEndpoint, TraceOutcome
from app.net.guard import Guard, Resolver
from app.net.tls import tls_context
from app.probe.recorder import describe
from app.probe.session import LineSession
from app.probe.steps import StepName, TlsVia
from app.settings import Settings

VERIFY_DEADLINE = 10.0  # Thunderbird gives each guess 10 s

Rejection = tuple[TraceOutcome, str]  # what came of a guess, and why, in English

# The probe's errors, most specific first (a TLS error is also an OSError, and so on).
ERROR_OUTCOMES: tuple[tuple[type[ProbeError], TraceOutcome], ...] = (
    (GuardRefused, TraceOutcome.BLOCKED),
    (ProbeDNSError, TraceOutcome.HOST_UNRESOLVED),
    (ProbeTimeout, TraceOutcome.TIMEOUT),
    (ProbeTLSError, TraceOutcome.TLS_FAILED),
    (ProtocolViolation, TraceOutcome.NOT_MAIL),
    (ProbeConnectError, TraceOutcome.CONNECTION_FAILED),
)

GREETING = {Protocol.IMAP: ("* OK", "* PREAUTH"), Protocol.POP3: ("+OK",), Protocol.SMTP: ("220",)}


def greets(protocol: Protocol, line: str) -> bool:
    """Whether ``line`` greets in ``protocol`` (RFC 9051 §7.1, RFC 1939 §4, RFC 5321 §4.2)."""
    return line.upper().startswith(GREETING[protocol])


def offers_starttls(protocol: Protocol, lines: list[str]) -> bool:
    """Whether a CAPABILITY, CAPA or EHLO response offers the upgrade."""
    words = {w.upper() for line in lines for w in line.replace("-", " ").split()}
    return ("STLS" if protocol is Protocol.POP3 else "STARTTLS") in words


class ProbeVerifier:
    """The discovery pipeline's :class:`~app.discovery.pipeline.Verifier`."""

    def __init__(self, settings: Settings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.resolver = resolver

    async def confirm(self, endpoint: ServerEndpoint) -> Rejection | None:
        loop = asyncio.get_running_loop()
        session = LineSession(
            endpoint.host,
            endpoint.port,
            guard=Guard.from_settings(self.settings, resolver=self.resolver),
            context=tls_context(self.settings.probe_ca_file),
            deadline=loop.time() + min(VERIFY_DEADLINE, self.settings.probe_deadline),
            step_timeout=VERIFY_DEADLINE,
            protocol=endpoint.protocol.name,
        )
        try:
            return await self._check(session, endpoint)
        except ProbeError as exc:
            kind = next((o for t, o in ERROR_OUTCOMES if isinstance(exc, t)), None)
            return kind or TraceOutcome.CONNECTION_FAILED, str(exc)
        finally:
            await session.close()

    async def _check(self, session: LineSession, endpoint: ServerEndpoint) -> Rejection | None:
        protocol = endpoint.protocol
        async with session.step(StepName.CONNECT):
            await session.connect()
            if endpoint.security is Security.TLS:
                await session.start_tls(TlsVia.IMPLICIT)
            greeting = await session.read_line()
        if not greets(protocol, greeting):  # described, not quoted: it may not be mail
            return TraceOutcome.NOT_MAIL, describe(session.first_heard, protocol.name)
        session.confirm_greeting()
        if endpoint.security is not Security.STARTTLS:
            return None
        async with session.step(StepName.CAPABILITIES):
            lines = await self._capabilities(session, protocol)
        if offers_starttls(protocol, lines):
            return None
        return TraceOutcome.NO_STARTTLS, "STARTTLS is not offered"

    @staticmethod
    async def _capabilities(session: LineSession, protocol: Protocol) -> list[str]:
        if protocol is Protocol.IMAP:
            await session.send("g1 CAPABILITY")
            return await session.read_response(lambda line: line.startswith("g1 "))
        if protocol is Protocol.POP3:
            await session.send("CAPA")
            return await session.read_response(lambda line: line == "." or line.startswith("-"))
        await session.send("EHLO mailsetup.invalid")
        return await session.read_response(lambda line: line[3:4] != "-")
