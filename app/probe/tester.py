"""The public entry point: :func:`probe` tests one endpoint with one user's credentials."""

from __future__ import annotations

import asyncio
import logging

from app.errors import ProbeError
from app.models import Protocol, ServerEndpoint
from app.probe import imap, pop3, smtp
from app.probe.dialogue import Dialogue, Findings, Login
from app.probe.guard import Connector, Guard, Resolver
from app.probe.report import AuthStatus, ErrorInfo, Mechanism, ProbeResult
from app.probe.session import DEFAULT_STEP_TIMEOUT, LineSession, tls_context
from app.settings import Settings

log = logging.getLogger(__name__)

DIALOGUES: dict[Protocol, Dialogue] = {
    Protocol.POP3: pop3.run,
    Protocol.IMAP: imap.run,
    Protocol.SMTP: smtp.run,
}
MECHANISMS: dict[Protocol, frozenset[Mechanism]] = {
    Protocol.POP3: frozenset(Mechanism),
    Protocol.IMAP: frozenset(Mechanism) - {Mechanism.APOP},
    Protocol.SMTP: frozenset({Mechanism.AUTO, Mechanism.PLAIN, Mechanism.LOGIN}),
}


async def probe(
    endpoint: ServerEndpoint,
    username: str,
    password: str,
    *,
    settings: Settings,
    resolver: Resolver | None = None,
    connector: Connector | None = None,
    mechanism: Mechanism = Mechanism.AUTO,
    allow_plaintext_auth: bool = False,
    step_timeout: float = DEFAULT_STEP_TIMEOUT,
) -> ProbeResult:
    """Connect to ``endpoint`` through the guard, read its capabilities, log in read-only.

    ``username`` is the filled-in login name. Failures of the server or the
    network come back in the result (``error``); only a ``mechanism`` the
    protocol does not have raises (ValueError). Without TLS the password is
    sent only by APOP unless ``allow_plaintext_auth`` is set.
    """
    if mechanism not in MECHANISMS[endpoint.protocol]:
        raise ValueError(f"{endpoint.protocol.value} has no {mechanism.value} login")
    loop = asyncio.get_running_loop()
    session = LineSession(
        endpoint.host,
        endpoint.port,
        guard=Guard.from_settings(settings, resolver=resolver, connector=connector),
        context=tls_context(settings.probe_ca_file),
        deadline=loop.time() + settings.probe_deadline,
        step_timeout=step_timeout,
        secrets=(password,),
    )
    login = Login(username, password, mechanism, allow_plaintext_auth)
    found = Findings()
    error: ErrorInfo | None = None
    try:
        await DIALOGUES[endpoint.protocol](session, endpoint.security, login, found)
    except ProbeError as exc:
        error = ErrorInfo(type=type(exc).__name__, message=session.scrub(str(exc)))
        log.info("probe %s:%d failed: %s", endpoint.host, endpoint.port, error.message)
    finally:
        await session.close()
    ok = error is None and found.auth.status is AuthStatus.OK and all(s.ok for s in session.steps)
    return ProbeResult(
        endpoint=endpoint,
        username=username,
        address=str(session.address) if session.address else None,
        ok=ok,
        duration_ms=round((loop.time() - session.started) * 1000, 1),
        steps=tuple(session.steps),
        capabilities=found.capabilities,
        auth_mechanisms=found.auth_mechanisms,
        apop_timestamp=found.apop_timestamp,
        smtp=found.smtp,
        tls=session.tls,
        starttls_discarded_bytes=session.discarded,
        auth=found.auth,
        transcript=tuple(session.transcript),
        error=error,
    )
