"""Target 3: the live tester under ~100 ms of round-trip time.

Setup: Dovecot and aiosmtpd from ``benchmarks/mailservers.py``, each port behind a
:class:`benchmarks.delayproxy.DelayProxy` adding 50 ms per chunk each way. The
probes go to ``mail.test`` (resolved to 127.0.0.1 by a stub resolver; the test
CA is trusted through ``probe_ca_file``; ``probe_allow_networks=127.0.0.1/32``
and the proxies' ports) and log in as a benchmark user.

Measured, each REPEATS times (median):

- each dialogue alone with implicit TLS: ``probe()`` of IMAPS, POP3S and SMTPS;
- the full test: the three targets at once.

Both run as the web app and the CLI run a test, through :func:`app.livetest.run_plan`.

Target: full wall time <= 1.2 x the slowest single dialogue.

Round trips per dialogue, from its transcript: one for the greeting, one per TLS
handshake (TLS 1.3), one per client flight (consecutive client lines before the
client waits for an answer). Under the proxy the TCP handshake costs nothing,
so the wall time should be close to (round trips x RTT). :data:`MINIMUM` is each
protocol's least with the same checks (log in, then the read-only step), using
capabilities already sent and pipelining where the protocol or server allows it;
the STARTTLS variants are counted too, once each, for the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import statistics
import sys
import time
from collections.abc import Sequence

from benchmarks.common import cli
from benchmarks.delayproxy import DelayProxy
from benchmarks.mailservers import PASSWORD, MailServers, Unavailable, mail_servers

DELAY = 0.05  # seconds each way
RTT = 2 * DELAY
REPEATS = 3
USER = "bench0000@mail.test"

# The least round trips for the same check, counted like round_trips() does
# (greeting, TLS handshakes, client flights; the goodbye is awaited):
# IMAPS: TLS, greeting (with CAPABILITY), AUTHENTICATE PLAIN with SASL-IR,
#   then ID + EXAMINE + LOGOUT pipelined (RFC 3501 5.5) = 4.
# POP3S: TLS, greeting, CAPA, AUTH PLAIN with initial response, then STAT +
#   QUIT pipelined (the server advertises PIPELINING, RFC 2449) = 5.
# SMTPS: TLS, greeting, EHLO, AUTH PLAIN with initial response, QUIT = 5.
# STARTTLS: the command, the handshake and the capabilities asked again after
#   it (RFC 3501 6.2.1, RFC 2595 4, RFC 3207 4.2); IMAP needs no CAPABILITY
#   before STARTTLS when the greeting carries it.
MINIMUM = {
    ("imap", "tls"): 4,
    ("pop3", "tls"): 5,
    ("smtp", "tls"): 5,
    ("imap", "starttls"): 6,
    ("pop3", "starttls"): 7,
    ("smtp", "starttls"): 7,
}
IMPLICIT = (("imap", "tls", "imaps"), ("pop3", "tls", "pop3s"), ("smtp", "tls", "smtps"))
STARTTLS = (
    ("imap", "starttls", "imap"),
    ("pop3", "starttls", "pop3"),
    ("smtp", "starttls", "smtp"),
)


class StubResolver:
    """mail.test is 127.0.0.1; nothing else resolves."""

    async def resolve(self, host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        if host != "mail.test":
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return [ipaddress.IPv4Address("127.0.0.1")]


def round_trips(transcript: Sequence[object]) -> tuple[int, int, int]:
    """(total, client flights, TLS handshakes) from a probe transcript."""
    from app.livetest import Direction

    flights = handshakes = 0
    previous = None
    for entry in transcript:
        direction = entry.direction  # type: ignore[attr-defined]
        if direction is Direction.NOTE:
            if str(entry.line).startswith("TLS established"):  # type: ignore[attr-defined]
                handshakes += 1
            continue
        if direction is Direction.CLIENT and previous is not Direction.CLIENT:
            flights += 1
        previous = direction
    return 1 + handshakes + flights, flights, handshakes


async def measure(servers: MailServers, repeats: int) -> dict[str, object]:
    from pydantic import SecretStr

    from app.livetest import Plan, Target, run_plan
    from app.models import EmailAddress, Protocol, Security, ServerEndpoint
    from app.settings import Settings

    resolver = StubResolver()
    async with contextlib.AsyncExitStack() as stack:
        proxied = {
            name: await stack.enter_async_context(DelayProxy(getattr(servers, name), delay=DELAY))
            for name in ("imaps", "pop3s", "smtps", "imap", "pop3", "smtp")
        }
        settings = Settings(
            probe_allow_networks="127.0.0.1/32",  # type: ignore[arg-type]
            probe_allow_ports=",".join(str(p.port) for p in proxied.values()),  # type: ignore[arg-type]
            probe_ca_file=servers.ca_file,  # type: ignore[arg-type]
        )

        def endpoint(protocol: str, security: str, port_name: str) -> ServerEndpoint:
            return ServerEndpoint(
                protocol=Protocol(protocol),
                host="mail.test",
                port=proxied[port_name].port,
                security=Security(security),
            )

        def plan(*specs: tuple[str, str, str]) -> Plan:
            targets = [Target(endpoint(*spec), USER) for spec in specs]
            return Plan(EmailAddress.parse(USER), targets, None)

        password = SecretStr(PASSWORD)

        async def single(spec: tuple[str, str, str]) -> tuple[float, object]:
            start = time.perf_counter()
            report = await run_plan(plan(spec), password, settings, resolver)
            wall = time.perf_counter() - start
            (result,) = report.results
            if not result.ok:
                raise RuntimeError(f"{spec} failed: {result.error} {result.auth}")
            return wall, result

        singles: dict[tuple[str, str], list[float]] = {}
        transcripts: dict[tuple[str, str], object] = {}
        for _ in range(repeats):
            for spec in IMPLICIT:
                wall, result = await single(spec)
                singles.setdefault(spec[:2], []).append(wall)
                transcripts[spec[:2]] = result
        for spec in STARTTLS:
            wall, result = await single(spec)
            singles[spec[:2]] = [wall]
            transcripts[spec[:2]] = result
        full = []
        for _ in range(repeats):
            start = time.perf_counter()
            report = await run_plan(plan(*IMPLICIT), password, settings, resolver)
            full.append(time.perf_counter() - start)
            if not report.ok:
                raise RuntimeError(f"the full test failed: {report}")
    return {"singles": singles, "results": transcripts, "full": full}


def main() -> int:
    args, rows = cli(__doc__)
    repeats = 1 if args.quick else REPEATS
    try:
        with mail_servers(users=1) as servers:
            data = asyncio.run(measure(servers, repeats))
    except Unavailable as exc:
        rows.add("tester under 100 ms RTT", "-", f"mail servers unavailable: {exc}", "SKIP")
        return 0
    singles: dict[tuple[str, str], list[float]] = data["singles"]  # type: ignore[assignment]
    results: dict[tuple[str, str], object] = data["results"]  # type: ignore[assignment]
    full = statistics.median(data["full"])  # type: ignore[arg-type]
    print(f"\n{'dialogue':16s} {'wall':>8s} {'wall/RTT':>8s} {'RTs':>4s} {'min':>4s}  transcript")
    for key, walls in singles.items():
        wall = statistics.median(walls)
        total, flights, handshakes = round_trips(results[key].transcript)  # type: ignore[attr-defined]
        name = f"{key[0].upper()} {key[1]}"
        print(
            f"{name:16s} {wall * 1000:6.0f}ms {wall / RTT:8.1f} {total:4d} {MINIMUM[key]:4d}  "
            f"greeting + {handshakes} TLS + {flights} client flights"
        )
        extra = total - MINIMUM[key]
        rows.add(
            f"round trips {name}",
            f"minimum {MINIMUM[key]}",
            f"{total}{f' (+{extra})' if extra > 0 else ''}, {wall * 1000:.0f} ms = "
            f"{wall / RTT:.1f} RTT",
            "INFO",
        )
    slowest_key = max(
        (k for k in singles if k[1] == "tls"), key=lambda k: statistics.median(singles[k])
    )
    slowest = statistics.median(singles[slowest_key])
    ratio = full / slowest
    rows.add(
        "full test (IMAPS+POP3S+SMTPS) / slowest single",
        "<= 1.2x",
        f"{ratio:.2f}x ({full * 1000:.0f} ms vs {slowest_key[0].upper()} {slowest * 1000:.0f} ms)",
        "PASS" if ratio <= 1.2 else "FAIL",
    )
    print("\ntranscripts (implicit TLS):")
    for key in [k for k in results if k[1] == "tls"]:
        print(f"  {key[0].upper()}:")
        for entry in results[key].transcript:  # type: ignore[attr-defined]
            print(f"    {entry.t_ms:7.1f} ms {entry.direction.value} {entry.line[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
