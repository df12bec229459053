"""What the three dialogues share: the login request, the observations they fill in,
opening the connection, choosing a login mechanism and running a SASL exchange."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from app.errors import ProtocolViolation
from app.models import Security
from app.probe import wire
from app.probe.report import (
    AuthOutcome,
    AuthStatus,
    Mechanism,
    NotAttempted,
    Reason,
    SmtpFeatures,
)
from app.probe.session import LineSession
from app.probe.steps import StepName, TlsVia


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    mechanism: Mechanism = Mechanism.AUTO
    allow_plaintext: bool = False  # send a password over an unencrypted connection
    withheld: str = ""  # why the password must not be sent on this connection at all


@dataclass
class Observations:
    """What the server showed, filled in as the dialogue goes, so a failure keeps what
    was learnt before it. (The diagnosis is :mod:`app.probe.diagnose`.)"""

    capabilities: tuple[str, ...] = ()
    auth_mechanisms: tuple[str, ...] = ()
    apop_timestamp: bool = False
    smtp: SmtpFeatures | None = None
    auth: AuthOutcome = field(
        default_factory=lambda: AuthOutcome(
            status=AuthStatus.NOT_ATTEMPTED,
            detail="the probe stopped before the login",
            not_attempted=NotAttempted.STOPPED,
        )
    )


Dialogue = Callable[[LineSession, Security, Login, Observations], Awaitable[None]]


async def open_connection(session: LineSession, security: Security) -> None:
    """Connect through the guard; with implicit TLS, shake hands before any byte is read."""
    async with session.step(StepName.CONNECT):
        await session.connect()
    if security is Security.TLS:
        async with session.step(StepName.TLS):
            await session.start_tls(TlsVia.IMPLICIT)


def not_attempted(
    why: NotAttempted, detail: str, mechanism: Mechanism | None = None
) -> AuthOutcome:
    return AuthOutcome(
        status=AuthStatus.NOT_ATTEMPTED, mechanism=mechanism, detail=detail, not_attempted=why
    )


def choose_mechanism(
    login: Login,
    offered: Mapping[Mechanism, bool],
    preference: tuple[Mechanism, ...],
    *,
    encrypted: bool,
) -> Mechanism | AuthOutcome:
    """The mechanism to use, or a NOT_ATTEMPTED outcome saying why none is.

    ``AUTO`` takes the first offered one in ``preference``. Without TLS only APOP
    is used (it never sends the password) unless the caller allows plaintext.
    With ``login.withheld`` set, nothing is sent, not even an APOP digest.
    """

    def usable(mechanism: Mechanism) -> bool:
        safe = encrypted or login.allow_plaintext or mechanism is Mechanism.APOP
        return offered.get(mechanism, False) and safe

    if login.mechanism is not Mechanism.AUTO:
        if not offered.get(login.mechanism, False):
            why = f"the server does not offer {login.mechanism.value}"
            return not_attempted(NotAttempted.NOT_OFFERED, why, login.mechanism)
        candidates: tuple[Mechanism, ...] = (login.mechanism,)
    else:
        candidates = tuple(m for m in preference if offered.get(m, False))
        if not candidates:
            why = "the server offers no password login this tester supports"
            return not_attempted(NotAttempted.NOT_OFFERED, why)
    if login.withheld:
        return not_attempted(NotAttempted.INSECURE_TLS, login.withheld, candidates[0])
    for mechanism in candidates:
        if usable(mechanism):
            return mechanism
    why = "the connection is not encrypted; the password is not sent in clear text"
    return not_attempted(NotAttempted.PLAINTEXT, why, candidates[0])


class SaslVerdict(StrEnum):
    """A reply in a SASL exchange: a challenge (its text is base64) or the final verdict."""

    CONTINUE = "continue"
    SUCCESS = "success"
    FAILURE = "failure"


ReadVerdict = Callable[[], Awaitable[tuple[SaslVerdict, str]]]


async def sasl_exchange(
    session: LineSession,
    sasl: wire.SaslClient,
    command: wire.ClientLine,
    read: ReadVerdict,
) -> tuple[bool, str]:
    """Send ``command``, answer challenges until the verdict; returns (success, server text)."""
    await session.send(command)
    while True:
        kind, text = await read()
        if kind is not SaslVerdict.CONTINUE:
            return kind is SaslVerdict.SUCCESS, text
        try:
            answer = sasl.respond(text)
        except wire.WireError as exc:
            await session.send("*")  # RFC 4954 section 4, RFC 3501 section 6.2.2: cancel
            await read()
            raise session.error(Reason.PROTOCOL_VIOLATION, ProtocolViolation, str(exc)) from exc
        await session.send(answer)
