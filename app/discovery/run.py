"""The state of one discovery: what it tries, what each try came to, and who is watching.

Each source is begun (:meth:`DiscoveryRun.begin`) and noted once it answers
(:meth:`DiscoveryRun.note`); a listener, if any, hears both as they happen, so that a
page can show discovery's progress. A source still pending at the end is noted as cut
off by the deadline, or as not needed once a better source had answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from app.discovery.dns import DnsStatus
from app.discovery.findings import DiscoveryFinding
from app.discovery.plan import Rank
from app.models import AccountConfig, Attempt, Source, TraceOutcome
from app.net.http import FetchError


@dataclass(frozen=True)
class Trying:
    """Discovery has started on one source."""

    source: Source
    target: str


Found = tuple[Rank, AccountConfig] | None  # what one source came to, with its rank

Listener = Callable[[Trying | Attempt], None]
"""Hears each :class:`Trying` and each :class:`~app.models.Attempt` as it happens."""

FOUND_OUTCOMES = frozenset(
    {TraceOutcome.FOUND, TraceOutcome.FOUND_PARTLY, TraceOutcome.MX_KNOWN, TraceOutcome.CONFIRMED}
)
DNS_OUTCOMES = {
    DnsStatus.NXDOMAIN: TraceOutcome.NO_SUCH_NAME,
    DnsStatus.NO_RECORDS: TraceOutcome.NO_RECORDS,
    DnsStatus.TIMEOUT: TraceOutcome.DNS_TIMEOUT,
    DnsStatus.FAILED: TraceOutcome.DNS_FAILED,
    DnsStatus.OK: TraceOutcome.FOUND,
}
FETCH_OUTCOMES = {
    "refused": TraceOutcome.BLOCKED,
    "dns": TraceOutcome.HOST_UNRESOLVED,
    "timeout": TraceOutcome.TIMEOUT,
    "tls": TraceOutcome.TLS_FAILED,
    "connect": TraceOutcome.CONNECTION_FAILED,
    "redirects": TraceOutcome.REDIRECTS,
    "too-large": TraceOutcome.TOO_LARGE,
}


def fetch_outcome(exc: FetchError) -> TraceOutcome:
    """What a failed fetch says about the document."""
    if exc.reason == "http-status" and exc.status in (404, 410):
        return TraceOutcome.NOT_FOUND
    return FETCH_OUTCOMES.get(exc.reason, TraceOutcome.HTTP_ERROR)


def dns_outcome(found: Iterable[DnsStatus]) -> TraceOutcome:
    """What lookups that found nothing say: a timeout or a failure first (they say
    nothing about the records), then "no such name" only when every name was missing."""
    statuses = set(found)
    for status in (DnsStatus.TIMEOUT, DnsStatus.FAILED, DnsStatus.NO_RECORDS):
        if status in statuses:
            return DNS_OUTCOMES[status]
    return TraceOutcome.NO_SUCH_NAME if statuses else TraceOutcome.NO_RECORDS


class DiscoveryRun:
    """Attempts, answers and findings of one discovery, and its listener."""

    def __init__(self, email: str | None, listener: Listener | None = None) -> None:
        self.email = email  # the asker, whom fetched answers may name
        self.personal = False
        self.trace: list[Attempt] = []
        self.found: list[tuple[Rank, AccountConfig]] = []
        self.findings: list[DiscoveryFinding] = []
        self.loop = asyncio.get_running_loop()
        self.listener = listener
        self._pending: dict[tuple[Source, str], float] = {}

    def begin(self, source: Source, target: str) -> float:
        """Start one try; returns its start time for :meth:`note`."""
        started = self.loop.time()
        self._pending.setdefault((source, target), started)
        if self.listener is not None:
            self.listener(Trying(source, target))
        return started

    def note(
        self, source: Source, target: str, started: float, outcome: TraceOutcome, detail: str = ""
    ) -> None:
        """One try has come to ``outcome``."""
        self._pending.pop((source, target), None)
        ms = round((self.loop.time() - started) * 1000, 1)
        attempt = Attempt(
            source=source,
            target=target,
            ok=outcome in FOUND_OUTCOMES,
            duration_ms=ms,
            outcome=outcome,
            detail=detail,
        )
        self.trace.append(attempt)
        if self.listener is not None:
            self.listener(attempt)

    def drop(self, source: Source, target: str) -> None:
        """Forget a try that leads to others (a guessed host that resolved) unnoted."""
        self._pending.pop((source, target), None)

    def close_pending(self) -> None:
        """Note every try still pending: cut off by the deadline, or no longer needed."""
        deadlines = {DiscoveryFinding.DISCOVERY_DEADLINE, DiscoveryFinding.GUESS_DEADLINE}
        cut = bool(deadlines & set(self.findings))
        outcome = TraceOutcome.CUT_OFF if cut else TraceOutcome.NOT_NEEDED
        for (source, target), started in list(self._pending.items()):
            self.note(source, target, started, outcome)


async def until_decided(
    jobs: list[tuple[Rank, Awaitable[Found]]], found: list[tuple[Rank, AccountConfig]]
) -> None:
    """Run every job; stop once no pending job's best rank beats the best answer."""
    tasks = {asyncio.ensure_future(job): rank for rank, job in jobs}
    try:
        while tasks:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                tasks.pop(task)
                result = task.result()
                if result is not None:
                    found.append(result)
            best = min((rank for rank, _ in found), default=None)
            if best is not None and all(rank >= best for rank in tasks.values()):
                return
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
