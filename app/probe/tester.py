"""The public entry point: :func:`probe` tests one endpoint with one user's credentials
and explains what it found (:mod:`app.probe.diagnose`)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from app.errors import (
    GuardRefused,
    ProbeConnectError,
    ProbeDNSError,
    ProbeError,
    ProbeTimeout,
    ProbeTLSError,
    ProtocolViolation,
)
from app.models import AccountConfig, Protocol, ServerEndpoint
from app.net.guard import Connector, Guard, Resolver
from app.net.tls import policy_context, tls_context
from app.probe import imap, pop3, smtp, tls
from app.probe.credential import CredentialKind, check_token
from app.probe.diagnose import diagnose
from app.probe.dialogue import Dialogue, Login, Observations
from app.probe.explain import explain
from app.probe.recorder import SECRET_PIECE, TOKEN_PIECE
from app.probe.report import (
    AuthStatus,
    Direction,
    ErrorInfo,
    Mechanism,
    ProbeResult,
    Reason,
    StepResult,
    TLSPolicy,
)
from app.probe.session import DEFAULT_STEP_TIMEOUT, LineSession
from app.providers.schema import ProviderRecord
from app.settings import Settings
from app.untrusted import refuse_controls

log = logging.getLogger(__name__)

DIALOGUES: dict[Protocol, Dialogue] = {
    Protocol.POP3: pop3.run,
    Protocol.IMAP: imap.run,
    Protocol.SMTP: smtp.run,
}
MECHANISMS: dict[Protocol, frozenset[Mechanism]] = {
    Protocol.POP3: frozenset(Mechanism),
    Protocol.IMAP: frozenset(Mechanism) - {Mechanism.APOP},
    Protocol.SMTP: frozenset(Mechanism) - {Mechanism.APOP, Mechanism.COMMAND},
}
# Why the secret stays home on a retry under a weaker TLS policy.
WITHHELD = {
    TLSPolicy.LEGACY: "the server needs outdated TLS settings; the {secret} was not sent",
    TLSPolicy.INSPECT: "the server's certificate did not pass verification; "
    "the {secret} was not sent",
}
_SECRET_NAME = {CredentialKind.PASSWORD: "password", CredentialKind.OAUTH2: "access token"}
# When a step did not say why it failed: the exception type decides.
_BY_TYPE: tuple[tuple[type[ProbeError], Reason], ...] = (
    (GuardRefused, Reason.GUARD_REFUSED),
    (ProbeDNSError, Reason.DNS_NOT_FOUND),
    (ProbeTimeout, Reason.SLOW),
    (ProbeTLSError, Reason.TLS_HANDSHAKE),
    (ProbeConnectError, Reason.CLOSED),
    (ProtocolViolation, Reason.PROTOCOL_VIOLATION),
)


async def probe(
    endpoint: ServerEndpoint,
    username: str,
    secret: str,
    *,
    settings: Settings,
    credential: CredentialKind = CredentialKind.PASSWORD,
    prefer: Mechanism | None = None,
    resolver: Resolver | None = None,
    connector: Connector | None = None,
    mechanism: Mechanism = Mechanism.AUTO,
    allow_plaintext_auth: bool = False,
    allow_invalid_certificate: bool = False,
    account: AccountConfig | ProviderRecord | None = None,
    lang: str = "en",
    step_timeout: float = DEFAULT_STEP_TIMEOUT,
    on_step: Callable[[StepResult], None] | None = None,
    deadline: float | None = None,
) -> ProbeResult:
    """Connect to ``endpoint`` through the guard, inspect TLS, read its capabilities,
    log in read-only, and diagnose the outcome.

    ``username`` is the filled-in login name; ``secret`` is the password, or with
    ``credential`` OAUTH2 an access token, sent by SASL XOAUTH2 or OAUTHBEARER. Failures
    of the server or the network come back in the result (``error`` and ``findings``);
    only a ``mechanism`` the protocol or the credential does not have, a ``username``
    or password holding a control character or an unpaired surrogate, or a token that
    is not an RFC 6750 bearer token, raises (ValueError). ``prefer`` is the token
    mechanism to try first when the server offers it. Without TLS the password is
    sent only by APOP, and a token never, unless ``allow_plaintext_auth`` is set.
    When the certificate (or the TLS version) fails verification, the tester
    connects again to read the chain, but sends the password only with
    ``allow_invalid_certificate``. ``account`` (the provider's record, if known)
    shapes the findings, which are in ``lang`` (en, zh-Hans or zh-Hant). ``on_step`` is
    called as each step ends. ``deadline`` (the event loop's clock) ends the probe;
    by default it is ``settings.probe_deadline`` from now.
    """
    if mechanism not in MECHANISMS[endpoint.protocol]:
        raise ValueError(f"{endpoint.protocol.value} has no {mechanism.value} login")
    token = credential is CredentialKind.OAUTH2
    if mechanism is not Mechanism.AUTO and mechanism.takes_token is not token:
        raise ValueError(f"a {mechanism.value} login does not take {_SECRET_NAME[credential]}")
    refuse_controls(username, "the username")
    if token:
        check_token(secret)
    else:
        refuse_controls(secret, "the password")
    loop = asyncio.get_running_loop()
    session = LineSession(
        endpoint.host,
        endpoint.port,
        guard=Guard.from_settings(settings, resolver=resolver, connector=connector),
        context=tls_context(settings.probe_ca_file),
        deadline=loop.time() + settings.probe_deadline if deadline is None else deadline,
        step_timeout=step_timeout,
        secrets=(secret,),
        on_step=on_step,
        protocol=endpoint.protocol.name,
        sniff_after=settings.probe_tls_sniff_after,
        secret_piece=TOKEN_PIECE if token else SECRET_PIECE,
    )
    login = Login(
        username, secret, mechanism, allow_plaintext_auth, credential=credential, prefer=prefer
    )
    found = Observations()
    try:
        error = await _attempts(
            session, endpoint, login, found, settings, allow_invalid_certificate
        )
    finally:
        await session.close()
    ok = error is None and found.auth.status is AuthStatus.OK and all(s.ok for s in session.steps)
    result = ProbeResult(
        endpoint=endpoint,
        username=username,
        credential=credential,
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
    findings = diagnose(result, account, lang=lang, quote=session.scrub)
    result = result.model_copy(update={"findings": findings})
    result = _scrubbed(result, session.scrub)
    if result.error is not None:
        log.info("probe %s:%d failed: %s", endpoint.host, endpoint.port, result.error.message)
    return result


def _scrubbed(result: ProbeResult, scrub: Callable[[str], str]) -> ProbeResult:
    """``result`` with every text that came from the server scrubbed (the transcript
    was, as it was written). The diagnosis ran first, on the text as sent. Why a
    login was not attempted is the tester's own text, never the server's."""
    auth, error = result.auth, result.error
    own = {auth.detail} if auth.status is AuthStatus.NOT_ATTEMPTED else set()

    def server_text(text: str) -> str:
        return text if text in own else scrub(text)

    return result.model_copy(
        update={
            "steps": tuple(s.model_copy(update={"detail": scrub(s.detail)}) for s in result.steps),
            "capabilities": tuple(map(scrub, result.capabilities)),
            "auth_mechanisms": tuple(map(scrub, result.auth_mechanisms)),
            "auth": auth.model_copy(
                update={"detail": server_text(auth.detail), "challenge": scrub(auth.challenge)}
            ),
            "error": (
                error.model_copy(
                    update={"message": scrub(error.message), "reply": scrub(error.reply)}
                )
                if error
                else None
            ),
            "findings": tuple(
                f.model_copy(update={"detail": server_text(f.detail)}) for f in result.findings
            ),
        }
    )


async def _attempts(
    session: LineSession,
    endpoint: ServerEndpoint,
    login: Login,
    found: Observations,
    settings: Settings,
    allow_invalid_certificate: bool,
) -> ErrorInfo | None:
    """Run the dialogue; after a TLS verification failure, run it again under a weaker
    policy to see what the server offers. Returns the first error, sharpened."""
    first: ErrorInfo | None = None
    while True:
        try:
            await DIALOGUES[endpoint.protocol](session, endpoint.security, login, found)
            return first
        except ProbeError as exc:
            error = _error_info(exc)
            first = first or error
            policy = tls.escalate(error.reason, session.policy)
            if policy is None:
                return await explain(session, endpoint, first) if first is error else first
        secret = _SECRET_NAME[login.credential]
        withheld = "" if allow_invalid_certificate else WITHHELD[policy].format(secret=secret)
        login = dataclasses.replace(login, withheld=withheld)
        session.record(Direction.NOTE, f"connecting again with TLS policy '{policy.value}'")
        await session.reopen(policy, policy_context(policy, settings.probe_ca_file))


def _error_info(exc: ProbeError) -> ErrorInfo:
    """What the error carries; a reason the raiser did not give comes from its type."""
    reason = Reason(exc.reason) if exc.reason else None
    if reason is None:
        reason = next((r for t, r in _BY_TYPE if isinstance(exc, t)), Reason.OTHER)
    return ErrorInfo(
        type=type(exc).__name__,
        message=str(exc),
        reason=reason,
        step=exc.step,
        speaks=exc.speaks,
        reply=exc.reply,
    )
