"""The bookkeeping under :class:`app.probe.session.LineSession`: the transcript,
the steps with their time limits, secret scrubbing, and why a step failed.

Scrubbing: client lines that carry a secret are built redacted
(:class:`app.probe.wire.ClientLine`). Server text is kept as sent for the
dialogue to parse, and whatever leaves the session (the transcript, the steps
as they end, and through :mod:`app.probe.tester` the result) goes through
:meth:`StepRecorder.scrub`, which withholds a whole line that repeats any
piece of the password.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from app.errors import ProbeError, ProbeTimeout, ProtocolViolation
from app.probe.report import Direction, Reason, StepResult, TranscriptEntry
from app.probe.steps import StepName
from app.probe.wire.base import b64, identify

# Transcript lines keep the logger they had before this module was split off the session.
log = logging.getLogger("app.probe.session")

SECRET_PIECE = 4  # a server line holding this many characters of a password in a row ...
# ... or this many of an access token: base64 JSON shares short runs with a JWT (a
# Dovecot error challenge and a Microsoft token both hold "eyJ" and "iOiJ"), and 16
# characters of a token are 96 bits, far from the whole.
TOKEN_PIECE = 16
# Such a line is shown as this.
WITHHELD = "[line withheld: it repeated part of your password or access token]"
_E = TypeVar("_E", bound=ProbeError)


@dataclass
class StepNote:
    """What a dialogue reports about its step: a detail, and ok=False for a soft failure."""

    ok: bool = True
    detail: str = ""


class StepRecorder:
    """Records what happens to ``host:port`` and runs steps under their time limits.

    When a step fails, :attr:`reason` says why, as decided where the error was raised
    (:meth:`fail`, :meth:`error`) or, for a time-out, by :meth:`_timeout_reason`.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        deadline: float,
        step_timeout: float,
        secrets: tuple[str, ...] = (),
        on_step: Callable[[StepResult], None] | None = None,
        protocol: str = "",
        secret_piece: int = SECRET_PIECE,
    ) -> None:
        self.host, self.port = host, port
        self.protocol = protocol  # "IMAP", "POP3" or "SMTP": what the server should speak
        self.greeted = False  # the server's first answer was its protocol's greeting
        self.first_heard = b""  # the start of what it sent first, to recognise it
        self._held: list[TranscriptEntry] = []  # server lines before the greeting was known
        self.on_step = on_step  # told about each step as it ends
        self.deadline, self.step_timeout = deadline, step_timeout
        self.transcript: list[TranscriptEntry] = []
        self.steps: list[StepResult] = []
        self._passwords = tuple(s for s in secrets if s)  # any piece of these gives away
        self._piece = secret_piece
        # Payloads built from them (SASL base64, digests), whole; base64 from the start.
        self._derived = {b64(s.encode()).rstrip("=") for s in self._passwords}
        self._loop = asyncio.get_running_loop()
        self.started = self._loop.time()
        self._in_step = False

    def _ms(self, since: float | None = None) -> float:
        return round((self._loop.time() - (self.started if since is None else since)) * 1000, 1)

    def record(self, direction: Direction, line: str) -> None:
        self.transcript.append(TranscriptEntry(t_ms=self._ms(), direction=direction, line=line))
        log.debug("%s:%d %s %s", self.host, self.port, direction.value, line)

    def repeats_secret(self, text: str) -> bool:
        """Whether ``text`` holds a secret of this session, or any piece of one as long as
        the session's piece (:data:`SECRET_PIECE`, :data:`TOKEN_PIECE`), or a whole
        payload built from one."""
        piece = self._piece
        for password in self._passwords:
            if len(password) <= piece:
                if password in text:
                    return True
            elif any(password[i : i + piece] in text for i in range(len(password) - piece + 1)):
                return True
        return any(secret in text for secret in self._derived)

    def scrub(self, text: str) -> str:
        """``text`` from a server, or :data:`WITHHELD` in its place when it repeats a
        secret (see :meth:`repeats_secret`). Nothing is masked inside the text: a
        mask shows where the secret was, and so what it is ("try ******** later")."""
        return WITHHELD if self.repeats_secret(text) else text

    def add_secrets(self, secrets: tuple[str, ...]) -> None:
        """Payloads sent in this session that hide a password (whole matches count)."""
        self._derived.update(s for s in secrets if s)

    def confirm_greeting(self) -> None:
        """The server's first answer is its protocol's greeting: the lines held until now
        join the transcript, and later lines go there as they come."""
        self.greeted = True
        for entry in self._held:
            self.transcript.append(entry)
            log.debug("%s:%d %s %s", self.host, self.port, entry.direction.value, entry.line)
        self._held.clear()

    def _hear(self, raw: bytes, line: str) -> None:
        """Record a server line, or hold it while the greeting is not yet known."""
        if not self.first_heard:
            self.first_heard = raw[:64]
        if self.greeted:
            self.record(Direction.SERVER, self.scrub(line))
        else:
            entry = TranscriptEntry(
                t_ms=self._ms(), direction=Direction.SERVER, line=self.scrub(line)
            )
            self._held.append(entry)

    def _withhold(self) -> None:
        """Lines held from a server that never greeted are not shown: what answered
        may not be a mail server at all. A short description takes their place."""
        if self._held:
            self._held.clear()
            self.record(Direction.NOTE, describe(self.first_heard, self.protocol))

    def not_a_greeting(self) -> ProtocolViolation:
        """The error for a first answer that is not this protocol's greeting (not quoted)."""
        message = describe(self.first_heard, self.protocol)
        return self.error(Reason.PROTOCOL_VIOLATION, ProtocolViolation, message)

    def error(self, reason: Reason, cls: type[_E], message: str, *, reply: str = "") -> _E:
        """``cls(message)`` for this host and port, carrying its reason and the server's
        ``reply`` that caused it, if one did."""
        return cls(message, host=self.host, port=self.port, reason=reason, reply=reply)

    def _timeout_reason(self) -> Reason:
        """Why a step ran out of time; subclasses look at the connection."""
        return Reason.SILENT

    @asynccontextmanager
    async def step(self, name: StepName) -> AsyncIterator[StepNote]:
        """Run one step under the step time limit and the probe deadline, and record it."""
        started = self._loop.time()
        until = min(started + self.step_timeout, self.deadline)
        note = StepNote()
        self._in_step = True
        try:
            async with asyncio.timeout_at(until):
                yield note
        except ProbeError as exc:
            exc.step = exc.step or name
            self._record_step(name, started, ok=False, detail=str(exc))
            raise
        except TimeoutError as exc:
            limit = (
                "the probe deadline"
                if until == self.deadline
                else f"its {self.step_timeout:g} s limit"
            )
            message = f"{name}: no answer within {limit}"
            error = self.error(self._timeout_reason(), ProbeTimeout, message)
            error.step = name
            self._record_step(name, started, ok=False, detail=str(error))
            raise error from exc
        else:
            self._record_step(name, started, ok=note.ok, detail=note.detail)
        finally:
            self._in_step = False

    def _record_step(self, name: StepName, started: float, *, ok: bool, detail: str) -> None:
        """Keep the step as it happened (the diagnosis reads server text as sent);
        whoever is told about it as it ends gets it scrubbed."""
        step = StepResult(name=name, ok=ok, duration_ms=self._ms(started), detail=detail)
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step.model_copy(update={"detail": self.scrub(detail)}))


def describe(first: bytes, expected: str) -> str:
    """What a server that did not greet in ``expected`` answered, without quoting it."""
    speaks = identify(first)
    if speaks is None:
        what = f"{expected} greeting" if expected else "mail greeting"
        return f"the server's first answer is not a {what}; it is not shown"
    if speaks == "TLS":
        return "the server answered with a TLS handshake"
    return f"the server answered with {speaks}" + (f", not {expected}" if expected else "")
