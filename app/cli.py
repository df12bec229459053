"""The ``mailsetup`` command line: serve, validate-data, lookup, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.errors import DataError, InvalidAddress, UnknownDomain
from app.paths import DATA_DIR

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
    """Show the settings for an address or domain."""
    from app.providers.db import ProviderDB
    from app.providers.lookup import lookup_answer

    db = ProviderDB.from_dir(_data_dir(data_dir))
    try:
        answer = lookup_answer(db, address)
    except (InvalidAddress, UnknownDomain) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(answer.model_dump(mode="json", by_alias=True), ensure_ascii=False))
        return
    name = answer.name.en if answer.name else answer.domain
    typer.echo(f"{name} ({answer.provider or 'unknown'}), status: {answer.status.value}")
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
