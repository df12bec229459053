"""The ISPDB snapshot as a discovery source: it answers when the live sources fail, and
loses to every source ranked above it. Real DNS (dnsmasq, which refuses names outside
.test like a machine without the internet) and real HTTP servers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.discovery.findings import DiscoveryFinding
from app.discovery.typos import index_for
from app.models import Source, TraceOutcome
from app.providers.db import ProviderDB
from app.providers.snapshot import EMAILDOMAIN, IspdbSnapshot, SnapshotData, SnapshotOrigin
from tests.discovery.httpserver import Site, document, slow
from tests.discovery.test_pipeline import ISPDB_DOC, own_doc

REFUSING_ISPDB = "http://127.0.0.1:9/v1.1/"  # nothing listens on port 9: refused at once
DATE = dt.date(2026, 3, 12)


def server(protocol: str, host: str, port: int, security: str, **more: Any) -> dict[str, Any]:
    return {
        "protocol": protocol,
        "host": host,
        "port": port,
        "security": security,
        "username": more.get("username", "%EMAILADDRESS%"),
        "auth": more.get("auth", ["password"]),
    }


def snapshot_of(*providers: dict[str, Any]) -> IspdbSnapshot:
    """A snapshot of ``providers`` (id, domains, servers), dated :data:`DATE`."""
    data = SnapshotData.model_validate(
        {"format": 1, "providers": sorted(providers, key=lambda p: str(p["id"]))}
    )
    origin = SnapshotOrigin(
        origin="https://example.org/ispdb",
        commit="c6ad79659b5f",
        date=DATE,
        license="MPL-2.0",
        files=len(providers),
        files_skipped=0,
        providers=len(providers),
        domains=sum(len(p["domains"]) for p in providers),
        servers=sum(len(p["servers"]) for p in providers),
        servers_dropped=0,
        servers_ignored=0,
    )
    return IspdbSnapshot(origin, data)


def stale(domain: str) -> dict[str, Any]:
    """An entry for ``domain`` whose hosts no live source gives."""
    return {
        "id": domain,
        "domains": [domain],
        "servers": [
            server("imap", f"imap.snapshot.{domain}", 993, "tls"),
            server("smtp", f"smtp.snapshot.{domain}", 465, "tls"),
        ],
    }


SNAPSHOT = snapshot_of(
    {
        "id": "snap.test",
        "domains": ["snap.test", "snap2.test"],
        "servers": [
            server("imap", "mail.%EMAILDOMAIN%", 993, "tls", username="%EMAILLOCALPART%"),
            server("smtp", "smtp.%EMAILDOMAIN%", 465, "tls", auth=["oauth2", "password"]),
        ],
    },
    stale("ispdb-only.test"),
    stale("own.test"),
    stale("qq.com"),
)


def hosts(config: Any) -> list[str]:
    return [e.host for e in config.endpoints]


async def test_the_snapshot_answers_when_autoconfig_and_ispdb_fail(make_discoverer) -> None:  # type: ignore[no-untyped-def]
    discoverer = make_discoverer(snapshot=SNAPSHOT, ispdb_url=REFUSING_ISPDB)
    result = await discoverer.discover("snap2.test", "me@snap2.test")
    assert result.config is not None
    assert result.config.source is Source.ISPDB_SNAPSHOT
    assert {e.source for e in result.config.endpoints} == {Source.ISPDB_SNAPSHOT}
    # %EMAILDOMAIN% is filled for the domain asked; login names keep their placeholders.
    assert hosts(result.config) == ["mail.snap2.test", "smtp.snap2.test"]
    assert [e.username for e in result.config.endpoints] == ["%EMAILLOCALPART%", "%EMAILADDRESS%"]
    (attempt,) = [a for a in result.trace if a.source is Source.ISPDB_SNAPSHOT]
    assert (attempt.target, attempt.ok, attempt.outcome) == ("snap2.test", True, TraceOutcome.FOUND)
    assert "as of 2026-03-12" in attempt.detail
    assert "entry snap.test" in attempt.detail
    ispdb = [a for a in result.trace if a.source is Source.ISPDB]
    assert [a.outcome for a in ispdb] == [TraceOutcome.CONNECTION_FAILED]
    assert not any(a.ok for a in result.trace if a.source is Source.AUTOCONFIG)
    # The same entry serves its other domain with that domain's host names.
    other = await discoverer.discover("snap.test")
    assert other.config is not None
    assert hosts(other.config) == ["mail.snap.test", "smtp.snap.test"]


async def test_a_domain_the_snapshot_lacks_is_noted(make_discoverer) -> None:  # type: ignore[no-untyped-def]
    result = await make_discoverer(snapshot=SNAPSHOT).discover("nowhere.test")
    assert result.config is None
    (attempt,) = [a for a in result.trace if a.source is Source.ISPDB_SNAPSHOT]
    assert (attempt.ok, attempt.outcome) == (False, TraceOutcome.NOT_LISTED)
    assert attempt.detail == "not in Thunderbird's ISPDB as of 2026-03-12, commit c6ad79659b5f"


async def test_a_working_online_ispdb_beats_the_snapshot(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route("*", "/v1.1/ispdb-only.test", document(ISPDB_DOC))
    result = await make_discoverer(snapshot=SNAPSHOT).discover("ispdb-only.test")
    assert result.config is not None
    assert result.config.source is Source.ISPDB
    assert "imap.ispdb-only.test" in hosts(result.config)
    # The snapshot answered too, and is kept as an alternative below the winner.
    found = [a for a in result.trace if a.source is Source.ISPDB_SNAPSHOT]
    assert [a.outcome for a in found] == [TraceOutcome.FOUND]
    assert [a.source for a in result.alternatives] == [Source.ISPDB_SNAPSHOT]


async def test_the_domains_own_autoconfig_beats_the_snapshot(make_discoverer, site: Site) -> None:  # type: ignore[no-untyped-def]
    site.route(
        "autoconfig.own.test",
        "/mail/config-v1.1.xml?emailaddress=me@own.test",
        document(own_doc("own.test")),
    )
    result = await make_discoverer(snapshot=SNAPSHOT, ispdb_url=REFUSING_ISPDB).discover(
        "own.test", "me@own.test"
    )
    assert result.config is not None
    assert result.config.source is Source.AUTOCONFIG
    assert "imap.snapshot.own.test" not in hosts(result.config)


async def test_the_curated_database_beats_the_snapshot(make_discoverer) -> None:  # type: ignore[no-untyped-def]
    result = await make_discoverer(snapshot=SNAPSHOT, ispdb_url=REFUSING_ISPDB).discover("qq.com")
    assert result.config is not None
    assert result.config.source is Source.DATABASE
    assert "imap.qq.com" in hosts(result.config)
    assert [a.source for a in result.trace] == [Source.DATABASE]


async def test_the_snapshot_wins_when_ispdb_is_cut_off_by_the_deadline(  # type: ignore[no-untyped-def]
    make_discoverer, site: Site
) -> None:
    site.route("*", "/v1.1/snap.test", slow(4.0))
    result = await make_discoverer(snapshot=SNAPSHOT, deadline=1.0).discover("snap.test")
    assert result.config is not None
    assert result.config.source is Source.ISPDB_SNAPSHOT
    assert DiscoveryFinding.DISCOVERY_DEADLINE in result.findings
    ispdb = [a for a in result.trace if a.source is Source.ISPDB]
    assert [a.outcome for a in ispdb] == [TraceOutcome.CUT_OFF]


def snapshot_only(db: ProviderDB, *, placeholder: bool = False) -> str:
    """The first domain the shipped snapshot lists and the curated database does not (the
    database grows, and always answers first); with ``placeholder``, one whose host names
    hold %EMAILDOMAIN%."""
    assert db.snapshot is not None
    for entry in db.snapshot.providers:
        if placeholder and not any(EMAILDOMAIN in s.host for s in entry.servers):
            continue
        for domain in entry.domains:
            if db.by_domain(domain) is None:
                return domain
    raise AssertionError("every domain of the snapshot is in the curated database")


async def test_the_shipped_snapshot_answers_offline(make_discoverer, db: ProviderDB) -> None:  # type: ignore[no-untyped-def]
    """The data/ispdb/ snapshot, on a machine whose DNS knows only .test and whose ISPDB
    refuses; host names written with %EMAILDOMAIN% are filled for the domain asked."""
    assert db.snapshot is not None
    discoverer = make_discoverer(ispdb_url=REFUSING_ISPDB)
    for domain in (snapshot_only(db), snapshot_only(db, placeholder=True)):
        result = await discoverer.discover(domain, f"a@{domain}")
        assert result.config is not None, result.trace
        assert result.config.source is Source.ISPDB_SNAPSHOT
        entry = db.snapshot.provider_for(domain)
        assert entry is not None
        assert hosts(result.config) == [s.host.replace(EMAILDOMAIN, domain) for s in entry.servers]
        assert all("%" not in host for host in hosts(result.config))


def test_typo_suggestions_know_the_snapshots_domains(db: ProviderDB) -> None:
    domain = snapshot_only(db)
    name, _, suffix = domain.partition(".")
    typo = f"{name}{name[-1]}.{suffix}"  # a letter doubled
    assert domain in index_for(db).suggest(typo)
    assert domain not in index_for(ProviderDB(db.records)).suggest(typo)
    with_test_snapshot = ProviderDB(db.records, SNAPSHOT)
    assert index_for(with_test_snapshot).suggest("snpa2.test") == ["snap2.test"]
