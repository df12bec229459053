"""Target 2: lookup latency in process, and start-up time.

- Lookup: the path ``GET /api/v1/lookup`` takes, below HTTP. With the full
  database loaded (``ProviderDB.from_dir(DATA_DIR)``) and discovery opened as the
  app opens it (``open_discovery``), ``lookup(discoverer, "someone@qq.com")`` (from
  :mod:`app.discovery.service`) and the answer's JSON are run WARMUP times, then each
  of ITERATIONS calls is timed alone with ``time.perf_counter_ns`` inside one event
  loop; p50 and p99 of those. Target: p50 < 50 µs.
- Loading: a fresh ``python`` process imports the loader, then times
  ``ProviderDB.from_dir(DATA_DIR)`` (parse and validate every provider file);
  RUNS processes, median. Target: < 300 ms. The import time is shown apart.
- App start: a fresh process times ``create_app()`` and then entering its
  lifespan (``app.router.lifespan_context``, which loads the data and opens
  discovery); RUNS processes, median. No target: reported for information.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time

from benchmarks.common import BASE_ENV, PYTHON, REPO, cli, percentile

WARMUP = 2_000
ITERATIONS = 50_000
RUNS = 5
ADDRESS = "someone@qq.com"


def lookup_figures(iterations: int) -> tuple[float, float, int]:
    """(p50 µs, p99 µs, providers) for the API's lookup of ADDRESS and its JSON."""
    from app.discovery.service import lookup, open_discovery
    from app.paths import DATA_DIR
    from app.providers.db import ProviderDB
    from app.settings import Settings

    db = ProviderDB.from_dir(DATA_DIR)

    async def run() -> list[int]:
        async with open_discovery(Settings(), db) as discoverer:
            answer = await lookup(discoverer, ADDRESS)
            if answer.provider is None or not answer.endpoints:
                raise RuntimeError(f"{ADDRESS} must be answered from the database")
            for _ in range(WARMUP):
                (await lookup(discoverer, ADDRESS)).to_json()
            clock = time.perf_counter_ns
            samples = []
            for _ in range(iterations):
                start = clock()
                (await lookup(discoverer, ADDRESS)).to_json()
                samples.append(clock() - start)
            return samples

    samples = asyncio.run(run())
    return percentile(samples, 50) / 1000, percentile(samples, 99) / 1000, len(db)


def child_load() -> dict[str, float]:
    """In a fresh process: import time and ``from_dir`` time, in ms."""
    start = time.perf_counter()
    from app.paths import DATA_DIR
    from app.providers.db import ProviderDB

    imported = time.perf_counter()
    db = ProviderDB.from_dir(DATA_DIR)
    loaded = time.perf_counter()
    return {
        "import_ms": (imported - start) * 1000,
        "load_ms": (loaded - imported) * 1000,
        "providers": len(db),
    }


def child_app() -> dict[str, float]:
    """In a fresh process: import, ``create_app()`` and lifespan start-up, in ms."""
    start = time.perf_counter()
    from app.main import create_app

    imported = time.perf_counter()
    app = create_app()
    created = time.perf_counter()

    async def enter() -> float:
        async with app.router.lifespan_context(app):
            return time.perf_counter()

    started = asyncio.run(enter())
    return {
        "import_ms": (imported - start) * 1000,
        "create_ms": (created - imported) * 1000,
        "lifespan_ms": (started - created) * 1000,
    }


def fresh(kind: str, runs: int) -> list[dict[str, float]]:
    """Run ``child_<kind>`` in ``runs`` fresh processes; their JSON results."""
    import os

    results = []
    for _ in range(runs):
        out = subprocess.run(
            [PYTHON, "-m", "benchmarks.lookup_startup", "--child", kind],
            cwd=REPO,
            env={**os.environ, **BASE_ENV},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps({"load": child_load, "app": child_app}[sys.argv[2]]()))
        return 0
    args, rows = cli(__doc__)
    iterations = 5_000 if args.quick else ITERATIONS
    runs = 3 if args.quick else RUNS

    p50, p99, providers = lookup_figures(iterations)
    print(f"lookup(discoverer, {ADDRESS!r}) + JSON, {providers} providers, {iterations} calls")
    rows.add("lookup p50 (in process)", "< 50 us", f"{p50:.1f} us", "PASS" if p50 < 50 else "FAIL")
    rows.add("lookup p99 (in process)", "-", f"{p99:.1f} us", "INFO")

    loads = fresh("load", runs)
    load = median(loads, "load_ms")
    spread = ", ".join(f"{r['load_ms']:.0f}" for r in loads)
    print(f"ProviderDB.from_dir in {runs} fresh processes: {spread} ms")
    rows.add(
        "ProviderDB.from_dir (fresh process, median)",
        "< 300 ms",
        f"{load:.0f} ms ({providers} providers)",
        "PASS" if load < 300 else "FAIL",
    )
    rows.add("import of the loader (median)", "-", f"{median(loads, 'import_ms'):.0f} ms", "INFO")

    apps = fresh("app", runs)
    create, lifespan = median(apps, "create_ms"), median(apps, "lifespan_ms")
    rows.add(
        "create_app() + lifespan start (median)",
        "-",
        f"{create + lifespan:.0f} ms (create {create:.0f}, lifespan {lifespan:.0f}; "
        f"import app.main {median(apps, 'import_ms'):.0f} ms)",
        "INFO",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
