"""Target 8: every domain of the shipped ISPDB snapshot answered with no network at all.

Discovery runs as the service runs it, over the embedded data, with DNS and the online
ISPDB pointed at a closed loopback port (127.0.0.1:9): nothing leaves the machine, and
every live source fails at once, as on a machine without network. Each of the
snapshot's domains is discovered, CONCURRENCY at a time. Figures: how many got an
answer (target: all), from which source, and the wall time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from benchmarks.common import cli

CONCURRENCY = 64


async def discover_all() -> tuple[int, Counter[str], float]:
    from app.discovery.service import open_discovery
    from app.paths import DATA_DIR
    from app.providers.db import ProviderDB
    from app.settings import Settings

    db = ProviderDB.from_dir(DATA_DIR)
    if db.snapshot is None:
        raise RuntimeError(f"{DATA_DIR} has no ISPDB snapshot")
    domains = sorted(db.snapshot.domains)
    settings = Settings(
        dns_servers=("127.0.0.1:9",),
        dns_timeout=0.5,
        ispdb_url="http://127.0.0.1:9/v1.1/",
        discovery_deadline=3.0,
        rate_limits=False,
    )
    sources: Counter[str] = Counter()
    gate = asyncio.Semaphore(CONCURRENCY)
    started = time.monotonic()
    async with open_discovery(settings, db) as discoverer:

        async def one(domain: str) -> None:
            async with gate:
                found = await discoverer.discover(domain, None)
            sources[found.config.source.value if found.config else "none"] += 1

        await asyncio.gather(*(one(d) for d in domains))
    return len(domains), sources, time.monotonic() - started


def main() -> None:
    _args, rows = cli(__doc__)
    total, sources, seconds = asyncio.run(discover_all())
    answered = total - sources.get("none", 0)
    detail = ", ".join(f"{source} {n}" for source, n in sorted(sources.items()))
    print(f"  {total} snapshot domains: {detail}; {seconds:.1f} s", flush=True)
    rows.add(
        "snapshot domains answered offline",
        f"all {total}",
        f"{answered} ({detail})",
        "PASS" if answered == total else "FAIL",
    )


if __name__ == "__main__":
    main()
