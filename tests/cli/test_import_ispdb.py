"""``mailsetup import-ispdb``: a copy of ISPDB into data/ispdb/, what it leaves out and
why; ``validate-data`` on the result; ``lookup`` answering from the shipped snapshot
without the network."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.cli.ispdb import render_data, render_origin
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.providers.snapshot import IspdbSnapshot, SnapshotData
from app.settings import get_settings
from tests.discovery.test_snapshot import snapshot_only

LICENSE = (DATA_DIR / "ispdb" / "LICENSE").read_bytes()


def provider(domains: list[str], servers: str, extra: str = "") -> str:
    listed = "".join(f"<domain>{d}</domain>" for d in domains)
    return (
        f'<?xml version="1.0"?><clientConfig version="1.1"><emailProvider id="{domains[0]}">'
        f"{listed}<displayName>Someone's Mail</displayName>{servers}</emailProvider>{extra}"
        "</clientConfig>"
    )


def imap(host: str, port: int = 993) -> str:
    return (
        f'<incomingServer type="imap"><hostname>{host}</hostname><port>{port}</port>'
        "<socketType>SSL</socketType><username>%EMAILLOCALPART%</username>"
        "<authentication>password-cleartext</authentication></incomingServer>"
    )


def smtp(host: str) -> str:
    return (
        f'<outgoingServer type="smtp"><hostname>{host}</hostname><port>465</port>'
        "<socketType>SSL</socketType><authentication>OAuth2</authentication>"
        "<authentication>password-cleartext</authentication></outgoingServer>"
    )


OAUTH2 = (
    "<oAuth2><issuer>example.org</issuer><scope>mail offline</scope>"
    "<authURL>https://example.org/auth</authURL><tokenURL>https://example.org/token</tokenURL>"
    "</oAuth2>"
)
EXCHANGE = '<incomingServer type="exchange"><hostname>ex.example.org</hostname></incomingServer>'
POP_BY_ADDRESS = (
    '<incomingServer type="pop3"><hostname>pop.%EMAILLOCALPART%.example.org</hostname>'
    "<port>995</port><socketType>SSL</socketType></incomingServer>"
)


def copy_of_ispdb(folder: Path, port: int = 993, other: bool = True) -> Path:
    """A small ISPDB folder: a good file with %EMAILDOMAIN% hosts, a server to drop and
    one to ignore, a broken file, and a file claiming a domain of another."""
    folder.mkdir()
    servers = (
        imap("mail.%EMAILDOMAIN%", port) + POP_BY_ADDRESS + EXCHANGE + smtp("smtp.example.org")
    )
    files = {"example.org.xml": provider(["example.org", "Example.NET"], servers, OAUTH2)}
    files["broken.xml"] = "<clientConfig"
    if other:
        servers = imap("imap.other.org") + smtp("smtp.other.org")
        files["other.org.xml"] = provider(["other.org", "example.net"], servers)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "README.md").write_text("not a provider\n", encoding="utf-8")
    (folder / "LICENSE").write_bytes(LICENSE)
    return folder


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def import_into(source: Path, out: Path, *more: str) -> Result:
    return run("import-ispdb", str(source), "--commit", "0abc123", "--out", str(out), *more)


def test_import_writes_the_snapshot_and_says_what_it_left_out(tmp_path: Path) -> None:
    source = copy_of_ispdb(tmp_path / "ispdb-src")
    out = tmp_path / "data" / "ispdb"
    result = import_into(source, out, "--date", "2026-01-02")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("read 3 XML file(s) in ")
    assert lines[0].endswith(": 2 provider(s), 3 domain(s), 4 server(s)")
    assert "1 file(s) skipped" in lines
    assert any(line.startswith("  broken.xml: not well-formed XML") for line in lines)
    assert "1 server(s) dropped as unusable" in lines
    assert (
        "  example.org.xml: hostname 'pop.%EMAILLOCALPART%.example.org': "
        "only %EMAILDOMAIN% may stand in a host"
    ) in lines
    assert "1 server(s) ignored (not IMAP, POP3 or SMTP)" in lines
    assert "1 domain entries left out (invalid, or listed before)" in lines
    assert "  other.org.xml: domain example.net is in example.org.xml already" in lines
    assert sorted(p.name for p in out.iterdir()) == ["LICENSE", "ORIGIN.toml", "snapshot.json"]
    assert (out / "LICENSE").read_bytes() == LICENSE

    origin = tomllib.loads((out / "ORIGIN.toml").read_text(encoding="utf-8"))
    assert origin == {
        "origin": "https://github.com/thunderbird/autoconfig/tree/0abc123/ispdb",
        "commit": "0abc123",
        "date": dt.date(2026, 1, 2),
        "license": "MPL-2.0",
        "files": 3,
        "files_skipped": 1,
        "providers": 2,
        "domains": 3,
        "servers": 4,
        "servers_dropped": 1,
        "servers_ignored": 1,
    }
    text = (out / "snapshot.json").read_text(encoding="utf-8")
    assert "mail.%EMAILDOMAIN%" in text  # stored as written, filled per domain
    assert "Someone's Mail" not in text  # facts only: no display names
    snapshot = IspdbSnapshot.from_dir(out.parent)
    assert snapshot is not None
    assert [p.id for p in snapshot.providers] == ["example.org", "other.org"]
    config = snapshot.config_for("example.net")
    assert config is not None
    assert [(e.host, e.username) for e in config.endpoints] == [
        ("mail.example.net", "%EMAILLOCALPART%"),
        ("smtp.example.org", "%EMAILADDRESS%"),
    ]
    assert config.oauth2 is not None
    assert config.oauth2.scopes == ("mail", "offline")
    assert snapshot.config_for("other.org") is not None


def test_import_again_gives_the_same_bytes_and_a_newer_copy_replaces_them(
    tmp_path: Path,
) -> None:
    out = tmp_path / "ispdb"
    assert import_into(copy_of_ispdb(tmp_path / "a"), out, "--date", "2026-01-02").exit_code == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert import_into(copy_of_ispdb(tmp_path / "b"), out, "--date", "2026-01-02").exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first

    newer = copy_of_ispdb(tmp_path / "c", port=1993, other=False)
    result = import_into(newer, out, "--date", "2026-02-03")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["LICENSE", "ORIGIN.toml", "snapshot.json"]
    snapshot = IspdbSnapshot.from_dir(tmp_path)
    assert snapshot is not None
    assert snapshot.date.isoformat() == "2026-02-03"
    assert [p.id for p in snapshot.providers] == ["example.org"]
    assert snapshot.providers[0].servers[0].port == 1993


def _no_xml(folder: Path) -> Path:
    folder.mkdir()
    return folder


def _only_broken(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.xml").write_text("<html>nothing</html>", encoding="utf-8")
    (folder / "LICENSE").write_bytes(LICENSE)
    return folder


def _without_licence(folder: Path) -> Path:
    copy_of_ispdb(folder)
    (folder / "LICENSE").unlink()
    return folder


def _other_licence(folder: Path) -> Path:
    copy_of_ispdb(folder)
    (folder / "LICENSE").write_text("MIT License\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("make", "more", "message"),
    [
        (lambda f: f, (), "is not a folder; not a copy of ISPDB"),
        (_no_xml, (), "holds no *.xml files; not a copy of ISPDB"),
        (_only_broken, (), "none of the 1 XML files in"),
        (_without_licence, (), "no LICENSE in"),
        (_other_licence, (), "is not the Mozilla Public License Version 2.0 text"),
        (copy_of_ispdb, ("--date", "12/03/2026"), "--date '12/03/2026' is not a date"),
        (copy_of_ispdb, ("--origin", "somewhere"), "origin: String should match pattern"),
    ],
)
def test_a_folder_that_is_not_a_copy_of_ispdb_is_refused(
    tmp_path: Path,
    make,
    more: tuple[str, ...],
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    source = make(tmp_path / "src")
    out = tmp_path / "out"
    result = import_into(source, out, *more)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.output.startswith("error: ")
    assert not out.exists()  # nothing written


def test_the_shipped_files_are_as_the_importer_writes_them() -> None:
    """Nobody edited data/ispdb/ by hand: its files are what the importer renders."""
    snapshot = IspdbSnapshot.from_dir(DATA_DIR)
    assert snapshot is not None
    folder = DATA_DIR / "ispdb"
    assert (folder / "ORIGIN.toml").read_bytes() == render_origin(snapshot.origin)
    data = SnapshotData(format=1, providers=snapshot.providers)
    assert (folder / "snapshot.json").read_bytes() == render_data(data)


def test_validate_data_checks_the_snapshot(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "providers").mkdir(parents=True)
    (data / "providers" / "qq.com.toml").write_bytes(
        (DATA_DIR / "providers" / "qq.com.toml").read_bytes()
    )
    assert import_into(copy_of_ispdb(tmp_path / "src"), data / "ispdb").exit_code == 0
    good = run("validate-data", "--data-dir", str(data))
    assert good.exit_code == 0, good.output
    assert "ISPDB snapshot valid: Thunderbird's ISPDB as of " in good.output
    assert "2 entries, 3 domains" in good.output
    origin = data / "ispdb" / "ORIGIN.toml"
    origin.write_text(origin.read_text().replace("servers = 4", "servers = 5"))
    broken = run("validate-data", "--data-dir", str(data))
    assert broken.exit_code == 1
    assert "error: ISPDB snapshot: ORIGIN.toml says 5 servers, snapshot.json has 4" in broken.output


@pytest.fixture
def offline(nameserver: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DNS that knows only .test (it refuses other names) and an ISPDB that refuses."""
    monkeypatch.setenv("MAILSETUP_DNS_SERVERS", nameserver)
    monkeypatch.setenv("MAILSETUP_ISPDB_URL", "http://127.0.0.1:9/v1.1/")
    monkeypatch.setenv("MAILSETUP_DISCOVERY_DEADLINE", "3")
    monkeypatch.delenv("MAILSETUP_DATA_DIR", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("offline")
def test_lookup_answers_from_the_shipped_snapshot_offline() -> None:
    db = ProviderDB.from_dir(DATA_DIR)
    domain = snapshot_only(db, placeholder=True)
    assert db.snapshot is not None
    config = db.snapshot.config_for(domain)
    assert config is not None
    first = config.endpoints[0]
    result = run("lookup", f"a@{domain}")
    assert result.exit_code == 0, result.output
    assert "  source: ispdb-snapshot" in result.output
    shown = f"{first.protocol.value:5} {first.host}:{first.port} {first.security.value:8} user "
    assert shown in result.output
    assert "%" not in first.host  # %EMAILDOMAIN% was filled in
    assert f"trace ok   ispdb-snapshot {domain}" in result.output
    assert f"{db.snapshot.label}, entry " in result.output
    assert "trace fail ispdb " in result.output  # the online ISPDB was tried first
