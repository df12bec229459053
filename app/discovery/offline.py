"""The ISPDB snapshot as a discovery source: answered from memory, at once.

It ranks below the domain's own autoconfig and the online ISPDB (``Rank`` in
:mod:`app.discovery.plan`), so its answer wins only when those fail, time out or are
cut off by the deadline: the case of a machine without the internet.
"""

from __future__ import annotations

from app.discovery.plan import Rank
from app.discovery.run import DiscoveryRun, Found
from app.models import Source, TraceOutcome
from app.providers.snapshot import IspdbSnapshot


async def from_snapshot(run: DiscoveryRun, snapshot: IspdbSnapshot, domain: str) -> Found:
    """The snapshot's settings for ``domain``, noted in the run's trace."""
    started = run.begin(Source.ISPDB_SNAPSHOT, domain)
    entry = snapshot.provider_for(domain)
    config = snapshot.config_for(domain)
    if entry is None or config is None:
        detail = f"not in {snapshot.label}"
        run.note(Source.ISPDB_SNAPSHOT, domain, started, TraceOutcome.NOT_LISTED, detail)
        return None
    detail = f"{snapshot.label}, entry {entry.id}"
    run.note(Source.ISPDB_SNAPSHOT, domain, started, TraceOutcome.FOUND, detail)
    return Rank.ISPDB_SNAPSHOT, config
