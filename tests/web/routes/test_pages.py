"""HTML pages: status, the template used, and the values shown."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from app.providers.db import ProviderDB
from tests.sample_data import provider_toml


def _template(html: str) -> str:
    found = re.search(r'<body data-template="([^"]+)"', html)
    assert found, "page has no data-template"
    return found.group(1)


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


async def test_home(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert _template(r.text) == "home.html"
    assert 'action="/setup"' in r.text
    assert 'name="email"' in r.text
    assert "cdn" not in r.text.lower()


async def test_setup_page_for_qq(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "someone@qq.com"})
    assert r.status_code == 200
    assert _template(r.text) == "setup.html"
    text = _text(r.text)
    assert "imap.qq.com" in text
    assert "smtp.qq.com" in text
    assert "someone@qq.com" in text
    assert "authorization code" in text.lower()
    assert "Authorization code (授权码)" in text
    assert 'data-copy="imap.qq.com"' in r.text
    assert 'data-copy="993"' in r.text
    # Thunderbird finds the settings itself: no file to download, the page says so.
    assert "config-v1.1.xml" not in r.text
    assert "Thunderbird looks these settings up by itself" in text
    assert 'href="/apple/mobileconfig?email=someone%40qq.com"' in r.text
    # The provider's steps come before the server settings.
    assert r.text.index("First, in your provider") < r.text.index("Server settings")


async def test_setup_page_for_a_domain_explains_username(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "qq.com"})
    assert r.status_code == 200
    assert "your full email address" in _text(r.text)
    assert "%EMAILADDRESS%" not in r.text


async def test_setup_page_invalid_address(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "someone@@qq"})
    assert r.status_code == 422
    assert _template(r.text) == "home.html"
    assert 'role="alert"' in r.text
    assert 'value="someone@@qq"' in r.text  # what the user typed is kept


async def test_unknown_domain_page_says_what_to_try(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "me@unknown-company.example"})
    assert r.status_code == 404
    assert _template(r.text) == "unknown.html"
    text = _text(r.text)
    assert "unknown-company.example" in text
    assert "mail administrator" in text
    assert 'href="/providers"' in r.text


async def test_setup_page_status_banners(data_dir_factory, client_for) -> None:  # type: ignore[no-untyped-def]
    reason = 'status_reason = { en = "REASON-TEXT", zh-Hans = "原因", zh-Hant = "原因" }'
    steps = """
[[steps]]
url = "https://prep.example/settings"
text = { en = "STEP-TEXT", zh-Hans = "步骤", zh-Hant = "步驟" }
"""
    files = {
        "ok.example.toml": provider_toml("ok.example", domains=("ok.example",)),
        "prep.example.toml": provider_toml(
            "prep.example",
            domains=("prep.example",),
            status="preparation",
            extra=reason + "\n" + steps,
        ),
        "broken.example.toml": provider_toml(
            "broken.example", domains=("broken.example",), status="broken", extra=reason
        ),
        "old.example.toml": provider_toml(
            "old.example", domains=("old.example",), status="retired", servers=(), extra=reason
        ),
    }
    c = await client_for(data_dir_factory(files))
    expectations = {
        "ok.example": (None, True),
        "prep.example": ("needs you to act first", True),
        "broken.example": ("currently broken", True),
        "old.example": ("no longer exists", False),
    }
    for domain, (banner, has_servers) in expectations.items():
        r = await c.get("/setup", params={"email": f"me@{domain}"})
        assert r.status_code == 200, domain
        assert _template(r.text) == "setup.html"
        text = _text(r.text)
        if banner is None:
            assert 'class="status ' not in r.text
        else:
            assert banner in text, domain
            assert "REASON-TEXT" in text
        assert ("Server settings" in text) is has_servers, domain
        assert ("Automatic setup" in text) is has_servers, domain
        assert "config-v1.1.xml" not in r.text
    prep = await c.get("/setup", params={"email": "me@prep.example"})
    assert "STEP-TEXT" in prep.text
    assert "https://prep.example/settings" in prep.text


@pytest.mark.parametrize("q", ["qq", "QQ邮箱", "foxmail"])
async def test_providers_search_finds_qq(client: httpx.AsyncClient, q: str) -> None:
    r = await client.get("/providers", params={"q": q})
    assert r.status_code == 200
    assert _template(r.text) == "providers.html"
    assert 'href="/providers/qq.com"' in r.text


async def test_providers_filters_and_empty_state(client: httpx.AsyncClient) -> None:
    r = await client.get("/providers", params={"country": "CN", "status": "preparation"})
    assert r.status_code == 200
    assert 'href="/providers/qq.com"' in r.text
    assert '<option value="CN" selected>' in r.text
    none = await client.get("/providers", params={"q": "zzzz-no-such-provider"})
    assert none.status_code == 200
    assert "No provider matches" in none.text
    odd = await client.get("/providers", params={"protocol": "gopher", "status": "x"})
    assert odd.status_code == 200


def _listed(html: str) -> list[str]:
    """The provider ids of the catalogue's rows, in order."""
    return re.findall(r'<tr data-search="[^"]*">\s*<td><a href="/providers/([^"]+)"', html)


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
async def test_providers_in_chinese_start_with_qq_and_netease(
    client: httpx.AsyncClient, lang: str
) -> None:
    r = await client.get("/providers", params={"lang": lang})
    listed = _listed(r.text)
    assert listed[:3] == ["qq.com", "163.com", "126.com"]
    assert len(listed) == len(set(listed)) > 50


async def test_providers_in_english_start_with_gmail(client: httpx.AsyncClient) -> None:
    listed = _listed((await client.get("/providers", params={"lang": "en"})).text)
    assert listed.index("gmail.com") < 3
    assert listed.index("outlook.com") < 3
    assert listed.index("qq.com") > 10


async def test_providers_search_orders_by_match_then_rank(client: httpx.AsyncClient) -> None:
    """The plain form, without JavaScript: the server filters, the best match first."""
    r = await client.get("/providers", params={"q": "163", "lang": "en"})
    listed = _listed(r.text)
    assert listed[0] == "163.com"
    assert "qq.com" not in listed
    assert set(listed) == {"163.com", "vip.163.com", "qiye.163.com"}
    assert f"Showing {len(listed)} of" in _text(r.text)
    exact = _listed((await client.get("/providers", params={"q": "QQ Mail"})).text)
    assert exact[0] == "qq.com"


async def test_providers_page_carries_what_the_script_searches(
    client: httpx.AsyncClient, db: ProviderDB
) -> None:
    r = await client.get("/providers", params={"lang": "zh-Hant"})
    assert '<form class="filters" action="/providers" method="get" role="search">' in r.text
    assert '<script src="/static/providers.js" defer></script>' in r.text
    row = re.search(r'<tr data-search="([^"]*)">\s*<td><a href="/providers/163.com"', r.text)
    assert row is not None
    record = db.get("163.com")
    assert record is not None
    names = (record.name.en, record.name.zh_hans, record.name.zh_hant)
    for word in (*record.domains, *names):
        assert word.lower() in unescape(row.group(1)), word
    status = re.search(r'<p[^>]*id="provider-count"[^>]*>', r.text)
    assert status is not None
    assert 'role="status"' in status.group(0)
    assert 'aria-live="polite"' in status.group(0)
    assert 'data-template="顯示 {shown} 家，共' in status.group(0)
    home = await client.get("/")
    assert "providers.js" not in home.text


async def test_provider_detail_page(client: httpx.AsyncClient, db: ProviderDB) -> None:
    r = await client.get("/providers/qq.com")
    assert r.status_code == 200
    assert _template(r.text) == "provider.html"
    text = _text(r.text)
    qq = db.get("qq.com")
    assert qq is not None
    assert "QQ Mail" in text
    # shown in the reader's format: test_i18n_format
    assert f'datetime="{qq.last_verified.isoformat()}"' in r.text
    assert qq.confidence.value in text
    assert "Sources" in text
    assert "imap.qq.com" in text
    missing = await client.get("/providers/nope.example")
    assert missing.status_code == 404
    assert _template(missing.text) == "provider_missing.html"


async def test_static_assets_are_local(client: httpx.AsyncClient) -> None:
    for path in ("/static/style.css", "/static/app.js"):
        assert (await client.get(path)).status_code == 200
    page = (await client.get("/setup", params={"email": "a@qq.com"})).text
    # Scripts and styles are never loaded from another origin.
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', page)


async def test_setup_page_for_a_discovered_domain(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "me@srvonly.test"})
    assert r.status_code == 200
    assert _template(r.text) == "setup.html"
    text = _text(r.text)
    assert "Found by discovery" in text
    assert "SRV records" in text
    assert "mail.srvonly.test" in text
    assert "What we tried" in text


async def test_unknown_page_shows_what_was_tried(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "me@does-not-exist.test"})
    assert r.status_code == 404
    assert _template(r.text) == "unknown.html"
    text = _text(r.text)
    assert "does not exist in DNS" in text
    assert "What we tried" in text
