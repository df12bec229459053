"""The provider database: indexes built once, then dict lookups by domain and MX host;
with it, the ISPDB snapshot of the same data folder (discovery's offline source)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from app.errors import DataError, UnknownDomain
from app.hostnames import normalize_domain
from app.models import AccountConfig, Protocol, Source, Status
from app.providers.loader import load_records
from app.providers.schema import ProviderRecord
from app.providers.snapshot import IspdbSnapshot


def to_account_config(record: ProviderRecord, domain: str) -> AccountConfig:
    """The account config a record gives for ``domain`` (one of its domains)."""
    return AccountConfig(
        domain=domain,
        provider_id=record.id,
        name=record.name,
        short_name=record.short_name,
        domains=record.domains,
        status=record.status,
        status_reason=record.status_reason,
        endpoints=tuple(s.to_endpoint(None, record.issued_username) for s in record.servers),
        steps=record.steps,
        hints=record.hints,
        notes=record.notes,
        oauth2=record.oauth2,
        help=record.help,
        pop3_leave_on_server=record.pop3.leave_messages_on_server,
        source=Source.DATABASE,
        quirks=record.quirks,
    )


class ProviderDB:
    """Provider records with a domain index and an MX index; lookups never scan.
    ``snapshot`` is the ISPDB snapshot that discovery falls back on, if any."""

    def __init__(
        self, records: Iterable[ProviderRecord], snapshot: IspdbSnapshot | None = None
    ) -> None:
        self.snapshot = snapshot
        self._records = {r.id: r for r in sorted(records, key=lambda r: r.id)}
        self._by_domain: dict[str, ProviderRecord] = {}
        self._mx_exact: dict[str, ProviderRecord] = {}
        self._mx_suffix: dict[str, ProviderRecord] = {}
        self._configs: dict[str, AccountConfig] = {}
        self._haystacks = {r.id: _haystack(r) for r in self._records.values()}
        self._hosts = frozenset(s.host.lower() for r in self._records.values() for s in r.servers)
        for rec in self._records.values():
            for dom in rec.domains:
                self._by_domain[dom] = rec
                self._configs[dom] = to_account_config(rec, dom)
            for pattern in rec.mx:
                if pattern.startswith("*."):
                    self._mx_suffix[pattern[2:]] = rec
                else:
                    self._mx_exact[pattern] = rec

    @classmethod
    def from_dir(cls, data_dir: Path) -> ProviderDB:
        """Load ``data_dir`` (its ISPDB snapshot too, when it has ``ispdb/``); raise
        :class:`DataError` listing every broken file."""
        result = load_records(data_dir)
        if result.errors:
            listing = "\n".join(f"  {e}" for e in result.errors)
            raise DataError(f"{len(result.errors)} problem(s) in {data_dir}:\n{listing}")
        return cls(result.records, IspdbSnapshot.from_dir(data_dir))

    def __len__(self) -> int:
        return len(self._records)

    @property
    def records(self) -> tuple[ProviderRecord, ...]:
        return tuple(self._records.values())

    def get(self, provider_id: str) -> ProviderRecord | None:
        return self._records.get(provider_id)

    def by_domain(self, domain: str) -> ProviderRecord | None:
        """The provider serving ``domain`` (normalised: any case, IDN, trailing dot)."""
        return self._by_domain.get(normalize_domain(domain))

    def config_for(self, domain: str, *, normalized: bool = False) -> AccountConfig:
        """The account config for ``domain``; raise :class:`UnknownDomain`.

        ``normalized`` says ``domain`` is already a lower-case A-label.
        """
        key = domain if normalized else normalize_domain(domain)
        config = self._configs.get(key)
        if config is None:
            raise UnknownDomain(key)
        return config

    def lists_host(self, host: str) -> bool:
        """Whether a record names ``host`` as one of its servers (any case, trailing dot)."""
        return host.lower().rstrip(".") in self._hosts

    def by_mx(self, mx_host: str) -> ProviderRecord | None:
        """The provider whose MX patterns match ``mx_host`` (exact, then by parent suffix)."""
        host = mx_host.lower().rstrip(".")
        found = self._mx_exact.get(host)
        if found is not None:
            return found
        labels = host.split(".")
        for i in range(1, len(labels) - 1):
            found = self._mx_suffix.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None

    def search(
        self,
        query: str = "",
        *,
        protocol: Protocol | None = None,
        country: str | None = None,
        status: Status | None = None,
    ) -> list[ProviderRecord]:
        """Records whose id, names or domains contain ``query`` (any language, any case)."""
        needle = query.strip().casefold()
        out = []
        for rec in self._records.values():
            if protocol is not None and not any(s.protocol is protocol for s in rec.servers):
                continue
            if country is not None and rec.country != country.upper():
                continue
            if status is not None and rec.status is not status:
                continue
            if needle and needle not in self._haystacks[rec.id]:
                continue
            out.append(rec)
        return out


def _haystack(rec: ProviderRecord) -> str:
    names = (rec.name.en, rec.name.zh_hans, rec.name.zh_hant, rec.short_name or "")
    return "\n".join((rec.id, *names, *rec.domains)).casefold()
