"""What the three dialogues share: the login request, the observations they fill in,
opening the connection, choosing a login mechanism and running a SASL exchange."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from app.errors import ProtocolViolation
from app.models import Security
from app.probe import wire
from app.probe.credential import CredentialKind
from app.probe.report import (
    AuthOutcome,
    AuthStatus,
    Direction,
    Mechanism,
    NotAttempted,
    Reason,
    SmtpFeatures,
)
from app.probe.session import LineSession
from app.probe.steps import StepName, TlsVia

TOKEN_PREFERENCE = (Mechanism.XOAUTH2, Mechanism.OAUTHBEARER)


@dataclass(frozen=True)
class Login:
    """Who logs in, with what secret: a password, or an OAuth2 access token."""

    username: str
    secret: str  # a password or an access token, as ``credential`` says
    mechanism: Mechanism = Mechanism.AUTO
    allow_plaintext: bool = False  # send the secret over an unencrypted connection
    withheld: str = ""  # why the secret must not be sent on this connection at all
    credential: CredentialKind = CredentialKind.PASSWORD
    prefer: Mechanism | None = None  # tried first when offered (the provider's documented one)

    @property
    def token(self) -> bool:
        return self.credential is CredentialKind.OAUTH2

    def sasl(self, mechanism: Mechanism, host: str, port: int) -> wire.SaslClient:
        """The SASL client for ``mechanism`` with this login's name and secret."""
        name = mechanism.value.upper()
        return wire.SaslClient(name, self.username, self.secret, host=host, port=port)


def token_offer(sasl: tuple[str, ...]) -> dict[Mechanism, bool]:
    """Which OAuth2 mechanisms the server's SASL list offers."""
    return {m: m.value.upper() in sasl for m in TOKEN_PREFERENCE}


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

    ``AUTO`` takes the first offered one in ``preference`` (for a token, the first of
    :data:`TOKEN_PREFERENCE` that ``offered`` has). Without TLS only APOP is used (it
    never sends the password) unless the caller allows plaintext. With
    ``login.withheld`` set, nothing is sent, not even an APOP digest.
    """
    if login.token:
        first = (login.prefer,) if login.prefer in TOKEN_PREFERENCE else ()
        preference = (*first, *(m for m in TOKEN_PREFERENCE if m not in first))

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
            why = (
                "the server offers no OAuth2 login (SASL XOAUTH2 or OAUTHBEARER)"
                if login.token
                else "the server offers no password login this tester supports"
            )
            return not_attempted(NotAttempted.NOT_OFFERED, why)
    if login.withheld:
        return not_attempted(NotAttempted.INSECURE_TLS, login.withheld, candidates[0])
    for mechanism in candidates:
        if usable(mechanism):
            return mechanism
    secret = "access token" if login.token else "password"
    why = f"the connection is not encrypted; the {secret} is not sent in clear text"
    return not_attempted(NotAttempted.PLAINTEXT, why, candidates[0])


class SaslVerdict(StrEnum):
    """A reply in a SASL exchange: a challenge (its text is base64) or the final verdict."""

    CONTINUE = "continue"
    SUCCESS = "success"
    FAILURE = "failure"


ReadVerdict = Callable[[], Awaitable[tuple[SaslVerdict, str]]]


async def sasl_login(
    session: LineSession,
    mechanism: Mechanism,
    command: wire.ClientLine,
    sasl: wire.SaslClient,
    read: ReadVerdict,
) -> AuthOutcome:
    """Run one SASL exchange in the "login" step; its outcome, with the decoded error
    challenge a token mechanism got (RFC 7628 section 3.2.2), which the transcript
    shows as a note too."""
    async with session.step(StepName.LOGIN) as note:
        ok, text = await sasl_exchange(session, sasl, command, read)
        note.ok, note.detail = ok, text
    challenge = sasl.error_challenge or ""
    if challenge:
        session.record(Direction.NOTE, "error challenge, decoded: " + session.scrub(challenge))
    status = AuthStatus.OK if ok else AuthStatus.FAILED
    return AuthOutcome(status=status, mechanism=mechanism, detail=text, challenge=challenge)


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
