"""Target 4: many live tests at once, through the web app.

Setup: ``benchmarks/mailservers.py`` with CONCURRENCY users (Dovecot limits
raised, ``mail_max_userip_connections`` 1000), and the app as ``mailsetup serve``
with ``MAILSETUP_RATE_LIMITS=off``, ``MAILSETUP_PROBE_ALLOW_NETWORKS=127.0.0.1/32``
and the test CA in ``MAILSETUP_PROBE_CA_FILE``.

Load: CONCURRENCY simultaneous ``POST /api/v1/test`` requests, each a full test
(IMAPS, POP3S and SMTPS with login) for its own user, sent by this process with
httpx; two such bursts, one second apart. The address is in qq.com, a database
domain, so that planning needs no discovery (the servers are given explicitly).

Measured:

- every test answers 200 with ``ok: true`` (target: all, in both bursts);
- a separate process (so this one's work does not count) sends ``GET
  /api/v1/lookup?email=someone@qq.com`` every INTERVAL s on a keep-alive
  connection; p99 of the requests sent during the bursts (target < 100 ms:
  the tests must not block the event loop);
- the app's RSS from /proc, sampled every 20 ms: the rise from before the first
  burst to its peak, divided by CONCURRENCY, is the memory per test; bounded
  means the second burst peaks no more than 10% above the first.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import select
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import (
    BASE_ENV,
    PYTHON,
    REPO,
    Rows,
    cli,
    cpu_seconds,
    free_port,
    http_server,
    percentile,
    rss_kib,
)
from benchmarks.mailservers import PASSWORD, MailServers, Unavailable, mail_servers

CONCURRENCY = 200
BURSTS = 2
INTERVAL = 0.02  # seconds between the latency probe's requests
SAMPLER_LIMIT = 240.0  # seconds; the latency probe stops by itself after this
REQUEST_TIMEOUT = 120.0
LOOKUP = "/api/v1/lookup?email=someone@qq.com"


# -- the latency probe (a child process) -------------------------------------------------


def sampler(port: int) -> int:
    """GET LOOKUP every INTERVAL until stdin closes (or SAMPLER_LIMIT); print the samples."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples: list[tuple[float, float, int]] = []  # (wall clock at start, ms, status; 0: error)
    stop_at = time.monotonic() + SAMPLER_LIMIT
    while time.monotonic() < stop_at:
        started_at, start = time.time(), time.perf_counter()
        try:
            conn.request("GET", LOOKUP)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            status = 0
        samples.append((started_at, (time.perf_counter() - start) * 1000, status))
        if select.select([sys.stdin], [], [], INTERVAL)[0]:  # stdin readable: closed
            break
    print(json.dumps(samples))
    return 0


@contextmanager
def latency_probe(port: int) -> Iterator[list[tuple[float, float, int]]]:
    """Run :func:`sampler` in a child; the list fills with its samples when the block ends."""
    samples: list[tuple[float, float, int]] = []
    process = subprocess.Popen(
        [PYTHON, "-m", "benchmarks.concurrency", "--sampler", str(port)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        yield samples
    finally:
        out, _ = process.communicate(input=b"", timeout=60)
        samples.extend(tuple(s) for s in json.loads(out))


# -- RSS sampling ------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """Samples a process's RSS every 20 ms until :meth:`stop`."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.02):
            self.samples.append((time.time(), rss_kib(self.pid)))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def peak(self, start: float, end: float) -> int:
        return max(kib for t, kib in self.samples if start <= t <= end)


# -- the load ----------------------------------------------------------------------------


def test_request(servers: MailServers, index: int) -> dict[str, object]:
    user = f"bench{index:04d}@mail.test"
    return {
        "email": f"bench{index:04d}@qq.com",
        "username": user,
        "password": PASSWORD,
        "servers": [
            {"protocol": "imap", "host": "127.0.0.1", "port": servers.imaps, "security": "tls"},
            {"protocol": "pop3", "host": "127.0.0.1", "port": servers.pop3s, "security": "tls"},
            {"protocol": "smtp", "host": "127.0.0.1", "port": servers.smtps, "security": "tls"},
        ],
    }


async def burst(port: int, servers: MailServers, count: int) -> tuple[list[float], list[str]]:
    """``count`` live tests at once; (wall seconds of each, problems)."""
    import httpx

    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=REQUEST_TIMEOUT
    ) as client:

        async def one(index: int) -> tuple[float, str | None]:
            start = time.perf_counter()
            try:
                response = await client.post("/api/v1/test", json=test_request(servers, index))
            except httpx.HTTPError as exc:
                return time.perf_counter() - start, f"#{index}: {exc!r}"
            wall = time.perf_counter() - start
            if response.status_code != 200:
                return wall, f"#{index}: HTTP {response.status_code} {response.text[:200]}"
            body = response.json()
            if not body.get("ok"):
                failed = [r for r in body.get("results", []) if not r.get("ok")]
                why = [(r.get("protocol"), (r.get("error") or {}).get("message")) for r in failed]
                return wall, f"#{index}: not ok {why}"
            return wall, None

        done = await asyncio.gather(*(one(i) for i in range(count)))
    return [w for w, _ in done], [p for _, p in done if p]


def run(servers: MailServers, count: int, bursts: int) -> dict[str, object]:
    port = free_port()
    env = {
        "MAILSETUP_PROBE_ALLOW_NETWORKS": "127.0.0.1/32",
        "MAILSETUP_PROBE_ALLOW_PORTS": ",".join(str(p) for p in servers.ports()),
        "MAILSETUP_PROBE_CA_FILE": servers.ca_file,
    }
    mailsetup = str(Path(PYTHON).parent / "mailsetup")
    with http_server("mailsetup", [mailsetup, "serve", "--port", str(port)], port, env) as app:
        walls, problems = asyncio.run(burst(port, servers, 1))  # warm-up
        if problems:
            raise RuntimeError(f"a single live test failed: {problems}")
        rss = RssSampler(app.pid)
        rss.start()
        windows: list[tuple[float, float]] = []
        all_walls: list[float] = []
        all_problems: list[str] = []
        with latency_probe(port) as samples:
            time.sleep(0.5)
            baseline = rss_kib(app.pid)
            cpu = 0.0
            for _ in range(bursts):
                start, cpu_start = time.time(), cpu_seconds(app.pid)
                walls, problems = asyncio.run(burst(port, servers, count))
                windows.append((start, time.time()))
                cpu += cpu_seconds(app.pid) - cpu_start
                all_walls += walls
                all_problems += problems
                time.sleep(1.0)
        rss.stop()
    during = [s for s in samples if any(a <= s[0] <= b for a, b in windows)]
    return {
        "walls": all_walls,
        "problems": all_problems,
        "burst_seconds": [b - a for a, b in windows],
        "latencies": [ms for _, ms, status in during if status == 200],
        "latency_errors": sum(1 for _, _, status in during if status != 200),
        "baseline_kib": baseline,
        "peaks_kib": [rss.peak(a, b) for a, b in windows],
        "final_kib": rss.samples[-1][1],
        "cpu_per_test_ms": cpu / len(all_walls) * 1000,
    }


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--sampler":
        return sampler(int(sys.argv[2]))
    args, rows = cli(__doc__)
    count = 50 if args.quick else CONCURRENCY
    try:
        with mail_servers(users=count) as servers:
            data = run(servers, count, BURSTS)
    except Unavailable as exc:
        rows.add("concurrent live tests", "-", f"mail servers unavailable: {exc}", "SKIP")
        return 0
    report(rows, data, count)
    return 0


def report(rows: Rows, data: dict[str, object], count: int) -> None:
    walls: list[float] = data["walls"]  # type: ignore[assignment]
    problems: list[str] = data["problems"]  # type: ignore[assignment]
    for problem in problems[:10]:
        print(f"  problem: {problem}")
    total = len(walls)
    bursts = ", ".join(f"{s:.1f} s" for s in data["burst_seconds"])  # type: ignore[attr-defined]
    rows.add(
        f"{count} simultaneous full tests x {BURSTS} bursts",
        "all ok",
        f"{total - len(problems)}/{total} ok; bursts took {bursts}; per test p50 "
        f"{statistics.median(walls):.2f} s, max {max(walls):.2f} s",
        "PASS" if not problems else "FAIL",
    )
    rows.add("app CPU per live test", "-", f"{data['cpu_per_test_ms']:.0f} ms", "INFO")
    latencies: list[float] = data["latencies"]  # type: ignore[assignment]
    errors: int = data["latency_errors"]  # type: ignore[assignment]
    if latencies:
        p99 = percentile(latencies, 99)
        rows.add(
            "GET /api/v1/lookup during the bursts: p99",
            "< 100 ms",
            f"{p99:.1f} ms (p50 {percentile(latencies, 50):.1f}, max {max(latencies):.1f}, "
            f"n={len(latencies)}, errors {errors})",
            "PASS" if p99 < 100 and not errors else "FAIL",
        )
    else:
        rows.add("GET /api/v1/lookup during the bursts", "< 100 ms", "no samples", "FAIL")
    baseline: int = data["baseline_kib"]  # type: ignore[assignment]
    peaks: list[int] = data["peaks_kib"]  # type: ignore[assignment]
    per_test = (peaks[0] - baseline) / count
    rows.add(
        "app RSS per simultaneous test (peak - baseline) / n",
        "bounded",
        f"{per_test:.0f} KiB (baseline {baseline / 1024:.0f} MiB, peak {peaks[0] / 1024:.0f} MiB)",
        "INFO",
    )
    grown = peaks[-1] / peaks[0] - 1
    rows.add(
        "app RSS peak, last burst vs first",
        "<= +10%",
        f"{grown:+.1%} ({' / '.join(f'{p / 1024:.0f}' for p in peaks)} MiB; "
        f"after: {data['final_kib'] / 1024:.0f} MiB)",  # type: ignore[operator]
        "PASS" if grown <= 0.10 else "FAIL",
    )


if __name__ == "__main__":
    os.environ.update(BASE_ENV)
    sys.exit(main())
