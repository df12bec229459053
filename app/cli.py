"""The ``mailsetup`` command line: serve, validate-data, lookup, export."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.errors import DataError, InvalidAddress
from app.models import Attempt
from app.paths import DATA_DIR
from app.providers.lookup import LookupAnswer

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


def _data_dir(option: Path | None) -> Path:
    if option is not None:
        return option
    from app.settings import get_settings

    return get_settings().data_dir or DATA_DIR


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option(help="critical, error, warning, info or debug.")] = (
        "info"
    ),
) -> None:
    """Start the web service."""
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
    )


@cli.command("validate-data")
def validate_data(data_dir: DataDirOption = None) -> None:
    """Check every provider file; exit non-zero on any error."""
    from app.providers.loader import load_records

    folder = _data_dir(data_dir)
    try:
        result = load_records(folder)
    except DataError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for err in result.errors:
        typer.echo(f"error: {err}", err=True)
    typer.echo(
        f"{len(result.records)} provider file(s) valid, {len(result.errors)} error(s) in {folder}"
    )
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
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except NotDiscovered as exc:
        typer.echo(f"error: no settings found for {exc.domain}", err=True)
        for code in exc.discovery.findings:
            typer.echo(f"  finding: {code}", err=True)
        _print_trace(exc.discovery.trace, err=True)
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(answer.model_dump(mode="json", by_alias=True), ensure_ascii=False))
        return
    name = answer.name.en if answer.name else answer.domain
    typer.echo(f"{name} ({answer.provider or 'unknown'}), status: {answer.status.value}")
    typer.echo(f"  source: {answer.source.value}")
    if answer.status_reason:
        typer.echo(f"  {answer.status_reason.en}")
    for e in answer.endpoints:
        auth = ", ".join(a.value for a in e.auth)
        typer.echo(
            f"  {e.protocol.value:5} {e.host}:{e.port} {e.security.value:8} "
            f"user {e.username}  auth {auth}"
        )
    for i, step in enumerate(answer.steps, 1):
        typer.echo(f"  step {i}: {step.text.en}")
    for code in answer.findings:
        typer.echo(f"  finding: {code}")
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
        typer.echo(
            f"  trace {verdict} {a.source.value:14} {a.target} ({a.duration_ms:g} ms){detail}",
            err=err,
        )


@cli.command()
def export(
    data_dir: DataDirOption = None,
) -> None:
    """Print the whole provider database as JSON."""
    from app.providers.db import ProviderDB

    db = ProviderDB.from_dir(_data_dir(data_dir))
    records = [r.model_dump(mode="json", by_alias=True) for r in db.records]
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


def main() -> None:
    """Entry point of the ``mailsetup`` console script."""
    cli()
