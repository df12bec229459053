"""``mailsetup test``: log in to an account's servers read-only, and report every step."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from app.cli.data import DataDirOption, data_folder
from app.cli.output import host_port, reason, say, say_json
from app.errors import InvalidAddress, UnknownDomain
from app.livetest import (
    MAX_SERVERS,
    Event,
    Outcome,
    ReportEvent,
    ServerSpec,
    StepEvent,
    last_report,
    outcome,
    plan_test,
    report_json,
    stream,
    unique_servers,
)
from app.untrusted import refuse_controls


def live_test(
    address: Annotated[str, typer.Argument(help="The email address whose servers to test.")],
    server: Annotated[
        list[str] | None,
        typer.Option(
            "--server",
            help=f"protocol:host:port:security instead of the known servers; repeat (at "
            f"most {MAX_SERVERS}, each once).",
        ),
    ] = None,
    username: Annotated[str | None, typer.Option(help="Login name, if not the address.")] = None,
    allow_invalid_certificate: Annotated[
        bool, typer.Option(help="Send the password even if a certificate is invalid.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Log in to the account's servers read-only and explain every failure.

    The password is read from a hidden prompt, or from standard input when that
    is not a terminal; never from the command line.
    """
    try:
        specs = unique_servers([ServerSpec.parse(s) for s in server or []])
        if len(specs) > MAX_SERVERS:
            raise ValueError(f"give at most {MAX_SERVERS} --server options")
    except ValueError as exc:  # pydantic's ValidationError among them
        say(f"error: {reason(exc)}", err=True)
        raise typer.Exit(2) from exc
    password = _read_password()
    try:
        refuse_controls(username or "", "the username")
        refuse_controls(password.get_secret_value(), "the password")
    except ValueError as exc:  # it would become part of a mail command
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        report = asyncio.run(
            _live_test(address, specs, username, password, allow_invalid_certificate, data_dir)
        )
    except (InvalidAddress, UnknownDomain) as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        say_json(report_json(report))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _read_password() -> SecretStr:
    if sys.stdin.isatty():
        text = typer.prompt("Password (or authorization code)", hide_input=True)
    else:
        text = sys.stdin.readline().rstrip("\r\n")
    if not text:
        say("error: no password given", err=True)
        raise typer.Exit(2)
    return SecretStr(text)


async def _live_test(
    address: str,
    specs: list[ServerSpec],
    username: str | None,
    password: SecretStr,
    allow_invalid: bool,
    data_dir: Path | None,
) -> ReportEvent:
    from app.discovery.service import open_discovery
    from app.providers.db import ProviderDB
    from app.settings import get_settings

    settings = get_settings()
    db = ProviderDB.from_dir(data_folder(data_dir))
    async with open_discovery(settings, db) as discoverer:
        plan = await plan_test(discoverer, address, username, specs or None)
        events = stream(plan, password, settings, discoverer.dns, allow_invalid)
        return await last_report(events, _print_step)


def _print_step(event: Event) -> None:
    if isinstance(event, StepEvent):
        step = event.step
        verdict = "ok" if step.ok else "FAILED"
        say(f"  [{event.server}] {step.name} {verdict} ({step.duration_ms:g} ms)", err=True)


HEADLINES = {
    Outcome.ALL_GOOD: "all servers work",
    Outcome.SOME_FAILED: "some servers failed or need attention",
    Outcome.ALL_FAILED: "every server failed",
    Outcome.NOT_TESTED: "could not test: the tester cannot reach the servers or is busy",
}


def _print_report(report: ReportEvent) -> None:
    verdict = HEADLINES[outcome(report.results)]
    say(f"{verdict} ({len(report.results)} tested in {report.duration_ms:g} ms)")
    for r in report.results:
        e = r.endpoint
        mark = "OK  " if r.ok else "FAIL"
        say(f"{mark} {e.protocol.value} {host_port(e.host, e.port)} {e.security.value}")
        for f in r.findings:
            say(f"     {f.severity}: {f.message}")
            for n, line in enumerate(f.fix.splitlines()):  # a provider's steps, a line each
                say(f"     {'fix: ' if n == 0 else '     '}{line}")
        for t in r.transcript:
            say(f"     {t.t_ms:8.1f} {t.direction.value} {t.line}")
