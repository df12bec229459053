"""Every page in the negotiated language: UI strings, provider texts, guides, dates, profile."""

from __future__ import annotations

import calendar
import plistlib
import re
from html import unescape

import httpx
import pytest

from app.providers.db import ProviderDB
from app.translations import read_catalog
from app.web.http.i18n import current_lang
from app.web.http.templating import templates

PAGES = (
    "/",
    "/setup?email=someone@qq.com",
    "/setup?email=qq.com",
    "/setup?email=me@unknown-company.example",
    "/providers",
    "/providers/qq.com",
    "/providers/nope.example",
    "/domains?domain=qq.com",
    "/learn",
    "/test",
)


def _visible(html: str) -> str:
    """The page's text, without scripts, styles and files shown as code (the zone file)."""
    without = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without)).split())


def _english_phrases() -> set[str]:
    """UI phrases of at least three words that a Chinese page must not show in English."""
    ids = {str(m.id) for m in read_catalog("zh_Hans") if m.id}
    return {i for i in ids if len(i.split()) >= 3 and "%(" not in i and "{" not in i}


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
async def test_chinese_pages_show_no_english_ui_text(client: httpx.AsyncClient, lang: str) -> None:
    phrases = _english_phrases()
    assert len(phrases) > 100
    for page in PAGES:
        r = await client.get(page, headers={"Accept-Language": lang})
        assert r.status_code in (200, 404), page
        assert f'<html lang="{lang}">' in r.text, page
        assert r.headers["Content-Language"] == lang
        text = _visible(r.text)
        assert sorted(p for p in phrases if p in text) == [], page


async def test_english_pages_still_show_english(client: httpx.AsyncClient) -> None:
    text = _visible((await client.get("/setup?email=someone@qq.com")).text)
    assert "Server settings" in text
    assert "服务器设置" not in text
    assert "伺服器設定" not in text


@pytest.mark.parametrize(
    ("lang", "banner", "name", "guide", "country"),
    [
        ("en", "Before you start", "QQ Mail", "Outlook for Windows (classic)", "China"),
        ("zh-Hans", "开始之前", "QQ邮箱", "经典 Outlook for Windows", "中国"),
        ("zh-Hant", "開始之前", "QQ郵箱", "傳統 Outlook for Windows", "中國"),
    ],
)
async def test_provider_texts_and_guides_follow_the_language(
    client: httpx.AsyncClient, lang: str, banner: str, name: str, guide: str, country: str
) -> None:
    setup = _visible((await client.get("/setup?email=someone@qq.com&lang=" + lang)).text)
    assert banner in setup
    assert name in setup
    assert guide in setup
    provider = _visible((await client.get("/providers/qq.com?lang=" + lang)).text)
    assert country in provider
    catalogue = _visible((await client.get("/providers?q=qq&lang=" + lang)).text)
    assert name in catalogue
    assert country in catalogue


async def test_guide_steps_are_translated(client: httpx.AsyncClient) -> None:
    hans = _visible((await client.get("/setup?email=someone@qq.com&lang=zh-Hans")).text)
    assert "“收件服务器”：“协议” IMAP，“主机名” imap.qq.com" in hans
    hant = _visible((await client.get("/setup?email=someone@qq.com&lang=zh-Hant")).text)
    assert "「內送伺服器」：「通訊協定」IMAP，「主機名稱」imap.qq.com" in hant


async def test_last_verified_date_is_written_per_locale(
    client: httpx.AsyncClient, db: ProviderDB
) -> None:
    record = db.get("qq.com")
    assert record is not None
    d = record.last_verified
    expected = {
        "en": f"{calendar.month_name[d.month]} {d.day}, {d.year}",
        "zh-Hans": f"{d.year}年{d.month}月{d.day}日",
        "zh-Hant": f"{d.year}年{d.month}月{d.day}日",
    }
    for lang, text in expected.items():
        r = await client.get("/providers/qq.com", params={"lang": lang})
        assert f'<time datetime="{d.isoformat()}">{text}</time>' in r.text, lang


@pytest.mark.parametrize(
    ("lang", "number", "country"),
    [
        ("en", "12,345.5", "Taiwan"),
        ("zh-Hans", "12,345.5", "台湾"),
        ("zh-Hant", "12,345.5", "台灣"),
    ],
)
def test_number_and_country_filters(lang: str, number: str, country: str) -> None:
    token = current_lang.set(lang)
    try:
        assert templates.env.filters["number"](12345.5) == number
        assert templates.env.filters["country"]("tw") == country
        assert templates.env.filters["country"]("XX") == "XX"
    finally:
        current_lang.reset(token)


@pytest.mark.parametrize(
    ("headers", "params", "display"),
    [
        ({"Accept-Language": "zh-TW"}, {}, "郵件：someone@qq.com"),
        ({"Accept-Language": "zh-CN"}, {}, "邮件：someone@qq.com"),
        ({"Accept-Language": "zh-CN"}, {"lang": "en"}, "Mail: someone@qq.com"),
    ],
)
async def test_apple_profile_follows_the_language(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str], display: str
) -> None:
    r = await client.get(
        "/apple/mobileconfig", params={"email": "someone@qq.com", **params}, headers=headers
    )
    assert r.status_code == 200
    profile = plistlib.loads(r.content)
    assert profile["PayloadDisplayName"] == display
    assert profile["PayloadContent"][0]["EmailAccountDescription"].startswith(
        "QQ邮箱" if "邮件" in display else "QQ郵箱" if "郵件" in display else "QQ Mail"
    )
