"""The ``mailsetup`` command line: serve, validate-data, lookup, export."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr, ValidationError

from app.errors import DataError, InvalidAddress, UnknownDomain
from app.livetest import MAX_SERVERS, ServerSpec, plan_test, report_json, stream, unique_servers
from app.models import Attempt
from app.paths import DATA_DIR
from app.probe.runner import ReportEvent
from app.providers.lookup import LookupAnswer
from app.untrusted import escape_controls, refuse_controls

cli = typer.Typer(
    name="mailsetup",
    help="Mail account setup assistant: provider database, discovery and client configuration.",
    no_args_is_help=True,
    add_completion=False,
)

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Provider data folder (default: MAILSETUP_DATA_DIR or data/)."),
]


def _say(text: str, *, err: bool = False) -> None:
    """Print one line, its control characters shown as visible escapes.

    Every line the CLI prints goes through here: server replies, findings, trace
    details and error messages come from outside, and must not drive the terminal.
    """
    typer.echo(escape_controls(text), err=err)


def _json_escape(char: str) -> str:
    """``char`` as JSON ``\\uXXXX`` escapes (a surrogate pair above U+FFFF)."""
    units = char.encode("utf-16-be", "surrogatepass")
    return "".join(
        f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
    )


def _say_json(value: object, *, indent: int | None = None) -> None:
    """Print ``value`` as JSON with every non-printable character as a ``\\uXXXX`` escape.

    ``json.dumps`` escapes C0 controls but leaves DEL, C1 controls (U+009B is an
    8-bit CSI), U+2028/U+2029 and bidirectional overrides raw; escaped, the text
    is the same JSON and decodes to the same values.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    lines = text.split("\n")  # line breaks only come from ``indent``: strings escape theirs
    typer.echo(
        "\n".join(
            line
            if line.isprintable()
            else "".join(c if c.isprintable() else _json_escape(c) for c in line)
            for line in lines
        )
    )


def _reason(exc: Exception) -> str:
    """One line for an error: a pydantic error as ``field: message; ...``."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _host_port(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _data_dir(option: Path | None) -> Path:
    if option is not None:
        return option
    from app.settings import get_settings

    return get_settings().data_dir or DATA_DIR


# The server settings of `mailsetup serve`, which the Docker image runs (and the
# benchmarks give their baseline app). httptools parses HTTP in C. The loop stays
# asyncio's: the live tester reads asyncio internals and is tested on that loop.
# The app reads forwarding headers itself (from trusted proxies only) and writes its
# own access lines, with route templates instead of query strings.
SERVER_OPTIONS: dict[str, Any] = {
    "http": "httptools",
    "loop": "asyncio",
    "proxy_headers": False,
    "access_log": False,
    "server_header": False,
    "timeout_graceful_shutdown": 25,
}


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option(help="critical, error, warning, info or debug.")] = (
        "info"
    ),
) -> None:
    """Start the web service (one process; the Docker image runs this)."""
    import uvicorn

    from app.settings import check_settings, get_settings

    try:
        check_settings(get_settings())
    except ValueError as exc:  # ConfigError, and pydantic's ValidationError
        _say(f"error: {_reason(exc)}", err=True)
        raise typer.Exit(2) from exc
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        **SERVER_OPTIONS,
    )


@cli.command("validate-data")
def validate_data(data_dir: DataDirOption = None) -> None:
    """Check every provider file; exit non-zero on any error."""
    from app.providers.loader import load_records

    folder = _data_dir(data_dir)
    try:
        result = load_records(folder)
    except DataError as exc:
        _say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for err in result.errors:
        _say(f"error: {err}", err=True)
    _say(f"{len(result.records)} provider file(s) valid, {len(result.errors)} error(s) in {folder}")
    if result.errors:
        raise typer.Exit(1)


@cli.command()
def lookup(
    address: Annotated[str, typer.Argument(help="An email address or a domain.")],
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the settings for an address or domain, from the database or discovery."""
    from app.discovery.service import NotDiscovered

    try:
        answer = asyncio.run(_lookup(address, data_dir))
    except InvalidAddress as exc:
        _say(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except NotDiscovered as exc:
        _say(f"error: no settings found for {exc.domain}", err=True)
        for code in exc.discovery.findings:
            _say(f"  finding: {code}", err=True)
        _print_trace(exc.discovery.trace, err=True)
        raise typer.Exit(1) from exc
    if as_json:
        _say_json(answer.to_json())
        return
    name = answer.name.en if answer.name else answer.domain
    _say(f"{name} ({answer.provider or 'unknown'}), status: {answer.status.value}")
    _say(f"  source: {answer.source.value}")
    if answer.status_reason:
        _say(f"  {answer.status_reason.en}")
    for e in answer.endpoints:
        auth = ", ".join(a.value for a in e.auth)
        _say(
            f"  {e.protocol.value:5} {_host_port(e.host, e.port)} {e.security.value:8} "
            f"user {e.username}  auth {auth}"
        )
    for i, step in enumerate(answer.steps, 1):
        _say(f"  step {i}: {step.text.en}")
    for code in answer.findings:
        _say(f"  finding: {code}")
    _print_trace(answer.trace)


async def _lookup(address: str, data_dir: Path | None) -> LookupAnswer:
    from app.discovery.service import lookup as discover_lookup
    from app.discovery.service import open_discovery
    from app.providers.db import ProviderDB
    from app.settings import get_settings

    db = ProviderDB.from_dir(_data_dir(data_dir))
    async with open_discovery(get_settings(), db) as discoverer:
        return await discover_lookup(discoverer, address)


def _print_trace(trace: tuple[Attempt, ...], *, err: bool = False) -> None:
    for a in trace:
        verdict = "ok  " if a.ok else "fail"
        detail = f"  {a.detail}" if a.detail else ""
        _say(
            f"  trace {verdict} {a.source.value:14} {a.target} ({a.duration_ms:g} ms){detail}",
            err=err,
        )


@cli.command("test")
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
        _say(f"error: {_reason(exc)}", err=True)
        raise typer.Exit(2) from exc
    password = _read_password()
    try:
        refuse_controls(username or "", "the username")
        refuse_controls(password.get_secret_value(), "the password")
    except ValueError as exc:  # it would become part of a mail command
        _say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        report = asyncio.run(
            _live_test(address, specs, username, password, allow_invalid_certificate, data_dir)
        )
    except (InvalidAddress, UnknownDomain) as exc:
        _say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        _say_json(report_json(report))
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
        _say("error: no password given", err=True)
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
    db = ProviderDB.from_dir(_data_dir(data_dir))
    async with open_discovery(settings, db) as discoverer:
        plan = await plan_test(discoverer, address, username, specs or None)
        report = None
        async for event in stream(plan, password, settings, discoverer, allow_invalid):
            if isinstance(event, ReportEvent):
                report = event
            elif event.type == "step":
                step = event.step
                verdict = "ok" if step.ok else "FAILED"
                _say(
                    f"  [{event.server}] {step.name} {verdict} ({step.duration_ms:g} ms)", err=True
                )
    if report is None:
        raise RuntimeError("the runner ended without a report")
    return report


def _print_report(report: ReportEvent) -> None:
    verdict = "all servers work" if report.ok else "some servers failed"
    _say(f"{verdict} ({len(report.results)} tested in {report.duration_ms:g} ms)")
    for r in report.results:
        e = r.endpoint
        mark = "OK  " if r.ok else "FAIL"
        _say(f"{mark} {e.protocol.value} {_host_port(e.host, e.port)} {e.security.value}")
        for f in r.findings:
            _say(f"     {f.severity}: {f.message}")
            for n, line in enumerate(f.fix.splitlines()):  # a provider's steps, a line each
                _say(f"     {'fix: ' if n == 0 else '     '}{line}")
        for t in r.transcript:
            _say(f"     {t.t_ms:8.1f} {t.direction.value} {t.line}")


@cli.command()
def export(
    data_dir: DataDirOption = None,
) -> None:
    """Print the whole provider database as JSON."""
    from app.providers.db import ProviderDB

    db = ProviderDB.from_dir(_data_dir(data_dir))
    records = [r.model_dump(mode="json", by_alias=True) for r in db.records]
    _say_json(records, indent=1)


def main() -> None:
    """Entry point of the ``mailsetup`` console script."""
    cli()
