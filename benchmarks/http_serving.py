"""Target 1: requests/s for autoconfig GET and Autodiscover POST, against baselines.

Endpoints: ``GET /mail/config-v1.1.xml?emailaddress=someone@qq.com`` and ``POST
/autodiscover/autodiscover.xml`` (text/xml, an Outlook request for someone@qq.com).

Servers, all on 127.0.0.1 and all started before the first run:

- ``ours``: ``mailsetup serve``, as the Docker image runs it (one process, uvicorn
  with ``app.cli.SERVER_OPTIONS``: httptools, asyncio loop) with the image's
  environment (``MAILSETUP_LOG_FORMAT=json``: one JSON access line per request,
  written to a file). Rate limits are off, as in every benchmark: from one client
  address the per-client limits would answer 429 after the first minute's worth;
- ``minimal``: ``benchmarks/minimal_app.py`` (a constant 1 KB document) under
  uvicorn with the same ``SERVER_OPTIONS``: the ceiling for the GET;
- ``minimal-parsing``: the same app with ``--parse``: its Autodiscover POST parses the
  body with defusedxml before answering the constant document, the fair ceiling for
  a route that must parse its input (ours must read the address); POST only;
- ``ours-quiet``: ours at ``MAILSETUP_LOG_LEVEL=warning`` (no access lines), for
  information: what the one JSON line a request costs;
- ``automx2``: automx2 with its own example data (``GET /initdb/``) in a SQLite
  file, served by gunicorn with 2 sync workers, from its separate venv
  (``benchmarks/.venv-automx2``, made by ``run_all``); it is asked about
  someone@example.com, a domain of its example data. ``automx2-free`` is the
  same, not pinned (see below), for information.

Targets: GET ours / minimal >= 70%, POST ours / minimal-parsing >= 80%, and ours /
automx2 >= 8x on both; POST ours / minimal (which parses nothing) is shown for
information.

How: each answer is checked once (status 200, the expected content), then, per
endpoint, wrk runs ``-c32 -d{SECONDS}s`` with ``benchmarks/wrk.lua`` against each
server in turn, REPEATS rounds, after a 1 s warm-up. A server's figure is its best
round; a ratio is the median of the rounds' ratios, each from two runs seconds
apart (this machine's speed drifts by tens of percent over minutes). On a machine
with two or more CPUs every server is pinned to the first (``taskset``; automx2's
two workers share it) and wrk to the others: each server gets one whole core, and
the load generator never competes with it for that core (unpinned, the
scheduler's placement moved figures by ±15% between runs). Only ratios from one
run mean anything. Any non-2xx answer or socket error is reported with the figure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import BENCH_DIR, PYTHON, Rows, cli, free_port, http_server, verdict

SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "3"))
REPEATS = int(os.environ.get("BENCH_WRK_REPEATS", "3"))
CONNECTIONS = 32
AUTOMX2_VENV = Path(os.environ.get("BENCH_AUTOMX2_VENV", BENCH_DIR / ".venv-automx2"))
WRK_LUA = BENCH_DIR / "wrk.lua"
IMAGE_ENV = {"MAILSETUP_LOG_FORMAT": "json"}  # what the Dockerfile sets
QUIET_ENV = {"MAILSETUP_LOG_LEVEL": "warning"}  # no access lines: for information

GET, POST = "GET autoconfig", "POST autodiscover"
# Each endpoint's baseline and the share of its req/s ours must reach: the GET is
# held to the constant answer, the POST to the app that parses its body too.
BASELINE = {GET: ("minimal", 0.7), POST: ("minimal-parsing", 0.8)}
AUTOMX2_TIMES = 8  # ours / automx2, both endpoints

AUTODISCOVER_REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>{email}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
"""


@dataclass
class Server:
    name: str
    port: int
    email: str
    expect: bytes  # found in every correct answer (both endpoints)
    only: str | None = None  # the one endpoint this server is measured on; None: all


Endpoint = Callable[[Server], tuple[str, Path | None]]  # path and POST body file


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers plus socket errors

    def show(self) -> str:
        bad = f", {self.errors} errors" if self.errors else ""
        return f"{self.rps:.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms{bad}"


def fetch(server: Server, path: str, body: bytes | None) -> bytes:
    """One request; raise unless it is answered 200 with the expected content."""
    url = f"http://127.0.0.1:{server.port}{path}"
    headers = {"Content-Type": "text/xml"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        data: bytes = response.read()
        if response.status != 200 or server.expect not in data:
            raise RuntimeError(f"{server.name} {path}: {response.status} {data[:200]!r}")
        return data


def cpu_split() -> tuple[list[str], list[str], int]:
    """Command prefixes pinning servers to the first CPU and wrk to the rest, and wrk's
    thread count; no pinning with one CPU or without taskset."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return [], [], 2
    rest = ",".join(str(c) for c in cpus[1:])
    return ["taskset", "-c", str(cpus[0])], ["taskset", "-c", rest], len(cpus) - 1


SERVER_PIN, CLIENT_PIN, WRK_THREADS = cpu_split()


def run_wrk(url: str, body_file: Path | None, seconds: int) -> WrkResult:
    env = {**os.environ, "WRK_BODY_FILE": str(body_file) if body_file else ""}
    cmd = [*CLIENT_PIN, "wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    cmd += ["--latency", "-s", str(WRK_LUA), url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 30)
    line = next((s for s in out.stdout.splitlines() if s.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
    )


@contextlib.contextmanager
def automx2_server(port: int, workdir: Path, *, pinned: bool) -> Iterator[None]:
    workdir.mkdir(exist_ok=True)
    conf = workdir / "automx2.conf"
    conf.write_text(
        "[automx2]\nloglevel = WARNING\ndb_echo = no\n"
        f"db_uri = sqlite:///{workdir / 'automx2.sqlite'}\nproxy_count = 0\n",
        encoding="utf-8",
    )
    gunicorn = str(AUTOMX2_VENV / "bin" / "gunicorn")
    pin = SERVER_PIN if pinned else []
    cmd = [*pin, gunicorn, "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    cmd.append("automx2.server:app")
    with http_server("automx2", cmd, port, env={"AUTOMX2_CONF": str(conf)}):
        # automx2's documented way to load its example data.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/initdb/", timeout=10) as r:
            r.read()
        yield


def start_servers(stack: contextlib.ExitStack, servers: list[Server], workdir: Path) -> None:
    mailsetup = str(Path(PYTHON).parent / "mailsetup")
    for s in servers:
        if s.name in ("ours", "ours-quiet"):
            cmd = [*SERVER_PIN, mailsetup, "serve", "--port", str(s.port)]
            env = IMAGE_ENV if s.name == "ours" else {**IMAGE_ENV, **QUIET_ENV}
            stack.enter_context(http_server(s.name, cmd, s.port, env=env))
        elif s.name in ("minimal", "minimal-parsing"):
            cmd = [*SERVER_PIN, PYTHON, "-m", "benchmarks.minimal_app", "--port", str(s.port)]
            cmd += ["--parse"] if s.name == "minimal-parsing" else []
            stack.enter_context(http_server(s.name, cmd, s.port))
        else:
            pinned = s.name == "automx2"
            stack.enter_context(automx2_server(s.port, workdir / s.name, pinned=pinned))


Rounds = dict[tuple[str, str], list[WrkResult]]  # (endpoint, server) -> one per round


def measure(
    servers: list[Server], endpoints: dict[str, Endpoint], seconds: int, repeats: int
) -> Rounds:
    """``repeats`` rounds of wrk per endpoint; each round runs every server in turn."""
    results: Rounds = {}
    for label, target in endpoints.items():
        wrk = f"wrk -t{WRK_THREADS} -c{CONNECTIONS} -d{seconds}s"
        print(f"\n{label}: {wrk}, {repeats} rounds", flush=True)
        servers_here = [s for s in servers if s.only in (None, label)]
        for server in servers_here:
            path, body_file = target(server)
            size = len(fetch(server, path, body_file.read_bytes() if body_file else None))
            print(f"  {server.name:15s} answers {size} bytes", flush=True)
            run_wrk(f"http://127.0.0.1:{server.port}{path}", body_file, 1)  # warm-up
        for _ in range(repeats):
            for server in servers_here:
                path, body_file = target(server)
                got = run_wrk(f"http://127.0.0.1:{server.port}{path}", body_file, seconds)
                results.setdefault((label, server.name), []).append(got)
        for server in servers_here:
            shown = ", ".join(f"{r.rps:.0f}" for r in results[(label, server.name)])
            print(f"  {server.name:15s} req/s by round: {shown}", flush=True)
    return results


def best(rounds: list[WrkResult]) -> WrkResult:
    return max(rounds, key=lambda r: r.rps)


def ratio(ours: list[WrkResult], other: list[WrkResult]) -> float:
    """The median of the rounds' ratios: each pairs two runs a few seconds apart, so
    a slow spell of this shared machine touches both sides of a ratio alike."""
    return statistics.median(a.rps / b.rps for a, b in zip(ours, other, strict=True))


def main() -> int:
    args, rows = cli(__doc__)
    seconds = 2 if args.quick else SECONDS
    repeats = 1 if args.quick else REPEATS
    if shutil.which("wrk") is None:
        rows.add("HTTP serving", "-", "wrk is not installed (apt-get install wrk)", "SKIP")
        return 0
    have_automx2 = (AUTOMX2_VENV / "bin" / "gunicorn").exists()
    qq, example = "someone@qq.com", "someone@example.com"
    servers = [
        Server("ours", free_port(), qq, b"imap.qq.com"),
        Server("minimal", free_port(), qq, b"clientConfig"),
        Server("minimal-parsing", free_port(), qq, b"clientConfig", only=POST),
        Server("ours-quiet", free_port(), qq, b"imap.qq.com"),
    ]
    if have_automx2:
        servers.append(Server("automx2", free_port(), example, b"example.com"))
        if SERVER_PIN:  # for information: automx2 free to use every CPU, wrk's too
            servers.append(Server("automx2-free", free_port(), example, b"example.com"))
    with (
        tempfile.TemporaryDirectory(prefix="mailsetup-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        bodies = {}
        for email in (qq, example):
            bodies[email] = workdir / f"autodiscover-{email}.xml"
            bodies[email].write_text(AUTODISCOVER_REQUEST.format(email=email), encoding="utf-8")
        endpoints: dict[str, Endpoint] = {
            GET: lambda s: (f"/mail/config-v1.1.xml?emailaddress={s.email}", None),
            POST: lambda s: ("/autodiscover/autodiscover.xml", bodies[s.email]),
        }
        start_servers(stack, servers, workdir)
        results = measure(servers, endpoints, seconds, repeats)
    report(rows, results, have_automx2)
    return 0


def report(rows: Rows, results: Rounds, have_automx2: bool) -> None:
    """Rows: every server's best round, then the ratios (medians of the rounds')."""
    for label in (GET, POST):
        for (endpoint, name), rounds in results.items():
            if endpoint == label:
                r = best(rounds)
                errors = sum(x.errors for x in rounds)
                rows.add(f"{label} {name}", "0 errors", r.show(), "FAIL" if errors else "INFO")
        ours = results[(label, "ours")]
        baseline, share = BASELINE[label]
        to_baseline = ratio(ours, results[(label, baseline)])
        rows.add(
            f"{label} ours / {baseline}",
            f">= {share:.0%}",
            f"{to_baseline:.0%}",
            verdict(to_baseline >= share),
        )
        figure = f"{label} ours / automx2"
        if have_automx2:
            times = ratio(ours, results[(label, "automx2")])
            rows.add(
                figure, f">= {AUTOMX2_TIMES}x", f"{times:.1f}x", verdict(times >= AUTOMX2_TIMES)
            )
        else:
            rows.add(figure, f">= {AUTOMX2_TIMES}x", f"no automx2 venv at {AUTOMX2_VENV}", "SKIP")
        if baseline != "minimal":  # for information: against the app that parses nothing
            plain = ratio(ours, results[(label, "minimal")])
            rows.add(f"{label} ours / minimal", "-", f"{plain:.0%}", "INFO")
        quiet = ratio(results[(label, "ours-quiet")], results[(label, baseline)])
        rows.add(f"{label} ours without access lines / {baseline}", "-", f"{quiet:.0%}", "INFO")
        if (label, "automx2-free") in results:
            times = ratio(ours, results[(label, "automx2-free")])
            rows.add(f"{label} ours / automx2 on every CPU", "-", f"{times:.1f}x", "INFO")


if __name__ == "__main__":
    sys.exit(main())
