"""The SMTP submission dialogue (RFC 5321, STARTTLS RFC 3207, AUTH RFC 4954).

Read-only: greeting, EHLO (or HELO), STARTTLS, AUTH and QUIT. Never MAIL,
RCPT or DATA, so nothing is ever sent or queued.
"""

from __future__ import annotations

from app.errors import ProbeConnectError, ProbeTLSError, ProtocolViolation
from app.models import Security
from app.probe import wire
from app.probe.dialogue import (
    Login,
    Observations,
    SaslVerdict,
    choose_mechanism,
    not_attempted,
    open_connection,
    sasl_login,
    token_offer,
)
from app.probe.report import AuthOutcome, Mechanism, NotAttempted, Reason
from app.probe.session import LineSession
from app.probe.steps import StepName, TlsVia

_PREFERENCE = (Mechanism.PLAIN, Mechanism.LOGIN)
# What a reply to AUTH says, by its code (RFC 4954); any other code is a failure.
_VERDICTS = {334: SaslVerdict.CONTINUE, 235: SaslVerdict.SUCCESS}
# RFC 5321 section 4.5.3.1.4: a command line is at most 512 octets; RFC 4954 section 4:
# an initial response that would make AUTH longer is sent after "334" instead (as
# Microsoft's documented XOAUTH2 exchange does).
MAX_COMMAND = 512


async def _reply(session: LineSession) -> wire.SmtpReply:
    lines = await session.read_response(wire.smtp_reply_done)
    return session.parse(wire.parse_smtp_reply, lines)


async def _hello(session: LineSession, found: Observations, step: StepName) -> wire.EhloInfo:
    """EHLO, falling back to HELO (RFC 5321 section 4.1.1.1); records the extensions."""
    async with session.step(step) as note:
        name = session.local_address_literal()
        await session.send(f"EHLO {name}")
        reply = await _reply(session)
        if reply.code == 250:
            info = wire.parse_ehlo(reply)
        else:
            await session.send(f"HELO {name}")
            helo = await _reply(session)
            if helo.code != 250:
                answer = f"{helo.code} {helo.text}"
                message = f"EHLO and HELO refused: {reply.code} {reply.text} / {answer}"
                raise session.error(
                    Reason.SESSION_REFUSED, ProtocolViolation, message, reply=answer
                )
            info = wire.parse_ehlo(wire.SmtpReply(250, helo.lines[:1]))
            note.detail = "no EHLO; HELO accepted"
    found.capabilities = tuple(f"{k} {v}".rstrip() for k, v in info.keywords.items())
    found.auth_mechanisms, found.smtp = info.auth, info.features
    return info


async def run(session: LineSession, security: Security, login: Login, found: Observations) -> None:
    """Greeting, EHLO, STARTTLS, EHLO again, AUTH, QUIT."""
    await open_connection(session, security)
    async with session.step(StepName.GREETING) as note:
        greeting = await _reply(session)
        session.confirm_greeting()
        if greeting.code != 220:
            answer = f"{greeting.code} {greeting.text}"
            message = f"the server refused the session: {answer}"
            raise session.error(Reason.SESSION_REFUSED, ProbeConnectError, message, reply=answer)
        note.detail = greeting.text
    info = await _hello(session, found, StepName.EHLO)
    if security is Security.STARTTLS:
        async with session.step(StepName.STARTTLS):
            if not info.starttls:
                message = "EHLO does not offer STARTTLS; not continuing in plain text"
                raise session.error(Reason.STARTTLS_NOT_OFFERED, ProbeTLSError, message)
            await session.send("STARTTLS")
            reply = await _reply(session)
            if reply.code != 220:
                answer = f"{reply.code} {reply.text}"
                message = f"the server refused STARTTLS: {answer}"
                raise session.error(Reason.STARTTLS_REFUSED, ProbeTLSError, message, reply=answer)
            await session.start_tls(TlsVia.STARTTLS)
        # RFC 3207 section 4.2: forget what EHLO said before TLS, and ask again
        info = await _hello(session, found, StepName.EHLO_TLS)
    found.auth = await _login(session, security, login, info)
    async with session.step(StepName.QUIT) as note:
        # A server may end the session on its own with 421 (RFC 5321 section 3.8), as
        # Dovecot does when its relay is down: read that; a QUIT sent after it could
        # meet the closed connection's reset and lose the reply.
        if not await session.has_spoken():
            await session.send("QUIT")
        reply = await _reply(session)
        note.ok, note.detail = reply.code == 221, f"{reply.code} {reply.text}"


async def _login(
    session: LineSession, security: Security, login: Login, info: wire.EhloInfo
) -> AuthOutcome:
    if not info.auth:
        detail = "the server offers no AUTH here"
        if info.starttls and security is Security.NONE:
            detail += " (it may after STARTTLS)"
        return not_attempted(NotAttempted.NOT_OFFERED, detail)
    offered = (
        token_offer(info.auth)
        if login.token
        else {Mechanism.PLAIN: "PLAIN" in info.auth, Mechanism.LOGIN: "LOGIN" in info.auth}
    )
    encrypted = security is not Security.NONE
    chosen = choose_mechanism(login, offered, _PREFERENCE, encrypted=encrypted)
    if isinstance(chosen, AuthOutcome):
        return chosen
    sasl = login.sasl(chosen, session.host, session.port)
    command = sasl.command("AUTH", max_line=MAX_COMMAND)

    async def read() -> tuple[SaslVerdict, str]:
        reply = await _reply(session)
        kind = _VERDICTS.get(reply.code, SaslVerdict.FAILURE)
        return kind, reply.text if kind is SaslVerdict.CONTINUE else f"{reply.code} {reply.text}"

    return await sasl_login(session, chosen, command, sasl, read)
