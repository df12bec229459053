"""One line-oriented mail session over asyncio streams, bounded and recorded.

Every read and write happens inside :meth:`LineSession.step`, which applies the
step's own time limit and the whole probe's deadline and records the step.
Lines sent are written to the transcript as the dialogue says they must be shown
(:class:`app.probe.wire.ClientLine`), so secrets are redacted by the state of the
dialogue, never by pattern matching afterwards. A server line that repeats a
piece of the password is withheld whole from the transcript
(:meth:`StepRecorder.scrub`); the dialogue still parses it as sent.

When a step fails, :attr:`LineSession.reason` says why (a :class:`Reason`),
decided here where the low-level error is still at hand.

A port that wants TLS from the first byte stays silent to a plain client, as a
server that delays its greeting on purpose does too. So while a plain
connection waits for its first line, after :data:`TLS_SNIFF_AFTER` seconds of
silence a TLS handshake runs on a second connection beside the wait: if it
completes, the port wants TLS; if not, the wait goes on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import ssl
from collections.abc import Callable
from typing import TypeVar

from app.errors import (
    GuardRefused,
    ProbeConnectError,
    ProbeDNSError,
    ProbeError,
    ProbeTimeout,
    ProbeTLSError,
    ProtocolViolation,
    UnsafeCommand,
)
from app.net.guard import Guard, IPAddress
from app.net.sniff import completes_tls
from app.probe import tls, wire
from app.probe.recorder import StepRecorder
from app.probe.report import Direction, Reason, StepResult, TLSInfo, TLSPolicy

log = logging.getLogger(__name__)
_In = TypeVar("_In")
_Out = TypeVar("_Out")

MAX_LINE = 8 * 1024  # one line from the server, CRLF included
MAX_RESPONSE = 64 * 1024  # one whole (multi-line) response, literals included
DEFAULT_STEP_TIMEOUT = 10.0
TLS_SNIFF_AFTER = 1.5  # seconds of silence before a TLS handshake is tried beside the wait
_CLOSE_TIMEOUT = 2.0
_UNSAFE_IN_LINE = re.compile(rb"[\r\n\0]")


class LineSession(StepRecorder):
    """A CRLF line session to ``host:port`` through the guard."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        guard: Guard,
        context: ssl.SSLContext,
        deadline: float,
        step_timeout: float = DEFAULT_STEP_TIMEOUT,
        secrets: tuple[str, ...] = (),
        on_step: Callable[[StepResult], None] | None = None,
        protocol: str = "",
    ) -> None:
        super().__init__(
            host,
            port,
            deadline=deadline,
            step_timeout=step_timeout,
            secrets=secrets,
            on_step=on_step,
            protocol=protocol,
        )
        self.guard, self.context, self.policy = guard, context, TLSPolicy.STRICT
        self.resolved: tuple[IPAddress, ...] | None = None
        self.address: IPAddress | None = None
        self.tls: TLSInfo | None = None
        self.verdict: tuple[int, str] | None = None  # OpenSSL's reason for refusing the chain
        self.discarded = 0  # plaintext bytes thrown away at STARTTLS
        self.sniffed_tls: bool | None = None  # a second connection's TLS handshake completed
        self.speaks: str | None = None  # what the port speaks instead ("TLS"), once known
        self._heard = False  # the server sent something on this connection
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def _timeout_reason(self) -> Reason:
        if self._streams is None:
            return Reason.DNS_TIMEOUT if self.resolved is None else Reason.CONNECT_TIMEOUT
        pending = len(getattr(self._streams[0], "_buffer", b""))  # CPython's unread data
        return Reason.SLOW if self._heard or pending else Reason.SILENT

    # -- connection --------------------------------------------------------------------------

    def _io(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if not self._in_step:
            raise RuntimeError("session I/O outside a step has no deadline")
        if self._streams is None:
            raise RuntimeError("session is not connected")
        return self._streams

    async def connect(self) -> None:
        """Vet (once per session) and connect (call inside a step).

        A later connection goes to the address used before, never to a new DNS answer.
        """
        if not self._in_step:
            raise RuntimeError("connect outside a step has no deadline")
        try:
            if self.resolved is None:
                self.resolved = await self.guard.vet(self.host, self.port)
            targets = (self.address,) if self.address is not None else self.resolved
            self._streams, self.address = await self.guard.connect_vetted(
                self.host, self.port, targets
            )
        except ProbeError as exc:
            self.reason = self._connect_reason(exc)
            raise
        self._heard, self.greeted, self.first_heard = False, False, b""
        self.record(Direction.NOTE, f"connected to {self.address} port {self.port}")

    def _connect_reason(self, exc: ProbeError) -> Reason:
        if isinstance(exc, GuardRefused):
            return Reason.GUARD_REFUSED
        if isinstance(exc, ProbeDNSError):
            return Reason.DNS_NOT_FOUND
        if isinstance(exc, ProbeTimeout):
            return Reason.DNS_TIMEOUT if self.resolved is None else Reason.CONNECT_TIMEOUT
        if isinstance(exc.__cause__, ConnectionRefusedError):
            return Reason.CONNECT_REFUSED
        return Reason.CONNECT_FAILED

    async def reopen(self, policy: TLSPolicy | None, context: ssl.SSLContext | None) -> None:
        """Close the connection and get ready for another to the same address.

        The transcript, the steps, the TLS verdict and the deadline carry over.
        """
        await self.close()
        if policy is not None and context is not None:
            self.policy, self.context = policy, context
        self.discarded, self.reason, self.failed_step, self.reply = 0, None, None, ""

    async def start_tls(self, via: str) -> None:
        """Handshake on the open connection, checking the certificate against the host name.

        Bytes the server sent in plaintext before the handshake are discarded and
        counted (RFC 3207 section 4.2, RFC 2595 section 3.1: STARTTLS injection).
        """
        reader, writer = self._io()
        pending = len(getattr(reader, "_buffer", b""))  # CPython keeps unread data here
        if pending:
            junk = await reader.readexactly(pending)
            self.discarded += pending
            shown = self.scrub(wire.decode(junk[:200])).replace("\r\n", "\\r\\n")
            self.record(Direction.NOTE, f"discarded {pending} bytes sent before TLS: {shown!r}")
        try:
            await writer.start_tls(self.context, server_hostname=self.host)
        except ssl.SSLCertVerificationError as exc:
            self.verdict = (exc.verify_code, exc.verify_message)
            self.tls = TLSInfo(
                via=via,
                policy=self.policy,
                version=None,
                cipher=None,
                verify_code=exc.verify_code,
                verify_message=exc.verify_message,
            )
            message = f"certificate rejected: {exc.verify_message} (code {exc.verify_code})"
            raise self.error(Reason.TLS_CERTIFICATE, ProbeTLSError, message) from exc
        except (ssl.SSLError, ConnectionError, EOFError) as exc:
            message = (
                f"TLS handshake failed: {exc}"
                if isinstance(exc, ssl.SSLError)
                else f"connection lost during the TLS handshake: {exc!r}"
            )
            reason = tls.handshake_reason(exc)
            raise self.error(reason, ProbeTLSError, message) from exc
        now = dt.datetime.now(dt.UTC)
        info = tls.session_info(
            writer.get_extra_info("ssl_object"),
            via=via,
            policy=self.policy,
            verdict=self.verdict,
            now=now,
        )
        self.tls = info
        self.record(Direction.NOTE, f"TLS established: {info.version} {info.cipher}")

    @property
    def streams(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """The open connection's streams, for :mod:`app.probe.explain` only."""
        return self._streams

    def local_address_literal(self) -> str:
        """This end's address as an SMTP address literal, for EHLO (RFC 5321 section 4.1.3)."""
        _reader, writer = self._io()
        host = str(writer.get_extra_info("sockname")[0])
        return f"[IPv6:{host}]" if ":" in host else f"[{host}]"

    async def close(self) -> None:
        """Close the connection, waiting briefly (not past a step or the deadline); never raises."""
        self._withhold()
        if self._streams is None:
            return
        _reader, writer = self._streams
        self._streams = None
        writer.close()
        left = self.deadline - self._loop.time()
        wait = max(0.1, min(_CLOSE_TIMEOUT, self.step_timeout, left))
        try:
            await asyncio.wait_for(writer.wait_closed(), wait)
        except (OSError, TimeoutError) as exc:  # the probe is over; only the goodbye failed
            log.debug("%s:%d close: %r", self.host, self.port, exc)
            writer.transport.abort()

    # -- lines -------------------------------------------------------------------------------

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
        """The first line on a plain connection; after :data:`TLS_SNIFF_AFTER` s without a
        byte, a TLS handshake on a second connection runs beside the wait, and if it
        completes the port wants TLS (nothing is sent on this connection)."""
        line = asyncio.ensure_future(reader.readuntil(b"\n"))
        try:
            await asyncio.wait({line}, timeout=TLS_SNIFF_AFTER)
            silent = not line.done() and not getattr(reader, "_buffer", b"")
            if silent and self.sniffed_tls is None:
                sniff = asyncio.ensure_future(self._tls_beside())
                try:
                    await asyncio.wait({line, sniff}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not sniff.done():
                        sniff.cancel()
                        await asyncio.wait({sniff})
                if not line.done() and sniff.done() and not sniff.cancelled() and sniff.result():
                    self.speaks = "TLS"
                    message = "no greeting; a second connection completed a TLS handshake"
                    raise self.error(Reason.PORT_NEEDS_TLS, ProbeTLSError, message)
            return await line
        finally:
            if not line.done():
                line.cancel()
                await asyncio.wait({line})

    async def _tls_beside(self) -> bool:
        """Whether a TLS handshake completes on a second connection to the same address."""
        wait = max(0.0, min(self.step_timeout, self.deadline - self._loop.time()))
        self.record(
            Direction.NOTE,
            f"no greeting after {TLS_SNIFF_AFTER:g} s; trying a TLS handshake on a second "
            "connection",
        )
        targets = (self.address,) if self.address is not None else self.resolved or ()
        try:
            streams, _address = await self.guard.connect_vetted(self.host, self.port, targets)
        except ProbeError as exc:
            self.record(Direction.NOTE, f"the second connection failed: {exc}")
            self.sniffed_tls = False
            return False
        try:
            self.sniffed_tls = await completes_tls(streams, self.host, wait)
        finally:
            streams[1].transport.abort()
        if self.sniffed_tls:
            self.record(Direction.NOTE, "the second connection completed a TLS handshake")
        else:
            self.record(Direction.NOTE, "no TLS handshake on the second connection; waiting on")
        return self.sniffed_tls

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
