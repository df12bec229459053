"""When a probe stops without saying why, look once more, briefly, to name what
listens on the port.

- The server sent no greeting: unless the session already tried one beside the
  wait (:mod:`app.probe.session`), try a TLS handshake on a new connection (the
  port wants implicit TLS); if none completes, say ``QUIT`` and read what comes
  back (an HTTP server answers ``HTTP/1.1 400``). Nothing in clear goes to a port
  that speaks TLS.
- The answer to an implicit TLS handshake was not TLS: connect again without
  TLS and read the greeting (the port is plain text or STARTTLS).
- The greeting broke the protocol: recognise it from the transcript.

Each look is bounded by :data:`PEEK_WAIT`, the step limit and the deadline, and sends
nothing but ``QUIT`` or a TLS ClientHello.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from app.errors import ProbeError
from app.models import Security, ServerEndpoint
from app.net.sniff import completes_tls
from app.probe import wire
from app.probe.recorder import describe
from app.probe.report import Direction, ErrorInfo, Reason
from app.probe.session import LineSession
from app.probe.steps import StepName

log = logging.getLogger(__name__)

PEEK_WAIT = 1.5
PEEK_BYTES = 512
_QUIT = b"QUIT\r\n"  # harmless to every mail protocol; an HTTP server calls it a bad request


def _wait(session: LineSession) -> float:
    """:data:`PEEK_WAIT`, never longer than a step or past the deadline."""
    left = session.deadline - asyncio.get_running_loop().time()
    return max(0.0, min(PEEK_WAIT, session.step_timeout, left))


async def peek(session: LineSession, send: bytes | None = None) -> bytes:
    """Up to :data:`PEEK_BYTES` the server sends within the peek wait, after ``send``."""
    streams = session.streams
    wait = _wait(session)
    if streams is None or wait <= 0:
        return b""
    reader, writer = streams
    data = b""
    try:
        async with asyncio.timeout(wait):
            if send:
                session.record(Direction.CLIENT, send.decode("ascii").rstrip("\r\n"))
                writer.write(send)
                await writer.drain()
            data = await reader.read(PEEK_BYTES)
    except (TimeoutError, ConnectionError, ssl.SSLError) as exc:
        log.debug("%s:%d peek: %r", session.host, session.port, exc)
    session.record(Direction.NOTE, f"peek: {len(data)} bytes: {_shown(session, data)}")
    return data


def _shown(session: LineSession, data: bytes) -> str:
    """What a peek heard: quoted only when it is the expected protocol, else described
    (what listens there may not be a mail server, and its bytes are not ours to show)."""
    if not data:
        return "nothing"
    if wire.identify(data) == session.protocol:
        return repr(session.scrub(wire.decode(data[:120])))
    return describe(data, session.protocol)


async def _plain_greeting(session: LineSession) -> bytes:
    """Connect again without TLS; what the server says first, or to ``QUIT``."""
    await session.reopen(None, None)
    try:
        async with session.step(StepName.PEEK):
            await session.connect()
    except ProbeError:
        return b""
    return await peek(session) or await peek(session, _QUIT)


async def _reconnected(session: LineSession, step: StepName) -> bool:
    """Connect again, plain; whether it worked."""
    await session.reopen(None, None)
    try:
        async with session.step(step):
            await session.connect()
    except ProbeError:
        return False
    return session.streams is not None


async def _speaks_tls(session: LineSession) -> bool:
    """Whether a new connection completes a TLS handshake (certificate not checked)."""
    if not await _reconnected(session, StepName.PEEK_TLS) or session.streams is None:
        return False
    if not await completes_tls(session.streams, session.host, _wait(session)):
        return False
    session.record(Direction.NOTE, "peek: the port completed a TLS handshake")
    return True


async def _answer_to_quit(session: LineSession, *, fresh: bool) -> bytes:
    """What the server says to ``QUIT``, on the open connection or, ``fresh``, a new one."""
    if (fresh or session.streams is None) and not await _reconnected(session, StepName.PEEK):
        return b""
    return await peek(session, _QUIT)


async def explain(session: LineSession, endpoint: ServerEndpoint, error: ErrorInfo) -> ErrorInfo:
    """``error``, with its reason sharpened if a second look tells more."""
    expected = endpoint.protocol.name
    speaks: str | None = None
    if error.reason is Reason.SILENT and error.step == StepName.GREETING:
        tried = session.sniffed_tls is None  # not yet beside the greeting wait: now
        if tried and await _speaks_tls(session):
            speaks = "TLS"
        else:
            speaks = wire.identify(await _answer_to_quit(session, fresh=tried))
    elif error.reason is Reason.TLS_GARBLED and endpoint.security is Security.TLS:
        speaks = wire.identify(await _plain_greeting(session))
    elif error.reason is Reason.PROTOCOL_VIOLATION and error.step == StepName.GREETING:
        speaks = wire.identify(session.first_heard) if session.first_heard else None
    reason = _sharpened(error.reason, speaks, expected)
    if reason is None:
        return error
    return error.model_copy(update={"reason": reason, "speaks": speaks})


def _sharpened(reason: Reason, speaks: str | None, expected: str) -> Reason | None:
    """What hearing ``speaks`` makes of ``reason``; None when it changes nothing."""
    if speaks is None:
        return None
    if reason is Reason.TLS_GARBLED:  # the plain connection greeted
        if speaks == "TLS":
            return None
        return Reason.PORT_PLAINTEXT if speaks == expected else Reason.WRONG_PROTOCOL
    if speaks == "TLS":  # the plain connection was silent, a TLS handshake worked
        return Reason.PORT_NEEDS_TLS
    return None if speaks == expected else Reason.WRONG_PROTOCOL
