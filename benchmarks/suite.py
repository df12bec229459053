"""Run every benchmark, each in its own process, and print one table.

Each benchmark appends its rows (figure, target, measured, verdict) to a shared
JSON-lines file; a benchmark that crashes or overruns :data:`TIMEOUT` gets a
FAIL row of its own. ``benchmarks/run_all`` installs what is missing and calls
this; ``--quick`` makes every run shorter (a smoke test: noisier figures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import BASE_ENV, PYTHON, REPO

BENCHMARKS = (
    ("http_serving", "1. serving autoconfig and Autodiscover"),
    ("lookup_startup", "2. lookup and start-up"),
    ("tester_latency", "3. the tester under 100 ms RTT"),
    ("concurrency", "4. concurrent live tests"),
    ("fairness", "5. one client floods, another tests"),
    ("tls_mismatch", "6. a TLS port tested without TLS"),
    ("page_load", "7. a setup page in Chromium"),
    ("offline_lookup", "8. the ISPDB snapshot's domains with no network"),
)
TIMEOUT = 240  # seconds per benchmark


def run(module: str, title: str, rows: Path, quick: bool) -> None:
    print(f"\n===== {title} (benchmarks/{module}.py) =====", flush=True)
    cmd = [PYTHON, "-m", f"benchmarks.{module}", "--rows", str(rows)]
    if quick:
        cmd.append("--quick")
    try:
        done = subprocess.run(cmd, cwd=REPO, env={**os.environ, **BASE_ENV}, timeout=TIMEOUT)
        failure = f"exited with {done.returncode}" if done.returncode else None
    except subprocess.TimeoutExpired:
        failure = f"stopped after {TIMEOUT} s"
    if failure:
        with rows.open("a", encoding="utf-8") as out:
            row = {
                "figure": f"{module}.py",
                "target": "runs",
                "measured": failure,
                "verdict": "FAIL",
            }
            out.write(json.dumps(row) + "\n")


def table(rows: list[dict[str, str]]) -> str:
    keys = ("figure", "target", "measured", "verdict")
    widths = {k: max(len(r[k]) for r in [dict(zip(keys, keys, strict=True)), *rows]) for k in keys}
    rule = "+-" + "-+-".join("-" * widths[k] for k in keys) + "-+"

    def line(r: dict[str, str]) -> str:
        return "| " + " | ".join(r[k].ljust(widths[k]) for k in keys) + " |"

    return "\n".join([rule, line(dict(zip(keys, keys, strict=True))), rule, *map(line, rows), rule])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (smoke test)")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (module names)")
    args = parser.parse_args()
    started = time.monotonic()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mailsetup-bench-") as tmp:
        rows_file = Path(tmp) / "rows.jsonl"
        rows_file.touch()
        for module, title in BENCHMARKS:
            if not args.only or module in args.only:
                run(module, title, rows_file, args.quick)
        rows = [json.loads(line) for line in rows_file.read_text().splitlines() if line]
    elapsed = time.monotonic() - started
    rows.append(
        {
            "figure": "all benchmarks (this table)",
            "target": "< 5 min",
            "measured": f"{elapsed / 60:.1f} min",
            "verdict": "PASS" if elapsed < 300 else "FAIL",
        }
    )
    revision = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"\n===== mailsetup benchmarks: {revision or 'no git'}, {os.cpu_count()} CPUs, "
        f"load average at start {load[0]:.1f}, took {elapsed:.0f} s ====="
    )
    print(table(rows))
    counts = {v: sum(1 for r in rows if r["verdict"] == v) for v in ("PASS", "FAIL", "SKIP")}
    print(", ".join(f"{n} {v}" for v, n in counts.items()) + f"; total time {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
