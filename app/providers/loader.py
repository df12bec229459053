"""Load ``data/providers/*.toml`` into provider records.

Every problem is reported as a :class:`ProviderFileError` naming the file, the
field and the problem; :func:`load_records` collects them all before failing, so
``mailsetup validate-data`` shows every broken file at once.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from app.errors import DataError, ProviderFileError
from app.models import AuthMethod
from app.providers.schema import ProviderRecord
from app.providers.server_entry import ServerEntry

MAX_FILE_BYTES = 256 * 1024


@dataclass
class LoadResult:
    records: list[ProviderRecord] = field(default_factory=list)
    errors: list[ProviderFileError] = field(default_factory=list)


def _field_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def load_file(path: Path) -> ProviderRecord:
    """Parse and validate one provider file."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProviderFileError(name, "", f"cannot read: {exc.strerror}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ProviderFileError(name, "", f"larger than {MAX_FILE_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProviderFileError(name, "", f"not UTF-8: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProviderFileError(name, "", f"TOML syntax: {exc}") from exc
    try:
        record = ProviderRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        problems = "; ".join(
            f"{_field_path(e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()[1:]
        )
        more = f" (also {problems})" if problems else ""
        raise ProviderFileError(name, _field_path(first["loc"]), first["msg"] + more) from exc
    if record.id != path.stem:
        raise ProviderFileError(name, "id", f"{record.id!r} does not match the file name")
    return record


def _cross_check(records: list[ProviderRecord], errors: list[ProviderFileError]) -> None:
    """Each domain and each MX pattern belongs to one provider only."""
    domain_owner: dict[str, str] = {}
    mx_owner: dict[str, str] = {}
    for rec in records:
        for i, dom in enumerate(rec.domains):
            other = domain_owner.setdefault(dom, rec.id)
            if other != rec.id:
                errors.append(
                    ProviderFileError(f"{rec.id}.toml", f"domains[{i}]", f"{dom} is in {other}")
                )
        for i, pat in enumerate(rec.mx):
            other = mx_owner.setdefault(pat, rec.id)
            if other != rec.id:
                errors.append(
                    ProviderFileError(f"{rec.id}.toml", f"mx[{i}]", f"{pat} is in {other}")
                )


def load_records(data_dir: Path) -> LoadResult:
    """Load every provider file, collecting errors instead of stopping at the first."""
    folder = data_dir / "providers"
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder of provider files")
    result = LoadResult()
    for path in sorted(folder.glob("*.toml")):
        try:
            result.records.append(load_file(path))
        except ProviderFileError as exc:
            result.errors.append(exc)
    _cross_check(result.records, result.errors)
    return result


def ended_methods(
    records: Iterable[ProviderRecord], day: dt.date
) -> list[tuple[ProviderRecord, ServerEntry, AuthMethod, dt.date]]:
    """Each sign-in method whose announced last day (``auth_until``) is before ``day``:
    the file is out of date until someone checks the provider's news again."""
    return [
        (record, server, method, last)
        for record in records
        for server in record.servers
        for method, last in server.auth_until.items()
        if last < day
    ]
