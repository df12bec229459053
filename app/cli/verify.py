"""``mailsetup verify-data``: connect to every endpoint of the provider database (greeting,
TLS, capabilities; never a login) and report what no longer matches the records."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.data import DataDirOption, data_folder
from app.cli.output import host_port, say
from app.errors import DataError
from app.livetest.recheck import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    Check,
    Result,
    Target,
    check_all,
    offline,
    targets,
)

if TYPE_CHECKING:
    from app.providers.db import ProviderDB

OFFLINE = "no endpoint could be reached: is this machine offline?"


def verify_data(
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Endpoints checked at once.")
    ] = DEFAULT_CONCURRENCY,
    timeout: Annotated[
        float, typer.Option(min=0.5, max=120, help="Seconds allowed per endpoint.")
    ] = DEFAULT_TIMEOUT,
    provider: Annotated[
        list[str] | None,
        typer.Option("--provider", help="Only this record's endpoints; repeat for more."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the report as JSON to this file.")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Re-check every endpoint of the provider database and the ISPDB snapshot, without
    logging in. Exit 0 when no curated record is contradicted, 1 when one is, 2 when
    nothing could be checked."""
    from app.providers.db import ProviderDB
    from app.settings import get_settings

    try:
        db = ProviderDB.from_dir(data_folder(data_dir))
    except DataError as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    found = _chosen(db, provider)
    if not found:
        say("error: no endpoints to check", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    with _progress(len(found)) as bar:

        def tick(_result: Result) -> None:
            if bar is not None:
                bar.update(1)

        results = asyncio.run(
            check_all(found, settings, concurrency=concurrency, seconds=timeout, done=tick)
        )
    if json_path is not None:
        json_path.write_text(json.dumps([as_json(r) for r in results], indent=1) + "\n")
    if offline(results):
        say(f"error: {OFFLINE}", err=True)
        raise typer.Exit(2)
    _summary(results)
    if any(r.contradicts_record for r in results):
        raise typer.Exit(1)


def _chosen(db: ProviderDB, provider: list[str] | None) -> list[Target]:
    """The endpoints to check: every one, or those of the ``--provider`` records only."""
    if not provider:
        return targets(db.records, db.snapshot)
    records = [db.get(p) for p in provider]
    chosen = [r for r in records if r is not None]
    if len(chosen) < len(records):
        unknown = [p for p, r in zip(provider, records, strict=True) if r is None]
        say(f"error: no provider record {', '.join(unknown)}", err=True)
        raise typer.Exit(2)
    return targets(chosen, None)


def _progress(total: int) -> AbstractContextManager[Any]:
    """A progress bar on a terminal; nothing when standard error is not one."""
    if not sys.stderr.isatty():
        return nullcontext(None)
    return typer.progressbar(length=total, label="checking", file=sys.stderr)


def as_json(result: Result) -> dict[str, Any]:
    t = result.target
    return {
        "providers": list(t.providers),
        "curated": t.curated,
        "protocol": t.protocol.value,
        "host": t.host,
        "port": t.port,
        "security": t.security.value,
        "status": result.check.value,
        "detail": result.detail,
        "certificate_expires": result.not_after.isoformat() if result.not_after else None,
        "mechanisms": list(result.mechanisms),
    }


def _summary(results: list[Result]) -> None:
    counts = Counter(r.check for r in results)
    say(f"{len(results)} endpoint(s) checked")
    for check in Check:
        if counts[check]:
            say(f"  {check.value}: {counts[check]}")
    problems = [r for r in results if r.check is not Check.OK]
    for r in sorted(problems, key=lambda r: (not r.target.curated, r.target.host)):
        t = r.target
        where = f"{t.protocol.value} {host_port(t.host, t.port)} {t.security.value}"
        whose = ", ".join(t.providers)
        say(f"{'FAIL' if t.curated else 'note'} {where} ({whose}): {r.check.value}: {r.detail}")
