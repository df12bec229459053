"""The language switcher: plain links that set a cookie and return to the same page."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.web.routes.language import safe_next


def _switch_links(html: str) -> dict[str, tuple[str, bool]]:
    """code -> (href, marked current) from the header's language nav."""
    nav = re.search(r'<nav class="langs"[^>]*>(.*?)</nav>', html, flags=re.S)
    assert nav, "no language switcher"
    links = {}
    for attrs in re.findall(r"<a ([^>]*)>", nav.group(1)):
        href = unescape(re.search(r'href="([^"]*)"', attrs).group(1))  # type: ignore[union-attr]
        code = re.search(r'lang="([^"]*)"', attrs).group(1)  # type: ignore[union-attr]
        links[code] = (href, 'aria-current="true"' in attrs)
    return links


def _status_heading(html: str) -> str:
    found = re.search(
        r'<section class="status status-preparation"[^>]*>\s*<h2>\s*(.*?)\s*</h2>', html, re.S
    )
    assert found, "no status banner"
    return found.group(1)


async def test_switcher_lists_three_languages_and_marks_the_current_one(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/providers", params={"q": "qq", "lang": "zh-Hant"})
    links = _switch_links(r.text)
    assert list(links) == ["en", "zh-Hans", "zh-Hant"]
    assert [code for code, (_, current) in links.items() if current] == ["zh-Hant"]
    for label in (">English<", ">简体中文<", ">繁體中文<"):
        assert label in r.text
    href = urlsplit(links["zh-Hans"][0])
    assert href.path == "/lang/zh-Hans"
    # Back to the same page and query, without the ?lang= that would override the choice.
    assert parse_qs(href.query)["next"] == ["/providers?q=qq"]


async def test_switching_without_javascript(client: httpx.AsyncClient) -> None:
    page = "/setup?email=someone%40qq.com"
    english = await client.get(page)
    assert _status_heading(english.text).startswith("Before you start")
    for code, heading, banner in (
        ("zh-Hans", "someone@qq.com 的设置", "开始之前：这家服务商需要你先完成设置"),
        ("zh-Hant", "someone@qq.com 的設定", "開始之前：這家服務商需要你先完成設定"),
    ):
        href = _switch_links((await client.get(page)).text)[code][0]
        switched = await client.get(href)
        assert switched.status_code == 303
        assert switched.headers["Location"] == page
        assert switched.headers["Cache-Control"] == "no-store"
        cookie = switched.headers["Set-Cookie"]
        assert cookie.startswith(f"lang={code};")
        for attribute in ("Path=/", "SameSite=lax", "Max-Age=31536000", "HttpOnly"):
            assert attribute in cookie
        # The browser follows the redirect with the cookie: the page is now in Chinese.
        after = await client.get(switched.headers["Location"])
        assert f'<html lang="{code}">' in after.text
        assert f"<h1>{heading}</h1>" in after.text
        assert _status_heading(after.text) == banner
        # The choice is remembered on other pages, whatever the browser prefers.
        home = await client.get("/", headers={"Accept-Language": "en"})
        assert f'<html lang="{code}">' in home.text
        assert _switch_links(home.text)[code][1] is True


async def test_unknown_language_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/lang/fr", params={"next": "/"})
    assert r.status_code == 404
    assert "Set-Cookie" not in r.headers


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/path",
        "https://evil.example",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/%0a/evil.example".replace("%0a", "\n"),
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
async def test_open_redirects_are_refused(client: httpx.AsyncClient, target: str) -> None:
    r = await client.get("/lang/zh-Hans", params={"next": target})
    assert r.status_code == 303
    assert r.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/providers/qq.com", "/providers/qq.com"),
        ("/setup?email=a%40qq.com&lang=en", "/setup?email=a%40qq.com"),
        ("/learn#pop3", "/learn"),
        ("/" + "a" * 3000, "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        (None, "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
