"""The provider data folder (``--data-dir``), and the commands that read it whole:
``validate-data`` (the ISPDB snapshot too) and ``export``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from app.cli.output import say, say_json
from app.errors import DataError
from app.paths import DATA_DIR

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Provider data folder (default: MAILSETUP_DATA_DIR or data/)."),
]


def data_folder(option: Path | None) -> Path:
    """The ``--data-dir`` given, else ``MAILSETUP_DATA_DIR``, else the bundled data."""
    if option is not None:
        return option
    from app.settings import get_settings

    return get_settings().data_dir or DATA_DIR


def validate_data(data_dir: DataDirOption = None) -> None:
    """Check every provider file and the ISPDB snapshot; exit non-zero on any error."""
    from app.providers.loader import ended_methods, load_records
    from app.providers.snapshot import IspdbSnapshot

    folder = data_folder(data_dir)
    try:
        result = load_records(folder)
    except DataError as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for err in result.errors:
        say(f"error: {err}", err=True)
    say(f"{len(result.records)} provider file(s) valid, {len(result.errors)} error(s) in {folder}")
    for record, server, method, day in ended_methods(result.records, dt.date.today()):
        say(
            f"warning: {record.id}.toml: {server.protocol.value} {server.host}:{server.port} "
            f"accepted {method.value} until {day.isoformat()}; lookups now leave it out. "
            "Check the provider's announcements and update the file.",
            err=True,
        )
    try:
        snapshot = IspdbSnapshot.from_dir(folder)
    except DataError as exc:
        say(f"error: ISPDB snapshot: {exc}", err=True)
        raise typer.Exit(1) from exc
    if snapshot is None:
        say(f"no ISPDB snapshot in {folder}")
    else:
        entries = len(snapshot.providers)
        say(f"ISPDB snapshot valid: {snapshot.label}, {entries} entries, {len(snapshot)} domains")
    if result.errors:
        raise typer.Exit(1)


def export(
    data_dir: DataDirOption = None,
) -> None:
    """Print the whole provider database as JSON."""
    from app.providers.db import ProviderDB

    db = ProviderDB.from_dir(data_folder(data_dir))
    records = [r.model_dump(mode="json", by_alias=True) for r in db.records]
    say_json(records, indent=1)
