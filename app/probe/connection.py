"""One connection of a live test: through the guard, with TLS checked against the host
name, and a second connection to the same vetted address when the test needs one
(to read a refused certificate chain, or to try TLS when a port stays silent).

When a step fails, the error it raises says why (``ProbeError.reason``, a
:class:`Reason`), decided here where the low-level error is still at hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import ssl
from collections.abc import Callable

from app.errors import GuardRefused, ProbeDNSError, ProbeError, ProbeTimeout, ProbeTLSError
from app.net.guard import Guard, IPAddress
from app.net.sniff import completes_tls
from app.probe import tls, wire
from app.probe.recorder import SECRET_PIECE, StepRecorder
from app.probe.report import Direction, Reason, StepResult, TLSInfo, TLSPolicy
from app.probe.steps import TlsVia

log = logging.getLogger(__name__)

DEFAULT_STEP_TIMEOUT = 10.0
TLS_SNIFF_AFTER = 1.5  # seconds of silence before a TLS handshake is tried beside the wait
_CLOSE_TIMEOUT = 2.0


def unread(reader: asyncio.StreamReader) -> int:
    """Bytes the server sent that nobody has read yet (CPython keeps them in ``_buffer``)."""
    return len(getattr(reader, "_buffer", b""))


class Connection(StepRecorder):
    """A connection to ``host:port`` through the guard, opened again as often as needed."""

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
        sniff_after: float = TLS_SNIFF_AFTER,
        secret_piece: int = SECRET_PIECE,
    ) -> None:
        super().__init__(
            host,
            port,
            deadline=deadline,
            step_timeout=step_timeout,
            secrets=secrets,
            on_step=on_step,
            protocol=protocol,
            secret_piece=secret_piece,
        )
        self.guard, self.context, self.policy = guard, context, TLSPolicy.STRICT
        self.resolved: tuple[IPAddress, ...] | None = None
        self.address: IPAddress | None = None
        self.tls: TLSInfo | None = None
        self.verdict: tuple[int, str] | None = None  # OpenSSL's reason for refusing the chain
        self.discarded = 0  # plaintext bytes thrown away at STARTTLS
        self.sniff_after = sniff_after  # silence before a TLS handshake is tried beside
        self.sniffed_tls: bool | None = None  # a second connection's TLS handshake completed
        self._heard = False  # the server sent something on this connection
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def _timeout_reason(self) -> Reason:
        if self._streams is None:
            return Reason.DNS_TIMEOUT if self.resolved is None else Reason.CONNECT_TIMEOUT
        pending = unread(self._streams[0])
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
            exc.reason = exc.reason or self._connect_reason(exc)
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
        self.discarded = 0

    async def start_tls(self, via: TlsVia) -> None:
        """Handshake on the open connection, checking the certificate against the host name.

        Bytes the server sent in plaintext before the handshake are discarded and
        counted (RFC 3207 section 4.2, RFC 2595 section 3.1: STARTTLS injection).
        """
        reader, writer = self._io()
        pending = unread(reader)
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

    async def has_spoken(self) -> bool:
        """Whether the server has sent bytes not yet read (after one pass of the event loop,
        which reads what has arrived)."""
        reader, _writer = self._io()
        await asyncio.sleep(0)
        return unread(reader) > 0

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

    async def _tls_beside(self) -> bool:
        """Whether a TLS handshake completes on a second connection to the same address."""
        wait = max(0.0, min(self.step_timeout, self.deadline - self._loop.time()))
        self.record(
            Direction.NOTE,
            f"no greeting after {self.sniff_after:g} s; trying a TLS handshake on a second "
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
