"""One line-oriented mail session over asyncio streams, bounded and recorded.

Every read and write happens inside :meth:`LineSession.step`, which applies the
step's own time limit and the whole probe's deadline and records the step.
Lines sent are written to the transcript as the dialogue says they must be shown
(:class:`app.probe.wire.ClientLine`), so secrets are redacted by the state of the
dialogue, never by pattern matching afterwards. Server text is checked against
the secrets sent so far too, in case a server echoes one back.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from app.errors import ProbeConnectError, ProbeError, ProbeTimeout, ProbeTLSError, ProtocolViolation
from app.probe import wire
from app.probe.guard import Guard, IPAddress
from app.probe.report import REDACTED, Direction, StepResult, TLSInfo, TranscriptEntry

log = logging.getLogger(__name__)
_In = TypeVar("_In")
_Out = TypeVar("_Out")

MAX_LINE = 8 * 1024  # one line from the server, CRLF included
MAX_RESPONSE = 64 * 1024  # one whole (multi-line) response, literals included
DEFAULT_STEP_TIMEOUT = 10.0
_CLOSE_TIMEOUT = 2.0


@functools.lru_cache(maxsize=4)
def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system CA store, plus ``ca_file`` (Settings.probe_ca_file) when set.

    Hostname checks are on. Cached: loading the store costs milliseconds, and a
    context is not changed after creation, so probes share it.
    """
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


@dataclass
class StepNote:
    """What a dialogue reports about its step: a detail, and ok=False for a soft failure."""

    ok: bool = True
    detail: str = ""


class LineSession:
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
    ) -> None:
        self.host, self.port = host, port
        self.guard, self.context = guard, context
        self.deadline, self.step_timeout = deadline, step_timeout
        self.transcript: list[TranscriptEntry] = []
        self.steps: list[StepResult] = []
        self.address: IPAddress | None = None
        self.tls: TLSInfo | None = None
        self.discarded = 0  # plaintext bytes thrown away at STARTTLS
        self._secrets = {s for s in secrets if s}
        self._loop = asyncio.get_running_loop()
        self.started = self._loop.time()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._in_step = False

    # -- recording ---------------------------------------------------------------------------

    def _ms(self, since: float | None = None) -> float:
        return round((self._loop.time() - (self.started if since is None else since)) * 1000, 1)

    def record(self, direction: Direction, line: str) -> None:
        self.transcript.append(TranscriptEntry(t_ms=self._ms(), direction=direction, line=line))
        log.debug("%s:%d %s %s", self.host, self.port, direction.value, line)

    def scrub(self, text: str) -> str:
        """Mask any secret sent in this session that a server echoes back."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    @asynccontextmanager
    async def step(self, name: str) -> AsyncIterator[StepNote]:
        """Run one step under the step time limit and the probe deadline, and record it."""
        started = self._loop.time()
        until = min(started + self.step_timeout, self.deadline)
        note = StepNote()
        self._in_step = True
        try:
            async with asyncio.timeout_at(until):
                yield note
        except ProbeError as exc:
            self._record_step(name, started, ok=False, detail=str(exc))
            raise
        except TimeoutError as exc:
            which = (
                "the probe deadline"
                if until == self.deadline
                else f"its {self.step_timeout:g} s limit"
            )
            error = ProbeTimeout(
                f"{name}: no answer within {which}", host=self.host, port=self.port
            )
            self._record_step(name, started, ok=False, detail=str(error))
            raise error from exc
        else:
            self._record_step(name, started, ok=note.ok, detail=note.detail)
        finally:
            self._in_step = False

    def _record_step(self, name: str, started: float, *, ok: bool, detail: str) -> None:
        self.steps.append(
            StepResult(name=name, ok=ok, duration_ms=self._ms(started), detail=detail)
        )

    # -- connection --------------------------------------------------------------------------

    def _io(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if not self._in_step:
            raise RuntimeError("session I/O outside a step has no deadline")
        if self._streams is None:
            raise RuntimeError("session is not connected")
        return self._streams

    async def connect(self) -> None:
        """Vet and connect (call inside a step)."""
        if not self._in_step:
            raise RuntimeError("connect outside a step has no deadline")
        self._streams, self.address = await self.guard.connect(self.host, self.port)
        self.record(Direction.NOTE, f"connected to {self.address} port {self.port}")

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
            message = f"certificate rejected: {exc.verify_message} (code {exc.verify_code})"
            raise ProbeTLSError(message, host=self.host, port=self.port) from exc
        except ssl.SSLError as exc:
            raise ProbeTLSError(
                f"TLS handshake failed: {exc}", host=self.host, port=self.port
            ) from exc
        except (ConnectionError, EOFError) as exc:
            message = f"connection lost during the TLS handshake: {exc!r}"
            raise ProbeTLSError(message, host=self.host, port=self.port) from exc
        ssl_object = writer.get_extra_info("ssl_object")
        cipher = ssl_object.cipher() if isinstance(ssl_object, ssl.SSLObject) else None
        version = ssl_object.version() if isinstance(ssl_object, ssl.SSLObject) else None
        self.tls = TLSInfo(via=via, version=version, cipher=cipher[0] if cipher else None)
        self.record(Direction.NOTE, f"TLS established: {version} {self.tls.cipher}")

    def local_address_literal(self) -> str:
        """This end's address as an SMTP address literal, for EHLO (RFC 5321 section 4.1.3)."""
        _reader, writer = self._io()
        host = str(writer.get_extra_info("sockname")[0])
        return f"[IPv6:{host}]" if ":" in host else f"[{host}]"

    async def close(self) -> None:
        """Close the connection, waiting briefly for the peer; never raises."""
        if self._streams is None:
            return
        _reader, writer = self._streams
        self._streams = None
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), _CLOSE_TIMEOUT)
        except (OSError, TimeoutError) as exc:  # the probe is over; only the goodbye failed
            log.debug("%s:%d close: %r", self.host, self.port, exc)
            writer.transport.abort()

    # -- lines -------------------------------------------------------------------------------

    async def send(self, line: str | wire.ClientLine) -> None:
        """Send one line; a :class:`wire.ClientLine` says how to show it and what it hides."""
        _reader, writer = self._io()
        if isinstance(line, str):
            line = wire.ClientLine.plain(line)
        self._secrets.update(s for s in line.secrets if s)
        self.record(Direction.CLIENT, line.shown)
        writer.write(line.data + b"\r\n")
        try:
            await writer.drain()
        except ConnectionError as exc:
            raise ProbeConnectError(
                f"sending failed: {exc!r}", host=self.host, port=self.port
            ) from exc

    async def _read_raw_line(self) -> bytes:
        reader, _writer = self._io()
        try:
            raw = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError as exc:
            raise self._violation(f"a line longer than {MAX_LINE} bytes") from exc
        except asyncio.IncompleteReadError as exc:
            raise ProbeConnectError(
                "the server closed the connection", host=self.host, port=self.port
            ) from exc
        except ConnectionError as exc:
            raise ProbeConnectError(
                f"connection lost: {exc!r}", host=self.host, port=self.port
            ) from exc
        if len(raw) > MAX_LINE:
            raise self._violation(f"a line longer than {MAX_LINE} bytes")
        return raw.rstrip(b"\r\n")

    def _violation(self, what: str) -> ProtocolViolation:
        return ProtocolViolation(f"the server sent {what}", host=self.host, port=self.port)

    async def read_line(self) -> str:
        """One line (without CRLF), decoded, scrubbed and recorded."""
        line = self.scrub(wire.decode(await self._read_raw_line()))
        self.record(Direction.SERVER, line)
        return line

    async def read_response(
        self, done: Callable[[str], bool], *, literals: bool = False
    ) -> list[str]:
        """Lines up to and including the one ``done`` accepts, within :data:`MAX_RESPONSE`.

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
                    raise self._violation(f"a response larger than {MAX_RESPONSE} bytes")
                try:
                    chunk = await reader.readexactly(size)
                except asyncio.IncompleteReadError as exc:
                    raise ProbeConnectError(
                        "the server closed the connection in a literal",
                        host=self.host,
                        port=self.port,
                    ) from exc
                rest = await self._read_raw_line()
                total += size + len(rest) + 2
                raw += b"\r\n" + chunk + rest
                size = wire.trailing_literal(rest)
            if total > MAX_RESPONSE:
                raise self._violation(f"a response larger than {MAX_RESPONSE} bytes")
            line = self.scrub(wire.decode(raw))
            self.record(Direction.SERVER, line)
            lines.append(line)
            if done(line):
                return lines

    def parse(self, parser: Callable[[_In], _Out], value: _In) -> _Out:
        """Run a :mod:`wire` parser, turning :class:`wire.WireError` into ProtocolViolation."""
        try:
            return parser(value)
        except wire.WireError as exc:
            raise ProtocolViolation(str(exc), host=self.host, port=self.port) from exc
