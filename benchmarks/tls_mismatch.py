"""Target 6: a TLS port tested as STARTTLS or plain is named in under 5 s.

Setup: Dovecot and aiosmtpd from ``benchmarks/mailservers.py``. Their implicit-TLS
ports (IMAPS, POP3S, SMTPS) are probed as if they were STARTTLS or plain ports,
once at the default probe deadline and once at 5 s, REPEATS times each, all on
loopback. Such a port stays silent to a plain client; the tester tries a TLS
handshake on a second connection after ``MAILSETUP_PROBE_TLS_SNIFF_AFTER`` (1.5) s of
silence.

Measured: the wall time of ``probe()`` until its verdict, median and worst, and
whether every verdict is ``port-needs-tls``. Target: the worst under 5 s at
both deadlines. For comparison, in the same run, one IMAPS-as-STARTTLS probe per
deadline with the side handshake switched off (``probe_tls_sniff_after`` beyond
any deadline): the verdict then waits for the greeting step's limit or the
deadline.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from benchmarks.common import cli
from benchmarks.mailservers import PASSWORD, MailServers, Unavailable, mail_servers
from benchmarks.tester_latency import StubResolver

REPEATS = 3
TARGET = 5.0  # seconds
USER = "bench0000@mail.test"


async def measure(
    servers: MailServers,
    repeats: int,
    *,
    only_imap_starttls: bool = False,
    sniff_after: float | None = None,
) -> dict[float, list[tuple[float, str]]]:
    """(wall time, first finding) of each probe, by deadline."""
    from pydantic import SecretStr

    from app.livetest import Plan, Target, run_plan
    from app.models import EmailAddress, Protocol, Security, ServerEndpoint
    from app.settings import Settings

    default = Settings.model_fields["probe_deadline"].default
    ports = {
        Protocol.IMAP: servers.imaps,
        Protocol.POP3: servers.pop3s,
        Protocol.SMTP: servers.smtps,
    }
    timings: dict[float, list[tuple[float, str]]] = {}
    for deadline in (default, TARGET):
        settings = Settings(
            probe_allow_networks="127.0.0.1/32",  # type: ignore[arg-type]
            probe_allow_ports=",".join(map(str, servers.ports())),  # type: ignore[arg-type]
            probe_ca_file=servers.ca_file,  # type: ignore[arg-type]
            probe_deadline=deadline,
            probe_tls_sniff_after=sniff_after or Settings().probe_tls_sniff_after,
        )
        cases = [(p, s) for p in ports for s in (Security.STARTTLS, Security.NONE)]
        if only_imap_starttls:
            cases = [(Protocol.IMAP, Security.STARTTLS)]
        for _ in range(repeats):
            for protocol, security in cases:
                endpoint = ServerEndpoint(
                    protocol=protocol, host="mail.test", port=ports[protocol], security=security
                )
                plan = Plan(EmailAddress.parse(USER), [Target(endpoint, USER)], None)
                start = time.perf_counter()
                report = await run_plan(plan, SecretStr(PASSWORD), settings, StubResolver())
                wall = time.perf_counter() - start
                (result,) = report.results
                code = result.findings[0].code.value if result.findings else "none"
                timings.setdefault(deadline, []).append((wall, code))
    return timings


def main() -> int:
    args, rows = cli(__doc__)
    repeats = 1 if args.quick else REPEATS
    try:
        with mail_servers(users=1) as servers:
            timings = asyncio.run(measure(servers, repeats))
            without = asyncio.run(measure(servers, 1, only_imap_starttls=True, sniff_after=1e6))
    except Unavailable as exc:
        rows.add("TLS port tested without TLS", "-", f"mail servers unavailable: {exc}", "SKIP")
        return 0
    for deadline, runs in timings.items():
        walls = [wall for wall, _code in runs]
        codes = {code for _wall, code in runs}
        worst, median = max(walls), statistics.median(walls)
        right = codes == {"port-needs-tls"}
        rows.add(
            f"TLS port tested as STARTTLS/plain, deadline {deadline:g} s",
            f"< {TARGET:g} s, port-needs-tls",
            f"median {median:.2f} s, worst {worst:.2f} s over {len(runs)} probes; "
            f"verdicts: {', '.join(sorted(codes))}",
            "PASS" if right and worst < TARGET else "FAIL",
        )
    for deadline, runs in without.items():
        ((wall, code),) = runs
        with_sniff = statistics.median(w for w, _c in timings[deadline])
        rows.add(
            f"  without the side handshake, deadline {deadline:g} s (IMAPS as STARTTLS)",
            "-",
            f"{wall:.2f} s, {code}: {wall / with_sniff:.1f}x the time with it",
            "INFO",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
