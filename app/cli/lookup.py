"""``mailsetup lookup``: an address's or domain's settings, from the database or discovery."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from app.cli.data import DataDirOption, data_folder
from app.cli.output import host_port, say, say_json
from app.errors import InvalidAddress
from app.models import Attempt
from app.providers.lookup import LookupAnswer


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
        say(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except NotDiscovered as exc:
        say(f"error: no settings found for {exc.domain}", err=True)
        for finding in exc.discovery.findings:
            say(f"  finding: {finding}", err=True)
        _print_trace(exc.discovery.trace, err=True)
        raise typer.Exit(1) from exc
    if as_json:
        say_json(answer.to_json())
        return
    name = answer.name.en if answer.name else answer.domain
    say(f"{name} ({answer.provider or 'unknown'}), status: {answer.status.value}")
    say(f"  source: {answer.source.value}")
    if answer.status_reason:
        say(f"  {answer.status_reason.en}")
    for e in answer.endpoints:
        auth = ", ".join(a.value for a in e.auth)
        user = f"(issued) {e.issued_username.en}" if e.issued_username else e.username
        say(
            f"  {e.protocol.value:5} {host_port(e.host, e.port)} {e.security.value:8} "
            f"user {user}  auth {auth}"
        )
    for i, step in enumerate(answer.steps, 1):
        say(f"  step {i}: {step.text.en}")
    for code in answer.findings:
        say(f"  finding: {code}")
    _print_trace(answer.trace)


async def _lookup(address: str, data_dir: Path | None) -> LookupAnswer:
    from app.discovery.service import lookup as discover_lookup
    from app.discovery.service import open_discovery
    from app.providers.db import ProviderDB
    from app.settings import get_settings

    db = ProviderDB.from_dir(data_folder(data_dir))
    async with open_discovery(get_settings(), db) as discoverer:
        return await discover_lookup(discoverer, address)


def _print_trace(trace: tuple[Attempt, ...], *, err: bool = False) -> None:
    for a in trace:
        verdict = "ok  " if a.ok else "fail"
        detail = f"  {a.detail}" if a.detail else ""
        say(
            f"  trace {verdict} {a.source.value:14} {a.target} ({a.duration_ms:g} ms){detail}",
            err=err,
        )
