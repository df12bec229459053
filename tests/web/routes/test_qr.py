"""QR codes on the setup page: inline SVG of links built from MAILSETUP_PUBLIC_URL."""

from __future__ import annotations

import re
from html import unescape

import httpx
import segno

from app.web.routes.qr import profile_link, public_link, qr_svg, setup_link

PUBLIC = "https://mailsetup.test"  # the settings fixture's MAILSETUP_PUBLIC_URL


def test_links_come_from_the_public_url() -> None:
    assert setup_link("https://mail.example.cn", "someone@qq.com") == (
        "https://mail.example.cn/setup?email=someone%40qq.com"
    )
    assert profile_link("https://mail.example.cn/", "a+b@qq.com") == (
        "https://mail.example.cn/apple/mobileconfig?email=a%2Bb%40qq.com"
    )
    assert public_link("http://h:8000", "/x", {}) == "http://h:8000/x"
    # Anything odd in the address stays inside the query string.
    assert setup_link(PUBLIC, "x@qq.com&lang=en#y").endswith("email=x%40qq.com%26lang%3Den%23y")


def _path(svg: str) -> str:
    """The path of the dark modules (after the white background, when there is one)."""
    found = re.findall(r'<path[^>]* d="([^"]+)"', svg)
    assert found
    return found[-1]


def test_qr_svg_is_inline_accessible_and_encodes_the_link() -> None:
    url = setup_link(PUBLIC, "someone@qq.com")
    svg = str(qr_svg(url, 'Scan <me> & "go"'))
    assert svg.startswith('<svg role="img" ')
    assert '<title>Scan &lt;me&gt; &amp; "go"</title>' in svg
    assert "<?xml" not in svg
    # Same modules as segno draws for this URL, and different ones for another URL.
    assert _path(svg) == _path(segno.make(url, error="m").svg_inline(scale=4))
    assert _path(svg) != _path(str(qr_svg(setup_link(PUBLIC, "other@qq.com"), "x")))


def _codes(html: str) -> list[tuple[str, str, str]]:
    """(svg path data, caption, link) of each QR code on the page."""
    figures = re.findall(r'<figure class="qr">(.*?)</figure>', html, re.S)
    out = []
    for figure in figures:
        caption = re.search(r"<figcaption>(.*?)<br>", figure, re.S)
        link = re.search(r'<a class="url" href="([^"]+)"', figure)
        assert caption
        assert link
        assert '<svg role="img"' in figure
        out.append((_path(figure), caption.group(1).strip(), unescape(link.group(1))))
    return out


async def test_setup_page_shows_both_codes(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/setup", params={"email": "someone@qq.com"}, headers={"Host": "evil.example"}
    )
    assert r.status_code == 200
    codes = _codes(r.text)
    page = f"{PUBLIC}/setup?email=someone%40qq.com"
    profile = f"{PUBLIC}/apple/mobileconfig?email=someone%40qq.com"
    assert [link for _, _, link in codes] == [page, profile]  # never the Host header
    assert "evil.example" not in "".join(c for _, c, _ in codes)
    for path, _, link in codes:
        assert path == _path(segno.make(link, error="m").svg_inline(scale=4))
    assert "<title>QR code: open these settings on your phone</title>" in r.text


async def test_codes_are_labelled_in_the_page_language(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "someone@qq.com", "lang": "zh-Hant"})
    captions = [caption for _, caption, _ in _codes(r.text)]
    assert captions == [
        "掃描即可在手機上開啟本頁。",
        "用 iPhone 或 iPad 的相機掃描，即可安裝描述檔。",
    ]
    assert "<title>QR 碼：在手機上開啟這些設定</title>" in r.text


async def test_no_codes_without_an_address(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": "qq.com"})
    assert r.status_code == 200
    assert _codes(r.text) == []
