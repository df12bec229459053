"""The domain-owner page and its API, for domains in the database and any other, checked
against a real DNS server (tests/dnsmasq.py; owner.test is in no provider file)."""

from __future__ import annotations

import re
import tomllib
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.paths import DATA_DIR
from app.providers.loader import load_file
from app.web.routes.owner_check import ServerProblem, parse_servers
from tests.sample_data import provider_toml
from tests.slowdns import Rules, slow_nameserver
from tests.web.crawl import broken_links
from tests.web.english import english_runs

OWNER_SERVERS = "imap:mail.owner.test:993:tls\nsmtp:mail.owner.test:465:tls\n"
# Nothing on the page or in the API tells a visitor how the service is configured.
OPERATOR_WORDS = ("data/providers", "MAILSETUP_", "provider file for it", "not served by this")


@pytest.fixture
async def owned(data_dir_factory, client_for) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    files = {"owned.test.toml": provider_toml("owned.test", domains=("owned.test",))}
    client: httpx.AsyncClient = await client_for(data_dir_factory(files))
    return client


def by_name(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(x["name"], x["type"]): x for x in body["records"]}


def no_operator_words(text: str) -> None:
    for words in OPERATOR_WORDS:
        assert words not in text


async def test_records_and_their_status(owned: httpx.AsyncClient) -> None:
    r = await owned.get("/api/v1/domains/OWNED.test./records")
    assert r.status_code == 200
    body = r.json()
    assert body["domain"] == "owned.test"
    assert body["servers_from"] == "database"
    status = {key: x["status"] for key, x in by_name(body).items()}
    assert status[("autoconfig.owned.test", "CNAME")] == "present"
    assert status[("_imaps._tcp.owned.test", "SRV")] == "present"
    assert status[("_submissions._tcp.owned.test", "SRV")] == "different"
    assert status[("_autodiscover._tcp.owned.test", "SRV")] == "missing"
    autodiscover = next(x for x in body["records"] if x["name"].startswith("_autodiscover"))
    assert autodiscover["value"] == "0 0 443 mailsetup.test."  # from MAILSETUP_PUBLIC_URL
    different = next(x for x in body["records"] if x["status"] == "different")
    assert different["found"] == ["0 0 587 smtp.example.org."]
    assert "_imaps._tcp.owned.test." in body["zone"]


@pytest.mark.parametrize(
    ("domain", "status"),
    [("unknown.test", 200), ("owner.test", 200), ("qq.com", 200), ("bad_domain", 422)],
)
async def test_any_valid_domain_gets_an_answer(
    client: httpx.AsyncClient, domain: str, status: int
) -> None:
    r = await client.get(f"/api/v1/domains/{domain}/records")
    assert r.status_code == status
    no_operator_words(r.text)


async def test_a_domain_nobody_added_with_the_owners_servers(client: httpx.AsyncClient) -> None:
    servers = [line for line in OWNER_SERVERS.splitlines() if line]
    r = await client.get("/api/v1/domains/owner.test/records", params={"server": servers})
    assert r.status_code == 200
    body = r.json()
    assert body["servers_from"] == "entered"
    assert body["servers"] == servers
    assert body["reachable"] is True
    records = by_name(body)
    assert list(records) == [
        ("autoconfig.owner.test", "CNAME"),
        ("_imaps._tcp.owner.test", "SRV"),
        ("_imap._tcp.owner.test", "SRV"),
        ("_pop3s._tcp.owner.test", "SRV"),
        ("_pop3._tcp.owner.test", "SRV"),
        ("_submissions._tcp.owner.test", "SRV"),
        ("_submission._tcp.owner.test", "SRV"),
        ("_autodiscover._tcp.owner.test", "SRV"),
    ]
    state = {name: (x["value"], x["status"]) for (name, _t), x in records.items()}
    assert state["autoconfig.owner.test"] == ("mailsetup.test.", "missing")
    assert state["_imaps._tcp.owner.test"] == ("0 0 993 mail.owner.test.", "present")
    assert state["_imap._tcp.owner.test"] == ("0 0 0 .", "missing")
    assert state["_pop3._tcp.owner.test"] == ("0 0 0 .", "present")  # "not offered" is in DNS
    assert state["_submissions._tcp.owner.test"] == ("0 0 465 mail.owner.test.", "different")
    assert records[("_submissions._tcp.owner.test", "SRV")]["found"] == [
        "0 0 465 smtp.elsewhere.test."
    ]
    assert body["mx"] == {
        "status": "found",
        "hosts": [
            {"preference": 10, "host": "mx1.owner.test"},
            {"preference": 20, "host": "mx2.owner.test"},
        ],
    }
    assert "_submissions._tcp.owner.test.\t3600\tIN\tSRV\t0 0 465 mail.owner.test." in body["zone"]
    # The servers as one text, one per line, as the page's form sends them.
    same = await client.get("/api/v1/domains/owner.test/records", params={"server": OWNER_SERVERS})
    assert same.json() == body


async def test_without_servers_only_the_records_pointing_here(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/domains/unknown.test/records")
    body = r.json()
    assert body["servers_from"] == "none"
    assert body["servers"] == []
    assert [x["name"] for x in body["records"]] == [
        "autoconfig.unknown.test",
        "_autodiscover._tcp.unknown.test",
    ]
    assert body["mx"] == {"status": "no-domain", "hosts": []}


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        (["imap:mail.owner.test:993"], "Line 1 is not a server"),
        (["imap:mail.owner.test:993:tls", "smtp:127.0.0.1:465:tls"], "Line 2 names an IP"),
        (["imap:[2001:db8::1]:993:tls"], "names an IP address"),
        (["imap:mail.localhost:993:tls"], "local name"),
        (["imap:box.local:993:tls"], "local name"),
        (["imap:a.test:993:tls", "IMAP:A.test:993:TLS"], "Line 2 lists a server again"),
        ([f"imap:m{i}.owner.test:993:tls" for i in range(9)], "at most 8 servers"),
        (["imap:mail.owner.test:99999:tls"], "Line 1 is not a server"),
    ],
)
async def test_a_server_that_cannot_be_used_is_a_422(
    client: httpx.AsyncClient, servers: list[str], message: str
) -> None:
    r = await client.get("/api/v1/domains/owner.test/records", params={"server": servers})
    assert r.status_code == 422
    assert message in r.json()["detail"]


@pytest.mark.parametrize(
    "line",
    [
        'imap:mail.owner.test"\nid = "x:993:tls',
        "imap:mail.owner.test\x00:993:tls",
        "imap:mail\towner.test:993:tls",
        'imap:"mail.owner.test":993:tls',
        "imap:mail.\u2028owner.test:993:tls",
        "imap:" + "a" * 300 + ".test:993:tls",
    ],
)
def test_a_hostile_server_line_is_refused(line: str) -> None:
    with pytest.raises(ServerProblem, match="Line 1"):
        parse_servers([line])


async def test_a_failed_lookup_is_could_not_check_not_missing(
    nameserver: str, client_for: Any
) -> None:
    """A name whose nameserver never answers: the check says it could not run."""
    rules = Rules(silent=("_imap._tcp.owner.test", "_submissions._tcp.owner.test"))
    with slow_nameserver(nameserver, rules) as slow:
        client = await client_for(DATA_DIR, dns_servers=(slow,), dns_timeout=0.5)
        r = await client.get(
            "/api/v1/domains/owner.test/records",
            params={"server": OWNER_SERVERS.splitlines()},
        )
        status = {x["name"]: x["status"] for x in r.json()["records"]}
        assert status["_imap._tcp.owner.test"] == "unchecked"
        assert status["_submissions._tcp.owner.test"] == "unchecked"  # not "different"
        assert status["_imaps._tcp.owner.test"] == "present"
        assert status["_pop3s._tcp.owner.test"] == "missing"
        detail = next(x for x in r.json()["records"] if x["status"] == "unchecked")["detail"]
        assert "no DNS answer" in detail

        page = await client.get(
            "/domains", params={"domain": "owner.test", "servers": OWNER_SERVERS}
        )
        text = unescape(page.text)
        assert text.count('class="badge check-unchecked"') == 2
        assert "This says nothing about whether the record exists." in text
        assert 'class="badge check-present"' in text
        assert 'class="badge check-missing"' in text

    rules = Rules(silent=("owner.test",))
    with slow_nameserver(nameserver, rules) as slow:
        client = await client_for(DATA_DIR, dns_servers=(slow,), dns_timeout=0.5)
        r = await client.get("/api/v1/domains/owner.test/records")
        body = r.json()
        assert {x["status"] for x in body["records"]} == {"unchecked"}
        assert body["mx"] == {"status": "unchecked", "hosts": []}


async def test_the_page_for_a_domain_nobody_added(client: httpx.AsyncClient) -> None:
    r = await client.get("/domains", params={"domain": "Owner.Test", "servers": OWNER_SERVERS})
    assert r.status_code == 200
    text = unescape(r.text)
    no_operator_words(text)
    assert 'value="owner.test"' in text
    assert "The records use the servers you listed." in text
    # Each record's name and value with a copy button, names wrapping only at dots.
    records = text.count('<li class="record ')
    assert records == 8
    assert text.count('<button type="button" class="copy"') == 2 * records + 3
    assert (
        "<span>_submissions.</span><wbr><span>_tcp.</span><wbr><span>owner.</span><wbr><span>test</span>"
        in text
    )
    assert 'data-copy="0 0 465 mail.owner.test."' in text
    assert "<span>0 0 0 .</span></code>" in text
    assert "DNS has another value:" in text
    assert (
        "<span>0 0 465 smtp.</span><wbr><span>elsewhere.</span><wbr><span>test.</span></code>"
        in text
    )
    assert "<span>mx1.</span><wbr><span>owner.</span>" in text
    assert "does not list owner.test" in text  # this service serves no autoconfig for it
    # The autoconfig document and the provider file, each in a focusable <pre>.
    xml = re.search(
        r'<pre class="document" tabindex="0"[^>]*><code>(.*?)</code></pre>', r.text, re.S
    )
    assert xml is not None
    assert "<hostname>mail.owner.test</hostname>" in unescape(xml[1])
    toml = re.findall(
        r'<pre class="document" tabindex="0"[^>]*><code>(.*?)</code></pre>', r.text, re.S
    )[1]
    data = tomllib.loads(unescape(toml))
    assert data["id"] == "owner.test"
    assert data["confidence"] == "low"
    assert await broken_links(client, r.text, "http://mailsetup.test/domains") == {}


async def test_the_provider_file_downloads_and_loads(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    page = await client.get("/domains", params={"domain": "owner.test", "servers": OWNER_SERVERS})
    href = unescape(re.search(r'id="provider-download" href="([^"]+)"', page.text)[1])  # type: ignore[index]
    r = await client.get(href)
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="owner.test.toml"'
    assert r.headers["content-type"].startswith("application/toml")
    path = tmp_path / "owner.test.toml"
    path.write_bytes(r.content)
    record = load_file(path)
    assert [(s.protocol.value, s.host, s.port) for s in record.servers] == [
        ("imap", "mail.owner.test", 993),
        ("smtp", "mail.owner.test", 465),
    ]
    hostile = 'imap:mail.owner.test"\n[oauth2]:993:tls\nsmtp:mail.owner.test:465:tls'
    refused = await client.get("/domains/owner.test/provider.toml", params={"servers": hostile})
    assert refused.status_code == 422
    for domain, status in (("qq.com", 409), ("bad_domain", 422), ("unknown.test", 422)):
        assert (await client.get(f"/domains/{domain}/provider.toml")).status_code == status


async def test_servers_discovery_already_found_fill_the_form(client: httpx.AsyncClient) -> None:
    untouched = await client.get("/api/v1/domains/srvonly.test/records")
    assert untouched.json()["servers_from"] == "none"  # the page starts no discovery
    assert (await client.get("/api/v1/lookup", params={"domain": "owner.test"})).status_code == 200
    r = await client.get("/domains", params={"domain": "owner.test"})
    text = unescape(r.text)
    assert "found for owner.test earlier" in text
    assert "imap:mail.owner.test:993:tls\nsmtp:smtp.elsewhere.test:465:tls</textarea>" in text
    api = (await client.get("/api/v1/domains/owner.test/records")).json()
    assert api["servers_from"] == "discovery"
    assert api["servers"] == ["imap:mail.owner.test:993:tls", "smtp:smtp.elsewhere.test:465:tls"]


async def test_a_service_on_loopback_offers_no_record_pointing_at_itself(
    client_for: Any,
) -> None:
    client = await client_for(DATA_DIR, public_url="http://127.0.0.1:8000")
    r = await client.get("/api/v1/domains/qq.com/records")
    body = r.json()
    assert body["reachable"] is False
    assert not [
        x for x in body["records"] if "autoconfig" in x["name"] or "127.0.0.1" in x["value"]
    ]
    assert not [x for x in body["records"] if x["name"].startswith("_autodiscover.")]
    page = await client.get("/domains", params={"domain": "qq.com"})
    text = unescape(page.text)
    assert 'id="not-reachable"' in text
    assert "not reachable under a public name" in text
    assert "127.0.0.1" not in text.split('id="not-reachable"')[1]
    no_operator_words(text)


async def test_the_page(owned: httpx.AsyncClient) -> None:
    empty = await owned.get("/domains")
    assert empty.status_code == 200
    assert 'data-template="domains.html"' in empty.text
    assert '<textarea id="servers" name="servers"' in empty.text
    r = await owned.get("/domains", params={"domain": "owned.test", "servers": "imap:x.test:1:tls"})
    assert r.status_code == 200
    text = unescape(r.text)
    assert (
        "<span>_submissions.</span><wbr><span>_tcp.</span><wbr><span>owned.</span><wbr><span>test</span>"
        in text
    )
    assert "Our provider database lists owned.test" in text
    assert "The servers you listed are not used." in text
    assert "already lists owned.test" in text
    assert 'id="provider-download"' not in text
    assert 'href="/v1.1/owned.test"' in text
    unknown = await owned.get("/domains", params={"domain": "nope.test"})
    assert unknown.status_code == 200
    no_operator_words(unknown.text)
    assert "List your mail servers above" in unknown.text
    bad = await owned.get("/domains", params={"domain": "nope.test", "servers": "imap:x"})
    assert bad.status_code == 422
    assert 'id="servers-error" role="alert"' in bad.text
    assert "Line 1 is not a server" in bad.text
    invalid = await owned.get("/domains", params={"domain": "bad_domain"})
    assert invalid.status_code == 422
    assert 'id="domain-error" role="alert"' in invalid.text


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
async def test_the_chinese_pages_have_no_english_sentences(
    client: httpx.AsyncClient, lang: str
) -> None:
    params = {"domain": "owner.test", "servers": OWNER_SERVERS}
    r = await client.get("/domains", params=params, headers={"Accept-Language": lang})
    assert english_runs(r.text) == []
