"""``mailsetup import-ispdb``: a copy of Thunderbird's ISPDB into ``data/ispdb/``.

Every ``*.xml`` in the folder goes through discovery's own autoconfig parser
(:func:`~app.discovery.autoconfig.parse_provider`), for all the domains it lists. The
files written are described in :mod:`app.providers.snapshot`; each is written beside
its final name and then renamed over it, so that a new snapshot replaces an old one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import tomli_w
import typer
from pydantic import ValidationError

from app.cli.data import data_folder
from app.cli.output import reason, say
from app.errors import DataError
from app.providers.snapshot import (
    FOLDER,
    FORMAT,
    LICENSE,
    LICENSE_FILE,
    ORIGIN_FILE,
    SNAPSHOT_FILE,
    IspdbSnapshot,
    SnapshotData,
    SnapshotOrigin,
    SnapshotProvider,
    SnapshotServer,
)

REPOSITORY = "https://github.com/thunderbird/autoconfig"
MAX_XML_BYTES = 1024 * 1024
MPL_TITLE = "Mozilla Public License Version 2.0"


@dataclass
class Imported:
    """What the import made of a folder, and what it left out and why."""

    files: int = 0
    providers: list[SnapshotProvider] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "<file>: <reason>"
    dropped: list[str] = field(default_factory=list)  # unusable servers
    ignored: list[str] = field(default_factory=list)  # servers of other types
    domains_left_out: list[str] = field(default_factory=list)

    @property
    def domains(self) -> int:
        return sum(len(p.domains) for p in self.providers)

    @property
    def servers(self) -> int:
        return sum(len(p.servers) for p in self.providers)


def read_folder(folder: Path) -> Imported:
    """Every ISPDB file in ``folder``; raise :class:`DataError` when none is usable."""
    from app.discovery.service import AutoconfigError, parse_provider
    from app.models import Source

    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder")
    paths = sorted(folder.glob("*.xml"))
    if not paths:
        raise DataError(f"{folder} holds no *.xml files")
    found = Imported(files=len(paths))
    owner: dict[str, str] = {}
    for path in paths:
        name = path.name
        try:
            body = path.read_bytes()
        except OSError as exc:
            found.skipped.append(f"{name}: cannot read: {exc.strerror}")
            continue
        if len(body) > MAX_XML_BYTES:
            found.skipped.append(f"{name}: larger than {MAX_XML_BYTES} bytes")
            continue
        try:
            document = parse_provider(body, Source.ISPDB_SNAPSHOT)
        except AutoconfigError as exc:
            found.skipped.append(f"{name}: {'; '.join(map(str, exc.args))}")
            continue
        domains = [d for d in document.domains if d not in owner]
        if not domains:
            found.skipped.append(f"{name}: every domain is in another file")
            continue
        try:
            servers = [
                SnapshotServer.model_validate(e.model_dump(exclude={"source", "issued_username"}))
                for e in document.endpoints
            ]
            entry = SnapshotProvider(
                id=path.stem,
                domains=tuple(sorted(domains)),
                servers=tuple(servers),
                oauth2=document.oauth2,
            )
        except ValidationError as exc:
            found.skipped.append(f"{name}: {reason(exc)}")
            continue
        found.providers.append(entry)
        found.dropped += [f"{name}: {why}" for why in document.dropped]
        found.ignored += [f"{name}: {why}" for why in document.ignored]
        found.domains_left_out += [f"{name}: {why}" for why in document.domains_dropped]
        found.domains_left_out += [
            f"{name}: domain {d} is in {owner[d]} already" for d in document.domains if d in owner
        ]
        owner.update(dict.fromkeys(domains, name))
    if not found.providers:
        raise DataError(
            f"none of the {len(paths)} XML files in {folder} is a usable autoconfig document"
        )
    return found


def licence_text(folder: Path) -> bytes:
    """ISPDB's MPL-2.0 text: LICENSE beside the files, or in the repository above them."""
    for path in (folder / LICENSE_FILE, folder.parent / LICENSE_FILE):
        if path.is_file():
            try:
                raw = path.read_bytes()
                text = raw.decode("utf-8")
            except (OSError, UnicodeError) as exc:
                raise DataError(f"{path}: cannot read: {exc}") from exc
            if text.lstrip().startswith(MPL_TITLE):
                return raw
            raise DataError(f"{path} is not the {MPL_TITLE} text")
    raise DataError(
        f"no {LICENSE_FILE} in {folder} or {folder.parent}: the licence must travel with the data"
    )


def _line(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_data(data: SnapshotData) -> bytes:
    """``snapshot.json``: one domain a line, one server a line (OAuth2 details too), so
    that a new snapshot's changes read line by line; the same data gives the same bytes."""
    entries = []
    for provider in data.providers:
        dumped = provider.model_dump(mode="json", exclude_none=True)
        domains = ",\n".join(f"    {_line(d)}" for d in dumped["domains"])
        servers = ",\n".join(f"    {_line(s)}" for s in dumped["servers"])
        fields = [
            f'   "id": {_line(dumped["id"])}',
            f'   "domains": [\n{domains}\n   ]',
            f'   "servers": [\n{servers}\n   ]',
        ]
        if "oauth2" in dumped:
            fields.append(f'   "oauth2": {_line(dumped["oauth2"])}')
        entries.append("  {\n" + ",\n".join(fields) + "\n  }")
    body = ",\n".join(entries)
    return f'{{\n "format": {data.format},\n "providers": [\n{body}\n ]\n}}\n'.encode()


def render_origin(origin: SnapshotOrigin) -> bytes:
    """``ORIGIN.toml``, with a comment saying what wrote it."""
    head = "# Written by `mailsetup import-ispdb` from a copy of ISPDB; do not edit by hand.\n"
    return (head + tomli_w.dumps(origin.model_dump(exclude_none=True))).encode()


def write_files(out: Path, files: dict[str, bytes]) -> None:
    """Write each file beside its name, then rename them all over the old ones."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, str]] = []
    try:
        for name, body in files.items():
            handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=out)
            written.append((temporary, name))
            with os.fdopen(handle, "wb") as stream:
                stream.write(body)
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the data from the service
        for temporary, name in written:
            os.replace(temporary, out / name)
    finally:
        for temporary, _name in written:
            Path(temporary).unlink(missing_ok=True)


def _fail(message: str) -> typer.Exit:
    say(f"error: {message}", err=True)
    return typer.Exit(2)


def import_ispdb(
    directory: Annotated[
        Path, typer.Argument(help="The ispdb/ folder of github.com/thunderbird/autoconfig.")
    ],
    commit: Annotated[str | None, typer.Option(help="The commit the copy was taken at.")] = None,
    date: Annotated[
        str | None, typer.Option(help="That commit's date, YYYY-MM-DD (default: today).")
    ] = None,
    origin: Annotated[
        str | None, typer.Option(help="Where the copy comes from (default: the folder on GitHub).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write (default: the data folder's ispdb/).")
    ] = None,
) -> None:
    """Import a copy of Thunderbird's ISPDB, for answers without the network."""
    try:
        day = dt.date.fromisoformat(date) if date else dt.datetime.now(dt.UTC).date()
    except ValueError as exc:
        raise _fail(f"--date {date!r} is not a date (YYYY-MM-DD)") from exc
    commit = commit.lower() if commit else None
    where = origin or f"{REPOSITORY}/tree/{commit or 'main'}/{FOLDER}"
    try:
        found = read_folder(directory)
        licence = licence_text(directory)
        snapshot_origin = SnapshotOrigin(
            origin=where,
            commit=commit,
            date=day,
            license=LICENSE,
            files=found.files,
            files_skipped=len(found.skipped),
            providers=len(found.providers),
            domains=found.domains,
            servers=found.servers,
            servers_dropped=len(found.dropped),
            servers_ignored=len(found.ignored),
        )
    except DataError as exc:
        raise _fail(f"{exc}; not a copy of ISPDB") from exc
    except ValidationError as exc:
        raise _fail(reason(exc)) from exc
    data = SnapshotData(format=FORMAT, providers=tuple(sorted(found.providers, key=lambda p: p.id)))
    IspdbSnapshot(snapshot_origin, data)  # raises unless the counts agree with the data
    target = out or data_folder(None) / FOLDER
    files = {
        LICENSE_FILE: licence,
        SNAPSHOT_FILE: render_data(data),
        ORIGIN_FILE: render_origin(snapshot_origin),
    }
    try:
        write_files(target, files)
    except OSError as exc:
        raise _fail(f"cannot write {target}: {exc.strerror or exc}") from exc
    _summary(directory, target, found, snapshot_origin)


def _summary(directory: Path, target: Path, found: Imported, origin: SnapshotOrigin) -> None:
    say(
        f"read {found.files} XML file(s) in {directory}: {len(found.providers)} provider(s), "
        f"{found.domains} domain(s), {found.servers} server(s)"
    )
    for title, lines in (
        ("file(s) skipped", found.skipped),
        ("server(s) dropped as unusable", found.dropped),
        ("server(s) ignored (not IMAP, POP3 or SMTP)", found.ignored),
        ("domain entries left out (invalid, or listed before)", found.domains_left_out),
    ):
        say(f"{len(lines)} {title}")
        for line in lines:
            say(f"  {line}")
    commit = f", commit {origin.commit}" if origin.commit else ""
    say(f"wrote {SNAPSHOT_FILE}, {ORIGIN_FILE} and {LICENSE_FILE} ({LICENSE}) in {target}")
    say(f"snapshot of {origin.date.isoformat()}{commit}, from {origin.origin}")
