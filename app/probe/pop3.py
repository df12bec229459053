"""The POP3 dialogue (RFC 1939, CAPA RFC 2449, STLS RFC 2595, AUTH RFC 5034).

Read-only: after login it sends STAT and QUIT only, so the server's UPDATE
state finds nothing marked for deletion. Never DELE, RETR or TOP.
"""

from __future__ import annotations

from app.errors import ProbeConnectError, ProbeTLSError
from app.models import Security
from app.probe import wire
from app.probe.dialogue import (
    Login,
    Observations,
    SaslVerdict,
    choose_mechanism,
    open_connection,
    sasl_login,
    token_offer,
)
from app.probe.report import AuthOutcome, AuthStatus, Mechanism, Reason
from app.probe.session import LineSession
from app.probe.steps import StepName, TlsVia

# Encrypted: SASL PLAIN, then USER/PASS, SASL LOGIN and APOP. Unencrypted (and
# allowed): APOP first, because it never sends the password itself.
_PREFERENCE = (Mechanism.PLAIN, Mechanism.COMMAND, Mechanism.LOGIN, Mechanism.APOP)
_PREFERENCE_PLAIN = (Mechanism.APOP, *_PREFERENCE[:3])
# What a reply to AUTH says, by its status; anything else (-ERR) is a failure.
_VERDICTS = {"+": SaslVerdict.CONTINUE, "+OK": SaslVerdict.SUCCESS}
# RFC 2449 section 4: a command line is at most 255 octets; RFC 5034 section 4: an initial
# response that would make AUTH longer is sent after the server's "+" instead.
MAX_COMMAND = 255


async def _status(session: LineSession) -> wire.Pop3Status:
    return session.parse(wire.parse_pop3_status, await session.read_line())


async def _capa(session: LineSession, found: Observations) -> wire.Pop3Capabilities | None:
    """CAPA, or None when the server does not know it (then USER/PASS is assumed)."""
    async with session.step(StepName.CAPA) as note:
        await session.send("CAPA")
        if not (await _status(session)).ok:
            note.detail = "CAPA not supported"
            return None
        lines = await session.read_response(wire.pop3_multiline_done)
        capa = wire.parse_pop3_capa(lines[:-1])
        found.capabilities, found.auth_mechanisms = capa.keywords, capa.sasl
        return capa


async def run(session: LineSession, security: Security, login: Login, found: Observations) -> None:
    """Greeting, CAPA, STLS, login, STAT, QUIT."""
    await open_connection(session, security)
    async with session.step(StepName.GREETING):
        greeting = await _status(session)
        session.confirm_greeting()
        if not greeting.ok:
            message = f"the server refused the session: {greeting.text}"
            raise session.error(
                Reason.SESSION_REFUSED, ProbeConnectError, message, reply=f"-ERR {greeting.text}"
            )
        timestamp = wire.apop_timestamp(greeting.text)
        found.apop_timestamp = timestamp is not None
    capa = await _capa(session, found)
    if security is Security.STARTTLS:
        async with session.step(StepName.STARTTLS):
            if capa is not None and not capa.stls:
                message = "CAPA does not offer STLS; not continuing in plain text"
                raise session.error(Reason.STARTTLS_NOT_OFFERED, ProbeTLSError, message)
            await session.send("STLS")
            reply = await _status(session)
            if not reply.ok:
                message = f"the server refused STLS: {reply.text}"
                raise session.error(
                    Reason.STARTTLS_REFUSED, ProbeTLSError, message, reply=f"-ERR {reply.text}"
                )
            await session.start_tls(TlsVia.STARTTLS)
        capa = await _capa(session, found)  # RFC 2595 section 4: ask again after TLS
    found.auth = await _login(session, security, login, capa, timestamp)
    quit_sent = False
    if found.auth.status is AuthStatus.OK:
        async with session.step(StepName.STAT) as note:
            await session.send("STAT")
            if capa is not None and "PIPELINING" in capa.keywords:  # RFC 2449 section 6.6
                await session.send("QUIT")  # answered after STAT: one round trip less
                quit_sent = True
            reply = await _status(session)
            if reply.ok:
                count, octets = session.parse(wire.parse_pop3_stat, reply.text)
                note.detail = f"{count} messages, {octets} octets"
            else:
                note.ok, note.detail = False, reply.text
    async with session.step(StepName.QUIT) as note:
        if not quit_sent:
            await session.send("QUIT")
        reply = await _status(session)
        note.ok, note.detail = reply.ok, reply.text


async def _login(
    session: LineSession,
    security: Security,
    login: Login,
    capa: wire.Pop3Capabilities | None,
    timestamp: str | None,
) -> AuthOutcome:
    sasl = capa.sasl if capa else ()
    offered = (
        token_offer(sasl)
        if login.token
        else {
            Mechanism.COMMAND: capa is None or capa.user,
            Mechanism.APOP: timestamp is not None,
            Mechanism.PLAIN: "PLAIN" in sasl,
            Mechanism.LOGIN: "LOGIN" in sasl,
        }
    )
    encrypted = security is not Security.NONE
    preference = _PREFERENCE if encrypted else _PREFERENCE_PLAIN
    chosen = choose_mechanism(login, offered, preference, encrypted=encrypted)
    if isinstance(chosen, AuthOutcome):
        return chosen
    if chosen not in {Mechanism.APOP, Mechanism.COMMAND}:
        return await _sasl(session, chosen, login)
    async with session.step(StepName.LOGIN) as note:
        if chosen is Mechanism.APOP and timestamp is not None:  # offered only with one
            digest = wire.apop_digest(timestamp, login.secret)
            await session.send(wire.ClientLine.secret(f"APOP {login.username} ", digest))
            reply = await _status(session)
            ok, text = reply.ok, reply.text
        else:
            ok, text = await _user_pass(session, login)
        note.ok, note.detail = ok, text
    status = AuthStatus.OK if ok else AuthStatus.FAILED
    return AuthOutcome(status=status, mechanism=chosen, detail=text)


async def _user_pass(session: LineSession, login: Login) -> tuple[bool, str]:
    await session.send(f"USER {login.username}")
    reply = await _status(session)
    if not reply.ok:
        return False, reply.text
    await session.send(wire.ClientLine.secret("PASS ", login.secret))
    reply = await _status(session)
    return reply.ok, reply.text


async def _sasl(session: LineSession, mechanism: Mechanism, login: Login) -> AuthOutcome:
    sasl = login.sasl(mechanism, session.host, session.port)
    command = sasl.command("AUTH", max_line=MAX_COMMAND)

    async def read() -> tuple[SaslVerdict, str]:
        reply = await _status(session)
        kind = _VERDICTS.get(reply.kind, SaslVerdict.FAILURE)
        return kind, reply.text

    return await sasl_login(session, mechanism, command, sasl, read)
