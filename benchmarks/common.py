"""What the benchmarks share: ports, starting and stopping servers, percentiles, result rows.

Every benchmark module writes its verdicts as JSON lines (one :class:`Row` each)
to the file named by ``--rows``; ``benchmarks/suite.py`` gathers them into one table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "benchmarks"
PYTHON = sys.executable  # the project's .venv python when started by run_all
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

# Rate limits are off in every benchmark: they measure capacity, not the limiter.
BASE_ENV = {"MAILSETUP_RATE_LIMITS": "off"}


@dataclass(frozen=True)
class Row:
    """One line of the final table."""

    figure: str
    target: str
    measured: str
    verdict: str  # PASS, FAIL, INFO (no target) or SKIP (could not be measured)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


class Rows:
    """Collects rows, prints each as it comes and appends it to the ``--rows`` file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def add(self, figure: str, target: str, measured: str, result: str) -> None:
        row = Row(figure, target, measured, result)
        print(f"  -> {figure}: {measured} (target {target}) {result}", flush=True)
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def cli(description: str | None) -> tuple[argparse.Namespace, Rows]:
    """Parse the options every benchmark takes; returns them and the row sink."""
    parser = argparse.ArgumentParser(description=(description or "").split("\n\n")[0])
    parser.add_argument("--rows", type=Path, help="append result rows (JSON lines) here")
    parser.add_argument(
        "--quick", action="store_true", help="shorter runs (smoke test, figures are noisier)"
    )
    args = parser.parse_args()
    return args, Rows(args.rows)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by nearest rank; ``values`` need not be sorted."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = START_TIMEOUT) -> None:
    """Poll ``url`` until it answers (any status) or raise; fails fast if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1.0):  # noqa: S310 - loopback URL
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process we started (uvicorn and gunicorn masters stop their workers)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def http_server(
    name: str, command: list[str], port: int, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (listening on ``port``) until the block ends; its output goes to a
    temporary log whose tail is shown if it fails to start."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **BASE_ENV, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                wait_http(f"http://127.0.0.1:{port}/", process)
            except RuntimeError:
                log.seek(0)
                tail = log.read()[-2000:].decode(errors="replace")
                raise RuntimeError(f"{name} did not start:\n{tail}") from None
            yield process
        finally:
            stop(process)


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
