"""The IMAP dialogue (RFC 3501; ID RFC 2971; SASL-IR RFC 4959).

Read-only: after login it sends ID (when advertised), EXAMINE INBOX and LOGOUT.
Never SELECT, STORE, EXPUNGE or APPEND.
"""

from __future__ import annotations

import itertools

from app import __version__
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
from app.probe.report import AuthOutcome, AuthStatus, Mechanism, NotAttempted, Reason
from app.probe.session import LineSession
from app.probe.steps import StepName, TlsVia

_PREFERENCE = (Mechanism.PLAIN, Mechanism.COMMAND, Mechanism.LOGIN)
_ID_FIELDS = (("name", "mailsetup"), ("version", __version__))


class _Client:
    """Tags commands and collects their responses."""

    def __init__(self, session: LineSession) -> None:
        self.session = session
        self._tags = (f"a{n}" for n in itertools.count(1))

    def tag(self) -> str:
        return next(self._tags)

    async def read(self, tag: str) -> list[wire.ImapResponse]:
        """Responses up to the tagged one or a continuation request (``+``)."""

        def done(line: str) -> bool:
            return line.startswith((f"{tag} ", "+"))

        lines = await self.session.read_response(done, literals=True)
        return [self.session.parse(wire.parse_imap_response, line) for line in lines]

    async def command(self, tag: str, parts: list[wire.ClientLine]) -> list[wire.ImapResponse]:
        """Send a command (literals wait for ``+``); return its responses, tagged last."""
        for part in parts[:-1]:
            await self.session.send(part)
            responses = await self.read(tag)
            if responses[-1].tag != "+":  # refused before the literal was sent
                return responses
        await self.session.send(parts[-1])
        responses = await self.read(tag)
        if responses[-1].tag == "+":
            message = f"unexpected continuation request: + {responses[-1].text[:80]}"
            raise self.session.error(Reason.PROTOCOL_VIOLATION, ProtocolViolation, message)
        return responses

    async def simple(self, verb: str) -> list[wire.ImapResponse]:
        tag = self.tag()
        return await self.command(tag, [wire.ClientLine.plain(f"{tag} {verb}")])

    async def capabilities(self, found: Observations) -> tuple[str, ...]:
        async with self.session.step(StepName.CAPABILITY):
            caps = wire.imap_capabilities(await self.simple("CAPABILITY")) or ()
        found.capabilities = caps
        return caps


def _refusal(response: wire.ImapResponse) -> str:
    """A login's answer as text; a refusal keeps its response code, which says why
    (RFC 5530: ``[AUTHENTICATIONFAILED]``, ``[UNAVAILABLE]`` …)."""
    code = f"[{response.code}] " if response.code and response.status != "OK" else ""
    return f"{response.status} {code}{response.text}"


def _sasl_mechanisms(caps: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c[5:] for c in caps if c.startswith("AUTH="))


async def run(session: LineSession, security: Security, login: Login, found: Observations) -> None:
    """Greeting, CAPABILITY, STARTTLS, login, ID, EXAMINE INBOX, LOGOUT."""
    await open_connection(session, security)
    client = _Client(session)
    async with session.step(StepName.GREETING) as note:
        greeting = session.parse(wire.parse_imap_response, await session.read_line())
        if greeting.tag != "*" or greeting.status is None:  # RFC 3501 section 7.1
            raise session.not_a_greeting()
        session.confirm_greeting()
        if greeting.status not in {"OK", "PREAUTH"}:
            reply = f"{greeting.status} {greeting.text}"
            message = f"the server refused the session: {reply}"
            raise session.error(Reason.SESSION_REFUSED, ProbeConnectError, message, reply=reply)
        note.detail = greeting.status
        caps = wire.imap_capabilities([greeting])
    if caps is None:
        caps = await client.capabilities(found)
    found.capabilities = caps
    if security is Security.STARTTLS:
        async with session.step(StepName.STARTTLS):
            if "STARTTLS" not in caps:
                message = "the server does not advertise STARTTLS; not continuing in plain text"
                raise session.error(Reason.STARTTLS_NOT_OFFERED, ProbeTLSError, message)
            tagged = (await client.simple("STARTTLS"))[-1]
            if tagged.status != "OK":
                reply = f"{tagged.status} {tagged.text}"
                message = f"the server refused STARTTLS: {reply}"
                raise session.error(Reason.STARTTLS_REFUSED, ProbeTLSError, message, reply=reply)
            await session.start_tls(TlsVia.STARTTLS)
        caps = await client.capabilities(found)  # RFC 3501 section 6.2.1: forget old ones
    found.auth_mechanisms = _sasl_mechanisms(caps)
    if greeting.status == "PREAUTH":
        detail = "the server pre-authenticated the connection (PREAUTH)"
        found.auth = not_attempted(NotAttempted.PREAUTH, detail)
    else:
        found.auth = await _login(client, security, login, caps, found)
    logout = None
    if found.auth.status is AuthStatus.OK:
        logout = await _after_login(client, found)
    async with session.step(StepName.LOGOUT) as note:
        tagged = (await (client.read(logout) if logout else client.simple("LOGOUT")))[-1]
        note.ok, note.detail = tagged.status == "OK", tagged.text


async def _login(
    client: _Client, security: Security, login: Login, caps: tuple[str, ...], found: Observations
) -> AuthOutcome:
    offered = (
        token_offer(found.auth_mechanisms)
        if login.token
        else {
            Mechanism.COMMAND: "LOGINDISABLED" not in caps,  # RFC 3501 section 6.2.3
            Mechanism.PLAIN: "AUTH=PLAIN" in caps,
            Mechanism.LOGIN: "AUTH=LOGIN" in caps,
        }
    )
    encrypted = security is not Security.NONE
    if not encrypted and "XTLSREQUIRED" in caps:  # GNU Mailutils: no login of any kind
        detail = "the server refuses logins before encryption (it advertises XTLSREQUIRED)"
        return not_attempted(NotAttempted.LOGINDISABLED, detail)
    chosen = choose_mechanism(login, offered, _PREFERENCE, encrypted=encrypted)
    if isinstance(chosen, AuthOutcome):
        if "LOGINDISABLED" in caps and chosen.not_attempted is not NotAttempted.INSECURE_TLS:
            detail = "the server refuses logins before encryption (it advertises LOGINDISABLED)"
            return not_attempted(NotAttempted.LOGINDISABLED, detail, chosen.mechanism)
        return chosen
    tag = client.tag()
    if chosen is Mechanism.COMMAND:
        async with client.session.step(StepName.LOGIN) as note:
            args = [(login.username, False), (login.secret, True)]
            responses = await client.command(tag, wire.imap_command(tag, "LOGIN", args))
            tagged = responses[-1]
            ok, text = tagged.status == "OK", _refusal(tagged)
            note.ok, note.detail = ok, text
        outcome = AuthOutcome(
            status=AuthStatus.OK if ok else AuthStatus.FAILED, mechanism=chosen, detail=text
        )
    else:
        outcome, responses = await _authenticate(client, tag, chosen, login, caps)
    if outcome.status is AuthStatus.OK:  # capabilities often grow after login (RFC 3501
        # section 7.1, CAPABILITY response code)
        found.capabilities = wire.imap_capabilities(responses) or found.capabilities
    return outcome


async def _authenticate(
    client: _Client, tag: str, mechanism: Mechanism, login: Login, caps: tuple[str, ...]
) -> tuple[AuthOutcome, list[wire.ImapResponse]]:
    session = client.session
    sasl = login.sasl(mechanism, session.host, session.port)
    # RFC 4959: an initial response only where SASL-IR is advertised (Exchange Online
    # wants one for XOAUTH2, and advertises it).
    command = sasl.command(f"{tag} AUTHENTICATE", initial="SASL-IR" in caps)
    seen: list[wire.ImapResponse] = []

    async def read() -> tuple[SaslVerdict, str]:
        responses = await client.read(tag)
        seen.extend(responses)
        last = responses[-1]
        if last.tag == "+":
            return SaslVerdict.CONTINUE, last.text
        verdict = SaslVerdict.SUCCESS if last.status == "OK" else SaslVerdict.FAILURE
        return verdict, _refusal(last)

    outcome = await sasl_login(session, mechanism, command, sasl, read)
    return outcome, seen


async def _after_login(client: _Client, found: Observations) -> str:
    """ID (when advertised), EXAMINE INBOX and LOGOUT in one flight: RFC 3501 section 5.5
    lets a client pipeline them, and the server answers in order, so NetEase still sees
    ID before EXAMINE. Returns LOGOUT's tag: its answer is read in the "logout" step."""
    session = client.session
    id_tag = client.tag() if "ID" in found.capabilities else None  # tags stay in order
    examine, logout = client.tag(), client.tag()
    flight = [f"{examine} EXAMINE INBOX", f"{logout} LOGOUT"]
    if id_tag:  # NetEase refuses EXAMINE/SELECT without it
        fields = " ".join(f'"{k}" "{v}"' for k, v in _ID_FIELDS)
        async with session.step(StepName.ID) as note:
            for line in [f"{id_tag} ID ({fields})", *flight]:
                await session.send(line)
            flight = []
            responses = await client.read(id_tag)
            server_id = [r.text for r in responses if r.tag == "*" and r.text.startswith("ID ")]
            note.ok = responses[-1].status == "OK"
            note.detail = server_id[0] if server_id else responses[-1].text
    async with session.step(StepName.EXAMINE) as note:
        for line in flight:
            await session.send(line)
        responses = await client.read(examine)
        tagged = responses[-1]
        exists = wire.imap_exists(responses)
        note.ok = tagged.status == "OK"
        note.detail = f"{exists} messages" if note.ok else f"{tagged.status} {tagged.text}"
    return logout
