"""Which language a request gets: ?lang=, then the cookie, then Accept-Language."""

from __future__ import annotations

import re

import httpx
import pytest

from app.web.http.i18n import accepted_tags, choose_language, match_tag, negotiate


@pytest.mark.parametrize(
    ("tag", "lang"),
    [
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-Hans", "zh-Hans"),
        ("zh-hans-cn", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-MO", "zh-Hant"),
        ("zh-Hant", "zh-Hant"),
        ("ZH-tw", "zh-Hant"),
        ("zh-Hant-CN", "zh-Hant"),  # an explicit script wins over the region
        ("zh-Hans-TW", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-yue", "zh-Hans"),  # other Chinese → Simplified
        ("en", "en"),
        ("en-GB", "en"),
        ("fr", None),
        ("*", None),
        ("", None),
    ],
)
def test_match_tag(tag: str, lang: str | None) -> None:
    assert match_tag(tag) == lang


def test_accepted_tags_orders_by_quality_and_drops_q0() -> None:
    header = "fr;q=0.9, zh-TW;q=0.8, en;q=0, de, zh-CN;q=0.8, xx;q=bad"
    assert accepted_tags(header) == ["de", "fr", "zh-TW", "zh-CN"]


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
        ("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("en;q=0.5, zh-TW;q=0.9", "zh-Hant"),  # quality, not position, decides
        ("fr-FR, de;q=0.9", "en"),
        ("fr-FR, zh-SG;q=0.3", "zh-Hans"),  # the best language we have
        ("zh-Hant;q=0, zh-CN;q=0.1", "zh-Hans"),
        ("*", "en"),
        ("zh-TW;q=abc, zh-CN", "zh-Hans"),
    ],
)
def test_negotiate(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


def test_negotiate_bounds_a_huge_header() -> None:
    assert negotiate("fr," * 10_000 + "zh-TW") == "en"


@pytest.mark.parametrize(
    ("query", "cookie", "header", "lang"),
    [
        ("zh-Hant", "zh-Hans", "en", "zh-Hant"),
        (None, "zh-Hans", "zh-TW", "zh-Hans"),
        ("klingon", "zh-Hant", "en", "zh-Hant"),  # an invalid value is skipped
        (None, "garbage", "zh-TW", "zh-Hant"),
        ("en", "zh-Hant", "zh-CN", "en"),
        (None, None, None, "en"),
    ],
)
def test_choose_language_precedence(
    query: str | None, cookie: str | None, header: str | None, lang: str
) -> None:
    assert choose_language(query, cookie, header) == lang


def _html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.mark.parametrize(
    ("header", "lang", "heading"),
    [
        ("zh-CN,zh;q=0.9", "zh-Hans", "在任何应用中设置你的邮箱"),
        ("zh-TW,zh;q=0.9,en;q=0.5", "zh-Hant", "在任何應用程式中設定你的郵件"),
        ("en-GB,en;q=0.9", "en", "Set up your mail in any app"),
        ("de-DE", "en", "Set up your mail in any app"),
    ],
)
async def test_accept_language_picks_the_page_language(
    client: httpx.AsyncClient, header: str, lang: str, heading: str
) -> None:
    r = await client.get("/", headers={"Accept-Language": header})
    assert r.status_code == 200
    assert _html_lang(r.text) == lang
    assert r.headers["Content-Language"] == lang
    assert f"<h1>{heading}</h1>" in r.text
    vary = {v.strip().lower() for v in r.headers["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary


async def test_query_beats_cookie_beats_header(client: httpx.AsyncClient) -> None:
    zh_tw = {"Accept-Language": "zh-TW"}
    client.cookies.set("lang", "zh-Hans")
    by_cookie = await client.get("/", headers=zh_tw)
    assert _html_lang(by_cookie.text) == "zh-Hans"
    by_query = await client.get("/", params={"lang": "en"}, headers=zh_tw)
    assert _html_lang(by_query.text) == "en"
    client.cookies.set("lang", "nonsense")
    assert _html_lang((await client.get("/", headers=zh_tw)).text) == "zh-Hant"


async def test_non_html_responses_get_no_content_language(client: httpx.AsyncClient) -> None:
    r = await client.get("/static/style.css", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200
    assert "Content-Language" not in r.headers
    api = await client.get("/api/v1/providers", headers={"Accept-Language": "zh-CN"})
    assert "Content-Language" not in api.headers
