"""One line-oriented mail session over asyncio streams, bounded and recorded.

Every read and write happens inside :meth:`LineSession.step`, which applies the
step's own time limit and the whole probe's deadline and records the step.
Lines sent are written to the transcript as the dialogue says they must be shown
(:class:`app.probe.wire.ClientLine`), so secrets are redacted by the state of the
dialogue, never by pattern matching afterwards. A server line that repeats a
piece of the password is withheld whole from the transcript
(:meth:`StepRecorder.scrub`); the dialogue still parses it as sent.

A port that wants TLS from the first byte stays silent to a plain client, as a
server that delays its greeting on purpose does too. So while a plain
connection waits for its first line, after :data:`TLS_SNIFF_AFTER` seconds of
silence a TLS handshake runs on a second connection beside the wait: if it
completes, the port wants TLS; if not, the wait goes on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import TypeVar

from app.errors import ProbeConnectError, ProbeTLSError, ProtocolViolation, UnsafeCommand
from app.probe import wire
from app.probe.connection import DEFAULT_STEP_TIMEOUT, TLS_SNIFF_AFTER, Connection, unread
from app.probe.report import Direction, Reason

log = logging.getLogger(__name__)
_In = TypeVar("_In")
_Out = TypeVar("_Out")

MAX_LINE = 8 * 1024  # one line from the server, CRLF included
MAX_RESPONSE = 64 * 1024  # one whole (multi-line) response, literals included
_UNSAFE_IN_LINE = re.compile(rb"[\r\n\0]")

__all__ = ["DEFAULT_STEP_TIMEOUT", "MAX_LINE", "MAX_RESPONSE", "TLS_SNIFF_AFTER", "LineSession"]


class LineSession(Connection):
    """A CRLF line session to ``host:port`` through the guard."""

    async def send(self, line: str | wire.ClientLine) -> None:
        """Send one line; a :class:`wire.ClientLine` says how to show it and what it hides.

        A line holding CR, LF or NUL anywhere is refused before anything is written:
        CRLF ends a command in all three protocols, so a line with its own would send
        commands nobody chose (a password ``x\\r\\nDELE 1``), and NUL splits SASL
        PLAIN (RFC 4616) and is never allowed in IMAP (RFC 3501 section 9).
        """
        _reader, writer = self._io()
        if isinstance(line, str):
            line = wire.ClientLine.plain(line)
        if _UNSAFE_IN_LINE.search(line.data):
            message = "refused to send a command holding CR, LF or NUL; nothing was sent"
            raise self.error(Reason.OTHER, UnsafeCommand, message)
        self.add_secrets(line.secrets)
        self.record(Direction.CLIENT, line.shown)
        writer.write(line.data + b"\r\n")
        try:
            await writer.drain()
        except ConnectionError as exc:
            raise self.error(Reason.CLOSED, ProbeConnectError, f"sending failed: {exc!r}") from exc

    async def _read_raw_line(self) -> bytes:
        reader, _writer = self._io()
        try:
            if self._heard or self.tls is not None:
                raw = await reader.readuntil(b"\n")
            else:
                raw = await self._first_line(reader)
        except asyncio.LimitOverrunError as exc:
            raise self._oversized(f"a line longer than {MAX_LINE} bytes") from exc
        except asyncio.IncompleteReadError as exc:
            message = "the server closed the connection"
            raise self.error(Reason.CLOSED, ProbeConnectError, message) from exc
        except ConnectionError as exc:
            message = f"connection lost: {exc!r}"
            raise self.error(Reason.CLOSED, ProbeConnectError, message) from exc
        self._heard = True
        if len(raw) > MAX_LINE:
            raise self._oversized(f"a line longer than {MAX_LINE} bytes")
        return raw.rstrip(b"\r\n")

    async def _first_line(self, reader: asyncio.StreamReader) -> bytes:
        """The first line on a plain connection; after ``sniff_after`` s without a
        byte, a TLS handshake on a second connection runs beside the wait, and if it
        completes the port wants TLS (nothing is sent on this connection)."""
        line = asyncio.ensure_future(reader.readuntil(b"\n"))
        try:
            await asyncio.wait({line}, timeout=self.sniff_after)
            silent = not line.done() and not unread(reader)
            if silent and self.sniffed_tls is None:
                sniff = asyncio.ensure_future(self._tls_beside())
                try:
                    await asyncio.wait({line, sniff}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not sniff.done():
                        sniff.cancel()
                        await asyncio.wait({sniff})
                if not line.done() and sniff.done() and not sniff.cancelled() and sniff.result():
                    message = "no greeting; a second connection completed a TLS handshake"
                    error = self.error(Reason.PORT_NEEDS_TLS, ProbeTLSError, message)
                    error.speaks = "TLS"
                    raise error
            return await line
        finally:
            if not line.done():
                line.cancel()
                await asyncio.wait({line})

    def _oversized(self, what: str) -> ProtocolViolation:
        return self.error(Reason.OVERSIZED, ProtocolViolation, f"the server sent {what}")

    async def read_line(self) -> str:
        """One line (without CRLF), decoded and recorded scrubbed; returned as sent."""
        raw = await self._read_raw_line()
        line = wire.decode(raw)
        self._hear(raw, line)
        return line

    async def read_response(
        self, done: Callable[[str], bool], *, literals: bool = False
    ) -> list[str]:
        """Lines up to and including the one ``done`` accepts, within :data:`MAX_RESPONSE`;
        recorded scrubbed, returned as sent.

        With ``literals`` (IMAP), a line ending in ``{n}`` continues with n raw
        bytes and the rest of the line; the pieces form one logical line.
        """
        reader, _writer = self._io()
        lines: list[str] = []
        total = 0
        while True:
            raw = await self._read_raw_line()
            total += len(raw) + 2
            size = wire.trailing_literal(raw) if literals else None
            while size is not None:
                if total + size > MAX_RESPONSE:
                    raise self._oversized(f"a response larger than {MAX_RESPONSE} bytes")
                try:
                    chunk = await reader.readexactly(size)
                except asyncio.IncompleteReadError as exc:
                    message = "the server closed the connection in a literal"
                    raise self.error(Reason.CLOSED, ProbeConnectError, message) from exc
                rest = await self._read_raw_line()
                total += size + len(rest) + 2
                raw += b"\r\n" + chunk + rest
                size = wire.trailing_literal(rest)
            if total > MAX_RESPONSE:
                raise self._oversized(f"a response larger than {MAX_RESPONSE} bytes")
            line = wire.decode(raw)
            self._hear(raw, line)
            lines.append(line)
            if done(line):
                return lines

    def parse(self, parser: Callable[[_In], _Out], value: _In) -> _Out:
        """Run a :mod:`wire` parser, turning :class:`wire.WireError` into ProtocolViolation
        (which quotes the server only once it has greeted in its protocol)."""
        try:
            return parser(value)
        except wire.WireError as exc:
            if not self.greeted:
                raise self.not_a_greeting() from exc
            error = self.error(Reason.PROTOCOL_VIOLATION, ProtocolViolation, str(exc))
            raise error from exc
