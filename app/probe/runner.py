"""Test every endpoint of an account at once, streaming progress as each step finishes.

All probes start together, so the wall time is close to that of the slowest
one, not their sum. Events come out of :func:`run_tests` in the order they
happen: ``start``, then ``step`` events from every probe interleaved, a
``result`` as each probe ends, and a final ``report`` with every result.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.models import AccountConfig, ServerEndpoint
from app.net.guard import Resolver
from app.probe.credential import CredentialKind
from app.probe.diagnose import diagnose
from app.probe.report import (
    AuthOutcome,
    AuthStatus,
    ErrorInfo,
    Mechanism,
    NotAttempted,
    ProbeResult,
    Reason,
    StepResult,
)
from app.probe.slots import ANYONE, FairSlots
from app.probe.steps import StepName
from app.probe.tester import probe
from app.settings import Settings


@dataclass(frozen=True)
class Target:
    """One endpoint and the login name to use on it."""

    endpoint: ServerEndpoint
    username: str


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class StartEvent(_Event):
    type: Literal["start"] = "start"
    servers: tuple[ServerEndpoint, ...]


class StepEvent(_Event):
    type: Literal["step"] = "step"
    server: int
    step: StepResult


class ResultEvent(_Event):
    type: Literal["result"] = "result"
    server: int
    result: ProbeResult


class ReportEvent(_Event):
    type: Literal["report"] = "report"
    ok: bool
    duration_ms: float
    results: tuple[ProbeResult, ...]


Event = StartEvent | StepEvent | ResultEvent | ReportEvent


_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FairSlots] = (
    weakref.WeakKeyDictionary()
)
MAX_SERVERS = 8  # the most servers one test may name
SHARE = 4  # one client may hold a quarter of the slots, or one whole test's worth


def _slots(limit: int) -> FairSlots:
    """The running loop's probe slots: at most ``limit`` probes talk at once, so TLS
    handshakes and parsing never pile up on the event loop, and one client holds at
    most a quarter of them, and never fewer than one test needs (others queue here,
    each behind its own client)."""
    loop = asyncio.get_running_loop()
    slots = _SLOTS.get(loop)
    if slots is None or slots.total != limit:
        slots = _SLOTS[loop] = FairSlots(limit, max(MAX_SERVERS, limit // SHARE))
    return slots


BUSY = "no probe slot became free before the test's deadline: the service is at capacity"


def _busy(target: Target, waited_ms: float, credential: CredentialKind) -> ProbeResult:
    """The result of a probe that never got a slot: the service's fault, nobody else's."""
    return ProbeResult(
        endpoint=target.endpoint,
        username=target.username,
        credential=credential,
        ok=False,
        duration_ms=waited_ms,
        auth=AuthOutcome(
            status=AuthStatus.NOT_ATTEMPTED,
            detail="the test did not start",
            not_attempted=NotAttempted.STOPPED,
        ),
        error=ErrorInfo(
            type="ServiceBusy", message=BUSY, reason=Reason.SERVICE_BUSY, step=StepName.QUEUE
        ),
    )


async def run_tests(
    targets: list[Target],
    secret: str,
    *,
    settings: Settings,
    credential: CredentialKind = CredentialKind.PASSWORD,
    prefer: Mechanism | None = None,
    resolver: Resolver | None = None,
    account: AccountConfig | None = None,
    allow_invalid_certificate: bool = False,
    lang: str = "en",
    deadline: float | None = None,
    client: str = ANYONE,
) -> AsyncIterator[Event]:
    """Probe every target concurrently with ``secret`` (a password, or the access token
    ``credential`` says it is); yield events as they happen, then the report.

    ``deadline`` (the event loop's clock) bounds everything, waiting for a probe slot
    included; by default it is ``settings.probe_deadline`` from now. ``client`` (an IP
    address or IPv6 /64) is whose fair share of the slots the probes take.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + settings.probe_deadline if deadline is None else deadline
    queue: asyncio.Queue[StepEvent | ResultEvent | Exception] = asyncio.Queue()
    slots = _slots(settings.probe_concurrency)

    async def one(index: int, target: Target) -> None:
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    await slots.acquire(client)
            except TimeoutError:
                waited = round((loop.time() - started) * 1000, 1)
                busy = _busy(target, waited, credential)
                findings = diagnose(busy, account, lang=lang)
                queue.put_nowait(
                    ResultEvent(server=index, result=busy.model_copy(update={"findings": findings}))
                )
                return
            try:
                result = await probe(
                    target.endpoint,
                    target.username,
                    secret,
                    settings=settings,
                    credential=credential,
                    prefer=prefer,
                    resolver=resolver,
                    account=account,
                    allow_invalid_certificate=allow_invalid_certificate,
                    lang=lang,
                    on_step=lambda step: queue.put_nowait(StepEvent(server=index, step=step)),
                    deadline=deadline,
                )
            finally:
                slots.release(client)
        except Exception as exc:  # noqa: BLE001 - a bug, not a server failure: re-raised below
            queue.put_nowait(exc)
            return
        queue.put_nowait(ResultEvent(server=index, result=result))

    yield StartEvent(servers=tuple(t.endpoint for t in targets))
    tasks = [asyncio.create_task(one(i, t)) for i, t in enumerate(targets)]
    results: dict[int, ProbeResult] = {}
    try:
        while len(results) < len(targets):
            event = await queue.get()
            if isinstance(event, Exception):
                raise event
            if isinstance(event, ResultEvent):
                results[event.server] = event.result
            yield event
    finally:
        for task in tasks:
            task.cancel()
        # Wait for them: a probe closes its connection as it is cancelled, and an
        # abandoned test must not leave a transport open behind it.
        await asyncio.gather(*tasks, return_exceptions=True)
    ordered = tuple(results[i] for i in range(len(targets)))
    yield ReportEvent(
        ok=all(r.ok for r in ordered),
        duration_ms=round((loop.time() - started) * 1000, 1),
        results=ordered,
    )
