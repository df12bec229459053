"""The provider file built from an owner's servers: the text loads with tomllib and
passes the project's own loader, and no input can break out of its string."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app.documents.mozilla import render_autoconfig
from app.documents.provider_toml import missing_protocols, owner_config, provider_file
from app.errors import InvalidAddress, ProviderFileError
from app.models import Protocol, Security, ServerEndpoint
from app.providers.loader import load_file
from app.providers.schema import ProviderRecord

DAY = dt.date(2026, 5, 4)


def endpoint(protocol: str, host: str, port: int, security: str) -> ServerEndpoint:
    return ServerEndpoint(
        protocol=Protocol(protocol), host=host, port=port, security=Security(security)
    )


SERVERS = [
    endpoint("smtp", "smtp.owner.test", 465, "tls"),
    endpoint("pop3", "pop.owner.test", 995, "tls"),
    endpoint("imap", "imap.owner.test", 993, "tls"),
    endpoint("imap", "imap.owner.test", 143, "starttls"),
]


def load(text: str, domain: str, tmp_path: Path) -> ProviderRecord:
    path = tmp_path / f"{domain}.toml"
    path.write_text(text, encoding="utf-8")
    return load_file(path)  # tomllib, the schema, and the id against the file name


def test_the_file_passes_the_loader_and_says_where_the_servers_came_from(
    tmp_path: Path,
) -> None:
    text = provider_file("Owner.TEST.", SERVERS, DAY)
    assert text.startswith("# owner.test: servers entered by the domain's owner")
    record = load(text, "owner.test", tmp_path)
    assert record.id == "owner.test"
    assert record.domains == ("owner.test",)
    assert str(record.website) == "https://owner.test/"
    assert record.confidence.value == "low"
    assert record.last_verified == DAY
    assert record.name.en == "owner.test mail"
    assert "邮箱" in record.name.zh_hans
    assert "電子郵件" in record.name.zh_hant
    note = record.confidence_note
    assert note is not None
    assert "entered by the owner of owner.test" in note.en
    assert "域名所有者" in note.zh_hans
    assert "網域擁有者" in note.zh_hant
    (source,) = record.sources
    assert str(source.url) == "https://owner.test/"
    assert source.note is not None
    assert "entered by its owner" in source.note.en
    assert "未经此来源证实" in source.note.zh_hans
    assert "未經此來源證實" in source.note.zh_hant
    # IMAP, then POP3, then SMTP; each protocol's servers in the order given.
    assert [(s.protocol.value, s.host, s.port, s.security.value) for s in record.servers] == [
        ("imap", "imap.owner.test", 993, "tls"),
        ("imap", "imap.owner.test", 143, "starttls"),
        ("pop3", "pop.owner.test", 995, "tls"),
        ("smtp", "smtp.owner.test", 465, "tls"),
    ]
    assert all(s.username == "%EMAILADDRESS%" for s in record.servers)
    # The same file as tomllib reads it: top-level keys before the tables.
    data = tomllib.loads(text)
    assert data["last_verified"] == DAY
    assert data["sources"][0]["note"]["zh-Hant"] == source.note.zh_hant


def test_an_idn_domain_is_written_as_its_a_label_and_named_in_unicode(tmp_path: Path) -> None:
    text = provider_file("例子.中国", SERVERS[:3], DAY)
    record = load(text, "xn--fsqu00a.xn--fiqs8s", tmp_path)
    assert record.id == "xn--fsqu00a.xn--fiqs8s"
    assert record.name.en == "例子.中国 mail"


def test_the_autoconfig_document_comes_from_the_same_servers() -> None:
    xml = render_autoconfig(owner_config("owner.test", SERVERS)).decode()
    assert '<emailProvider id="owner.test">' in xml
    assert "<hostname>imap.owner.test</hostname>" in xml
    assert xml.index("imap.owner.test") < xml.index("pop.owner.test") < xml.index("smtp.")


def test_a_file_needs_incoming_and_outgoing_servers() -> None:
    assert missing_protocols(SERVERS) == []
    assert missing_protocols(SERVERS[:1]) == ["incoming"]
    assert missing_protocols(SERVERS[1:2]) == ["outgoing"]
    assert missing_protocols([]) == ["incoming", "outgoing"]
    with pytest.raises(ValueError, match="incoming servers"):
        provider_file("owner.test", SERVERS[:1], DAY)


@pytest.mark.parametrize(
    "domain",
    ['owner.test"\nid = "evil', "owner.test\n[name]", "own\x00er.test", "owner .test", "a\\b.test"],
)
def test_a_hostile_domain_is_refused(domain: str) -> None:
    with pytest.raises(InvalidAddress):
        provider_file(domain, SERVERS, DAY)


def test_a_hostile_host_that_got_past_input_stays_inside_its_string(tmp_path: Path) -> None:
    """The writer (tomli-w) escapes what input checks would refuse: the file still parses to the
    same keys, and the schema refuses the host instead of reading anything it added."""
    host = 'imap.owner.test"\n[oauth2]\nissuer = "x\\\x00\x7f'
    servers = [endpoint("imap", host, 993, "tls"), SERVERS[0]]
    text = provider_file("owner.test", servers, DAY)
    data = tomllib.loads(text)
    assert data["servers"][0]["host"] == host
    assert "oauth2" not in data
    assert set(data) == {
        "id",
        "domains",
        "country",
        "website",
        "status",
        "confidence",
        "last_verified",
        "name",
        "confidence_note",
        "servers",
        "sources",
    }
    with pytest.raises(ProviderFileError, match="not a valid host name"):
        load(text, "owner.test", tmp_path)


def test_the_generators_stay_pure() -> None:
    check = "import sys, app.documents.provider_toml; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(result.stdout.split())
    assert {
        m for m in ("app.web", "app.settings", "app.discovery", "fastapi") if m in loaded
    } == set()
