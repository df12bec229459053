"""Thunderbird's ISPDB as a snapshot in ``data/ispdb/``, for answers without the network.

Three files, written by ``mailsetup import-ispdb`` (:mod:`app.cli.ispdb`):
``snapshot.json`` (one entry per ISPDB file: its domains, servers in order and OAuth2
details), ``ORIGIN.toml`` (where and when the copy was taken, its counts and licence) and
``LICENSE`` (ISPDB's MPL-2.0 text). Host names may hold ``%EMAILDOMAIN%``: several domains
share an entry, so it is filled for the domain looked up. Login names keep their
placeholders, as every answer does until a request fills them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from app.errors import DataError, InvalidAddress
from app.hostnames import is_hostname, normalize_domain
from app.models import (
    AccountConfig,
    AuthMethod,
    OAuth2Info,
    Protocol,
    Security,
    ServerEndpoint,
    Source,
    check_username_template,
)

FOLDER = "ispdb"  # under the data folder
SNAPSHOT_FILE = "snapshot.json"
ORIGIN_FILE = "ORIGIN.toml"
LICENSE_FILE = "LICENSE"
LICENSE = "MPL-2.0"
FORMAT = 1
MAX_FILE_BYTES = 8 * 1024 * 1024
EMAILDOMAIN = "%EMAILDOMAIN%"
_COMMIT = re.compile(r"[0-9a-f]{7,40}")

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_Model = TypeVar("_Model", bound=BaseModel)


def fill_host(template: str, domain: str) -> str:
    """``template`` with ``%EMAILDOMAIN%`` filled by ``domain``."""
    return template.replace(EMAILDOMAIN, domain)


class SnapshotServer(BaseModel):
    """One server of an entry; ``host`` may hold ``%EMAILDOMAIN%``."""

    model_config = _FROZEN

    protocol: Protocol
    host: str
    port: int = Field(ge=1, le=65535)
    security: Security
    username: str
    auth: tuple[AuthMethod, ...] = Field(min_length=1)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if "%" in value.replace(EMAILDOMAIN, ""):
            raise ValueError(f"{value!r}: only %EMAILDOMAIN% may stand in a host name")
        if not is_hostname(fill_host(value, "example.com")):
            raise ValueError(f"{value!r} is not a host name")
        return value

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        return check_username_template(value)

    def endpoint(self, domain: str) -> ServerEndpoint:
        """This server for ``domain``."""
        return ServerEndpoint(
            protocol=self.protocol,
            host=fill_host(self.host, domain),
            port=self.port,
            security=self.security,
            username=self.username,
            auth=self.auth,
            source=Source.ISPDB_SNAPSHOT,
        )


class SnapshotProvider(BaseModel):
    """One ISPDB file: ``id`` is its name without ``.xml``."""

    model_config = _FROZEN

    id: Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=r"^[\w.-]+$")]
    domains: tuple[str, ...] = Field(min_length=1)
    servers: tuple[SnapshotServer, ...]
    oauth2: OAuth2Info | None = None

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for domain in value:
            try:
                normal = normalize_domain(domain)
            except InvalidAddress as exc:
                raise ValueError(str(exc)) from exc
            if normal != domain:
                raise ValueError(f"{domain!r} is not written as {normal!r}")
        if len(set(value)) != len(value):
            raise ValueError("a domain is listed twice")
        return value

    @model_validator(mode="after")
    def _usable(self) -> SnapshotProvider:
        if not any(s.protocol.incoming for s in self.servers):
            raise ValueError("no incoming (imap or pop3) server")
        if not any(s.protocol is Protocol.SMTP for s in self.servers):
            raise ValueError("no outgoing (smtp) server")
        for server in self.servers:
            for domain in self.domains:
                if not is_hostname(fill_host(server.host, domain)):
                    raise ValueError(f"{server.host!r} is not a host name for {domain}")
        return self


class SnapshotData(BaseModel):
    """``snapshot.json``: the entries, sorted by id, each domain in one entry only."""

    model_config = _FROZEN

    format: Literal[1]
    providers: tuple[SnapshotProvider, ...]

    @model_validator(mode="after")
    def _unique(self) -> SnapshotData:
        ids = [p.id for p in self.providers]
        if ids != sorted(set(ids)):
            raise ValueError("provider ids must be unique and sorted")
        owner: dict[str, str] = {}
        for provider in self.providers:
            for domain in provider.domains:
                other = owner.setdefault(domain, provider.id)
                if other != provider.id:
                    raise ValueError(f"{domain} is in {other} and {provider.id}")
        return self


class SnapshotOrigin(BaseModel):
    """``ORIGIN.toml``: where the copy comes from and what the import made of it."""

    model_config = _FROZEN

    origin: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    commit: str | None = None
    date: dt.date
    license: Literal["MPL-2.0"]
    files: int = Field(ge=0)  # XML files read
    files_skipped: int = Field(ge=0)  # files that were not usable autoconfig
    providers: int = Field(ge=0)
    domains: int = Field(ge=0)
    servers: int = Field(ge=0)
    servers_dropped: int = Field(ge=0)  # unusable: a bad host, port, socket type or username
    servers_ignored: int = Field(ge=0)  # not IMAP, POP3 or SMTP (Exchange, EWS, …)

    @field_validator("commit")
    @classmethod
    def _commit(cls, value: str | None) -> str | None:
        if value is not None and not _COMMIT.fullmatch(value):
            raise ValueError(f"{value!r} is not a commit id (7 to 40 lower-case hex digits)")
        return value


class IspdbSnapshot:
    """The snapshot's entries, indexed by domain."""

    def __init__(self, origin: SnapshotOrigin, data: SnapshotData) -> None:
        self.origin = origin
        self.providers = data.providers
        self._by_domain = {d: p for p in data.providers for d in p.domains}
        counts = {
            "providers": len(data.providers),
            "domains": len(self._by_domain),
            "servers": sum(len(p.servers) for p in data.providers),
        }
        for name, count in counts.items():
            if getattr(origin, name) != count:
                written = getattr(origin, name)
                raise DataError(f"{ORIGIN_FILE} says {written} {name}, {SNAPSHOT_FILE} has {count}")

    @classmethod
    def from_dir(cls, data_dir: Path) -> IspdbSnapshot | None:
        """The snapshot in ``data_dir/ispdb``; None when that folder does not exist.
        Raise :class:`DataError` when it is there but broken."""
        folder = data_dir / FOLDER
        if not folder.is_dir():
            return None
        if not (folder / LICENSE_FILE).is_file():
            raise DataError(f"{folder / LICENSE_FILE} is missing: the data comes under {LICENSE}")
        origin = _load(folder / ORIGIN_FILE, SnapshotOrigin, tomllib.loads)
        data = _load(folder / SNAPSHOT_FILE, SnapshotData, json.loads)
        return cls(origin, data)

    @property
    def date(self) -> dt.date:
        return self.origin.date

    @property
    def label(self) -> str:
        """The snapshot in a few words, for traces and logs."""
        commit = f", commit {self.origin.commit[:12]}" if self.origin.commit else ""
        return f"Thunderbird's ISPDB as of {self.date.isoformat()}{commit}"

    @property
    def domains(self) -> Iterator[str]:
        return iter(self._by_domain)

    def __len__(self) -> int:
        return len(self._by_domain)

    def provider_for(self, domain: str) -> SnapshotProvider | None:
        """The entry listing ``domain`` (a lower-case A-label)."""
        return self._by_domain.get(domain)

    def config_for(self, domain: str) -> AccountConfig | None:
        """The settings the snapshot gives ``domain``, host names filled in; None when it
        does not list the domain."""
        provider = self._by_domain.get(domain)
        if provider is None:
            return None
        return AccountConfig(
            domain=domain,
            provider_id=None,
            endpoints=tuple(s.endpoint(domain) for s in provider.servers),
            oauth2=provider.oauth2,
            source=Source.ISPDB_SNAPSHOT,
        )


def _load(path: Path, model: type[_Model], parse: Callable[[str], Any]) -> _Model:
    """``path`` parsed and validated; raise :class:`DataError` naming the file and problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise DataError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        return model.model_validate(parse(raw.decode("utf-8")))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise DataError(f"{path}: {problems}") from exc
    except ValueError as exc:  # not UTF-8, or not JSON or TOML
        raise DataError(f"{path}: {exc}") from exc
