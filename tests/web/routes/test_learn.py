"""The /learn page: the protocols explained in three languages, with an SVG state diagram."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from defusedxml import ElementTree

from app.web.routes.learn import POP3_COMMANDS, PORTS, TRANSACTION_COMMANDS

SVG = "{http://www.w3.org/2000/svg}"


def _diagram(html: str):  # type: ignore[no-untyped-def]
    found = re.search(r"<svg role=\"img\" aria-labelledby=\"pop3-title.*?</svg>", html, re.S)
    assert found, "no state diagram"
    return ElementTree.fromstring(found.group(0))  # well-formed XML, or this raises


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize(
    ("lang", "heading", "title", "sub"),
    [
        ("en", "How mail apps talk to mail servers", "POP3 session states", "signing in"),
        ("zh-Hans", "邮件客户端如何与邮件服务器通信", "POP3 会话状态图", "授权：登录"),
        ("zh-Hant", "郵件用戶端如何與郵件伺服器溝通", "POP3 工作階段狀態圖", "授權：登入"),
    ],
)
async def test_learn_page_in_each_language(
    client: httpx.AsyncClient, lang: str, heading: str, title: str, sub: str
) -> None:
    r = await client.get("/learn", headers={"Accept-Language": lang})
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in r.text
    assert f"<h1>{heading}</h1>" in r.text
    svg = _diagram(r.text)
    assert svg.get("role") == "img"
    assert svg.findtext(f"{SVG}title") == title
    desc = svg.findtext(f"{SVG}desc") or ""
    for state in ("AUTHORIZATION", "TRANSACTION", "UPDATE"):
        assert state in desc
    assert svg.find(f".//{SVG}script") is None
    labels = [t.text or "" for t in svg.iter(f"{SVG}text")]
    for state in ("AUTHORIZATION", "TRANSACTION", "UPDATE"):
        assert state in labels
    assert sub in labels
    assert "QUIT" in labels


async def test_diagram_draws_the_session_as_rfc_1939_has_it(client: httpx.AsyncClient) -> None:
    svg = _diagram((await client.get("/learn")).text)
    labels = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert all(command in labels for command in TRANSACTION_COMMANDS)
    assert "USER + PASS, or APOP: +OK" in labels
    assert "-ERR: try again" in labels
    assert "+OK, connection closed" in labels  # UPDATE ends the session ...
    assert "QUIT: closed, nothing deleted" in labels  # ... and QUIT before login skips it
    desc = svg.findtext(f"{SVG}desc") or ""
    assert not re.search(r"return\w* to AUTHORIZATION", desc)  # the session ends instead


async def test_learn_page_lists_commands_ports_and_corrections(client: httpx.AsyncClient) -> None:
    r = await client.get("/learn")
    text = _text(r.text)
    names = [c.name for c in POP3_COMMANDS]
    assert " ".join(names) == "USER PASS APOP STAT LIST UIDL RETR TOP DELE RSET NOOP QUIT"
    for command in POP3_COMMANDS:
        assert f"<code>{command.name}</code>" in r.text
    assert "+OK" in text
    assert "-ERR" in text
    assert [(p.protocol, p.number) for p in PORTS if p.protocol == "SMTP"] == [
        ("SMTP", 465),
        ("SMTP", 587),
        ("SMTP", 25),
    ]
    assert "RFC 8314" in text
    assert "There is no UPDATE command" in text
    assert "it does not return to AUTHORIZATION" in text
    assert "authorization code (授权码)" in text
    assert "app password" in text


async def test_learn_page_links_to_where_the_product_shows_it(client: httpx.AsyncClient) -> None:
    r = await client.get("/learn", params={"lang": "zh-Hans"})
    hrefs = set(re.findall(r'href="([^"#]+)"', r.text))
    assert {"/test", "/setup?email=someone@qq.com", "/providers"} <= hrefs
    for anchor in ("pop3", "imap", "smtp", "codes"):
        assert f'href="#{anchor}"' in r.text
        assert f'id="{anchor}"' in r.text
    for href in ("/setup?email=someone@qq.com", "/providers"):
        assert (await client.get(href)).status_code == 200


async def test_learn_is_in_the_header_nav(client: httpx.AsyncClient) -> None:
    nav = re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', (await client.get("/")).text, re.S)
    assert nav
    assert '<a href="/learn">Learn</a>' in nav.group(1)
    zh = (await client.get("/", params={"lang": "zh-Hant"})).text
    assert '<a href="/learn">認識協定</a>' in zh
