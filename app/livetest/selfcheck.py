"""Check ourselves before blaming the visitor: a test whose network-level failures point
at the service's own network (:func:`app.probe.attribution.unreachable`) reports them
as ``service-offline``, logs a warning for the operator and counts it.

A server that failed at the network level is held back until the test ends, since
whether its failure is ours may depend on the servers still running; every other
event passes at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence

from app import metrics
from app.models import AccountConfig
from app.probe.attribution import Evidence, blame_ourselves, network_failure, unreachable
from app.probe.report import ProbeResult
from app.probe.runner import Event, ReportEvent, ResultEvent
from app.untrusted import escape_controls

log = logging.getLogger(__name__)


async def check_ourselves(
    events: AsyncIterator[Event],
    database: frozenset[str],
    typed: frozenset[str],
    account: AccountConfig | None,
    lang: str,
) -> AsyncIterator[Event]:
    """``events`` with the network-level failures worded as the service's when the whole
    test shows they are: ``database`` and ``typed`` are
    :func:`~app.probe.attribution.unreachable`'s."""
    held: list[ResultEvent] = []
    async for event in events:
        if isinstance(event, ResultEvent) and network_failure(event.result):
            held.append(event)
            continue
        if not isinstance(event, ReportEvent):
            yield event
            continue
        evidence = unreachable(event.results, database, typed)
        if evidence is None:
            for result_event in held:
                yield result_event
            yield event
            continue
        _tell_the_operator(evidence, event.results)

        def ours(result: ProbeResult) -> ProbeResult:
            return blame_ourselves(result, account, lang)

        for result_event in held:
            yield result_event.model_copy(update={"result": ours(result_event.result)})
        yield event.model_copy(update={"results": tuple(map(ours, event.results))})


def _tell_the_operator(evidence: Evidence, results: Sequence[ProbeResult]) -> None:
    metrics.service_offline(evidence.value)
    failed = [
        f"{r.endpoint.protocol.value} {r.endpoint.host}:{r.endpoint.port} {r.error.reason.value}"
        for r in results
        if network_failure(r) and r.error is not None
    ]
    log.warning(
        "the tester cannot reach the mail servers (%s): %d of %d failed at the network level: %s",
        evidence.value,
        len(failed),
        len(results),
        escape_controls(", ".join(failed)),
    )
