"""Typo suggestions on the unknown-domain page and in the lookup API's 404, against the
local DNS server: only a domain that does not exist gets them."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import httpx
import pytest

from tests.sample_data import provider_toml

# What the lead merges into the catalogs: until then the Chinese pages show the English.
TYPOS_JSON = Path("/tmp/po/typos.json")
DID_YOU_MEAN = "Did you mean %(domain)s?"
ZH = {"zh-Hans": "您是不是要输入 %(domain)s？", "zh-Hant": "您是不是要輸入 %(domain)s？"}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _suggestion(html: str) -> str | None:
    """The text of the "Did you mean" line, or None when the page has none."""
    found = re.search(r'<p class="see" id="did-you-mean">(.*?)</p>', html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found.group(1))).split()) if found else None


def _links(html: str) -> list[str]:
    found = re.search(r'<p class="see" id="did-you-mean">(.*?)</p>', html, flags=re.S)
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', found.group(1))] if found else []


@pytest.fixture
async def typo_client(data_dir_factory, client_for) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """An app that knows mail.test and owm.test: mial.test does not exist on the local DNS
    server, own.test does (with MX records) and is one key away from owm.test."""
    servers = (("imap", "imap.mail.test", 993, "tls"), ("smtp", "smtp.mail.test", 465, "tls"))
    files = {
        "mail.test.toml": provider_toml(
            "mail.test", domains=("mail.test",), name="Test Mail", servers=servers
        ),
        "owm.test.toml": provider_toml("owm.test", domains=("owm.test",), name="Owm Mail"),
    }
    client: httpx.AsyncClient = await client_for(data_dir_factory(files))
    return client


async def test_a_misspelt_domain_links_to_the_known_one(typo_client: httpx.AsyncClient) -> None:
    r = await typo_client.get("/setup", params={"email": "me@mial.test"})
    assert r.status_code == 404
    assert "The domain does not exist in DNS." in _text(r.text)
    assert _suggestion(r.text) == "Did you mean mail.test?"
    assert _links(r.text) == ["/setup?email=me%40mail.test"]
    # Above the trace, the first thing after the heading.
    assert r.text.index('id="did-you-mean"') < r.text.index("What we tried")
    followed = await typo_client.get(_links(r.text)[0])
    assert followed.status_code == 200
    assert 'data-template="setup.html"' in followed.text
    assert "imap.mail.test" in _text(followed.text)
    assert "me@mail.test" in _text(followed.text)


async def test_the_chosen_app_is_kept(typo_client: httpx.AsyncClient) -> None:
    r = await typo_client.get("/setup", params={"email": "me@mial.test", "client": "thunderbird"})
    assert _links(r.text) == ["/setup?email=me%40mail.test&client=thunderbird"]
    bad = await typo_client.get("/setup", params={"email": "me@mial.test", "client": "nope"})
    assert _links(bad.text) == ["/setup?email=me%40mail.test"]  # no such app: not passed on
    bare = await typo_client.get("/setup", params={"email": "mial.test"})
    assert _links(bare.text) == ["/setup?email=mail.test"]  # a domain alone stays a domain


async def test_a_domain_that_exists_gets_no_suggestion(typo_client: httpx.AsyncClient) -> None:
    # own.test has MX records on the local DNS server; owm.test is one key away from it.
    r = await typo_client.get("/setup", params={"email": "me@own.test"})
    assert r.status_code == 404
    assert 'data-template="unknown.html"' in r.text
    assert "The domain does not exist in DNS." not in _text(r.text)
    assert _suggestion(r.text) is None
    api = await typo_client.get("/api/v1/lookup", params={"email": "me@own.test"})
    assert api.status_code == 404
    assert api.json()["detail"]["suggestions"] == []


async def test_the_api_names_the_suggestions(typo_client: httpx.AsyncClient) -> None:
    r = await typo_client.get("/api/v1/lookup", params={"email": "me@mial.test"})
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert detail["suggestions"] == ["mail.test"]
    assert "domain-not-found" in detail["findings"]
    by_domain = await typo_client.get("/api/v1/lookup", params={"domain": "mial.test"})
    assert by_domain.json()["detail"]["suggestions"] == ["mail.test"]
    schema = (await typo_client.get("/openapi.json")).json()
    described = schema["paths"]["/api/v1/lookup"]["get"]["responses"]["404"]["description"]
    assert "suggestions" in described


async def test_the_real_database_and_dns(client: httpx.AsyncClient) -> None:
    # The local DNS server refuses names outside .test: DNS gave no answer about
    # gmial.com, which did not answer either, so the suggestion stands.
    r = await client.get("/setup", params={"email": "me@gmial.com"})
    assert r.status_code == 404
    assert _suggestion(r.text) == "Did you mean gmail.com?"
    api = await client.get("/api/v1/lookup", params={"email": "me@gmial.com"})
    assert "refused" in json.dumps(api.json()["detail"]["trace"]).lower()
    assert api.json()["detail"]["suggestions"] == ["gmail.com"]
    # A .test name that does not exist and is like no known domain: none either.
    r = await client.get("/setup", params={"email": "me@does-not-exist.test"})
    assert "The domain does not exist in DNS." in _text(r.text)
    assert _suggestion(r.text) is None


def _expected(lang: str) -> str:
    """The line in ``lang``, from the JSON the lead merges (the test's own copy if absent)."""
    if TYPOS_JSON.exists():
        entries = json.loads(TYPOS_JSON.read_text(encoding="utf-8"))
        key = lang.replace("-", "_")
        for entry in entries:
            if entry["msgid"] == DID_YOU_MEAN:
                return str(entry[key]) % {"domain": "mail.test"}
    return ZH[lang] % {"domain": "mail.test"}


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
async def test_the_line_in_chinese(typo_client: httpx.AsyncClient, lang: str) -> None:
    # Fails until the lead merges /tmp/po/typos.json into the catalogs.
    headers = {"Accept-Language": lang}
    r = await typo_client.get("/setup", params={"email": "me@mial.test"}, headers=headers)
    assert r.status_code == 404
    assert _links(r.text) == ["/setup?email=me%40mail.test"]
    assert _suggestion(r.text) == _expected(lang)


async def test_two_and_three_suggestions(data_dir_factory, client_for) -> None:  # type: ignore[no-untyped-def]
    def files(*names: str) -> dict[str, str]:
        return {f"{n}.toml": provider_toml(n, domains=(n,), name=n) for n in names}

    two = await client_for(data_dir_factory(files("maila.test", "mailb.test")))
    r = await two.get("/setup", params={"email": "me@mailc.test"})
    assert _suggestion(r.text) == "Did you mean maila.test or mailb.test?"
    # The data dir is the same folder: the second app serves all three.
    three = await client_for(data_dir_factory(files("mailc.test")))
    r = await three.get("/setup", params={"email": "me@mailq.test"})
    assert _suggestion(r.text) == "Did you mean maila.test, mailb.test or mailc.test?"
    assert _links(r.text) == [f"/setup?email=me%40mail{c}.test" for c in "abc"]
