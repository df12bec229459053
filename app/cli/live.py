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
    CredentialKind,
    Event,
    Outcome,
    ReportEvent,
    ServerSpec,
    StepEvent,
    UsernameNeeded,
    check_token,
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
    oauth_token_stdin: Annotated[
        bool,
        typer.Option(
            "--oauth-token-stdin",
            help="Log in with an OAuth2 access token (SASL XOAUTH2 or OAUTHBEARER) read from "
            "standard input, instead of a password.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Log in to the account's servers read-only and explain every failure.

    The password is read from a hidden prompt, or from standard input when that
    is not a terminal; never from the command line. With --oauth-token-stdin an
    access token is read the same way instead.
    """
    try:
        specs = unique_servers([ServerSpec.parse(s) for s in server or []])
        if len(specs) > MAX_SERVERS:
            raise ValueError(f"give at most {MAX_SERVERS} --server options")
    except ValueError as exc:  # pydantic's ValidationError among them
        say(f"error: {reason(exc)}", err=True)
        raise typer.Exit(2) from exc
    credential = CredentialKind.OAUTH2 if oauth_token_stdin else CredentialKind.PASSWORD
    secret = _read_secret(credential)
    try:
        refuse_controls(username or "", "the username")
        if oauth_token_stdin:
            check_token(secret.get_secret_value())
        else:
            refuse_controls(secret.get_secret_value(), "the password")
    except ValueError as exc:  # it would become part of a mail command
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        report = asyncio.run(
            _live_test(
                address, specs, username, (secret, credential), allow_invalid_certificate, data_dir
            )
        )
    except UsernameNeeded as exc:
        say(
            f"error: this provider issues its own user name: give --username ({exc.what.en})",
            err=True,
        )
        raise typer.Exit(2) from exc
    except (InvalidAddress, UnknownDomain) as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        say_json(report_json(report))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


_SECRET_PROMPT = {
    CredentialKind.PASSWORD: "Password (or authorization code)",
    CredentialKind.OAUTH2: "Access token",
}


def _read_secret(credential: CredentialKind) -> SecretStr:
    """A hidden prompt on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        text = typer.prompt(_SECRET_PROMPT[credential], hide_input=True)
    else:
        text = sys.stdin.readline().rstrip("\r\n")
    if credential is CredentialKind.OAUTH2:
        text = text.strip()  # a token never holds spaces; a pasted one may end in one
    if not text:
        what = "access token" if credential is CredentialKind.OAUTH2 else "password"
        say(f"error: no {what} given", err=True)
        raise typer.Exit(2)
    return SecretStr(text)


async def _live_test(
    address: str,
    specs: list[ServerSpec],
    username: str | None,
    secret: tuple[SecretStr, CredentialKind],
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
        value, credential = secret
        events = stream(plan, value, settings, discoverer.dns, allow_invalid, credential=credential)
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
