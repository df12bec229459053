"""The app chosen on the home page: remembered, and the setup page shaped for it."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from app.documents.instructions import CLIENTS
from app.models import Protocol
from app.paths import DATA_DIR
from app.providers.db import ProviderDB
from app.providers.lookup import EndpointAnswer, answer_from_config
from app.web.routes import apps
from tests.web.crawl import links

QQ = "someone@qq.com"
# QQ's last step, as its provider file words it: shown once on a settings page.
QQ_CODE_STEP = ProviderDB.from_dir(DATA_DIR).config_for("qq.com").steps[-1].text.en


def _checked(html: str) -> list[str]:
    return re.findall(r'name="client" value="([^"]+)" checked', html)


def test_every_chip_but_other_has_a_guide() -> None:
    assert set(apps.CHOICES) - {apps.OTHER} <= set(CLIENTS)
    assert next(iter(apps.CHOICES)) == "foxmail"
    assert list(apps.CHOICES)[-1] == apps.OTHER


async def test_the_home_page_asks_which_app_and_remembers_it(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert _checked(home.text) == [apps.OTHER]
    r = await client.get("/setup", params={"email": QQ, "client": "foxmail"})
    assert r.status_code == 200
    [cookie] = [c for c in r.headers.get_list("set-cookie") if c.startswith("client=")]
    assert cookie.startswith("client=foxmail;")
    assert "httponly" in cookie.lower()
    assert _checked((await client.get("/")).text) == ["foxmail"]
    # Remembered on the setup page too, without asking again.
    again = await client.get("/setup", params={"email": QQ})
    assert 'id="guide-foxmail"' in again.text
    assert not [c for c in again.headers.get_list("set-cookie") if c.startswith("client=")]


async def test_an_unknown_app_is_any_app(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": QQ, "client": "<script>"})
    assert r.status_code == 200
    assert not [c for c in r.headers.get_list("set-cookie") if c.startswith("client=")]
    assert '<section class="card"' not in r.text
    assert r.text.count('<details class="guide"') == len(CLIENTS)
    # Every guide, but the provider's own steps once, not once per guide.
    assert unescape(r.text).count(QQ_CODE_STEP) == 1


async def test_the_page_for_one_app(client: httpx.AsyncClient) -> None:
    r = await client.get("/setup", params={"email": QQ, "client": "foxmail"})
    html = r.text
    card = re.search(r'<section class="card".*?</section>\s*</details>\s*</section>', html, re.S)
    assert card, "a settings card"
    shown = card.group(0).split('<details class="pop3">')[0]
    assert "imap.qq.com" in shown
    assert "smtp.qq.com" in shown
    assert "pop.qq.com" not in shown
    assert "pop.qq.com" in card.group(0)  # behind "Need POP3?"
    copy = re.search(r'<button type="button" class="copy" data-copy="([^"]+)"', shown)
    assert copy
    assert unescape(copy.group(1)).splitlines()[:2] == [
        "IMAP: imap.qq.com · 993 · SSL/TLS",
        "SMTP: smtp.qq.com · 465 · SSL/TLS",
    ]
    # Only Foxmail's guide; the others one click away.
    assert 'id="guide-foxmail"' in html
    assert '<details class="guide"' not in html
    others = [h for h in links(html) if h.startswith("/setup?") and h.endswith("#settings")]
    assert sorted(re.sub(r".*client=([a-z-]+).*", r"\1", h) for h in others) == sorted(
        c for c in CLIENTS if c != "foxmail"
    )
    # The test is next, for this address and app; Foxmail takes no Apple profile or QR code.
    tester = re.search(r'<form class="tester".*?</form>', html, re.S)
    assert tester, "the test form"
    assert 'name="client" value="foxmail"' in tester.group(0)
    assert 'id="email"' in tester.group(0)
    assert 'value="someone@qq.com"' in tester.group(0)
    assert "/apple/mobileconfig" not in html
    assert '<figure class="qr">' not in html
    # The provider's own steps appear once, not once per guide.
    assert unescape(html).count(QQ_CODE_STEP) == 1


@pytest.mark.parametrize(
    ("app", "profile", "qr"), [("ios", True, True), ("apple-mail", True, False)]
)
async def test_apple_apps_get_the_profile(
    client: httpx.AsyncClient, app: str, profile: bool, qr: bool
) -> None:
    html = (await client.get("/setup", params={"email": QQ, "client": app})).text
    assert ("/apple/mobileconfig?email=" in html) == profile
    assert ('<figure class="qr">' in html) == qr


def test_the_card_takes_imap_and_smtp_first(db: ProviderDB) -> None:
    config = db.config_for("qq.com")
    endpoints = answer_from_config(config, None).endpoints
    card = apps.card_for(endpoints)
    assert card is not None
    assert (card.incoming.protocol, card.outgoing.protocol) == (Protocol.IMAP, Protocol.SMTP)
    assert card.pop3 is not None
    assert card.pop3.protocol is Protocol.POP3
    pop_only = tuple(e for e in endpoints if e.protocol is not Protocol.IMAP)
    card = apps.card_for(pop_only)
    assert card is not None
    assert card.incoming.protocol is Protocol.POP3
    assert card.pop3 is None
    no_smtp: tuple[EndpointAnswer, ...] = tuple(
        e for e in endpoints if e.protocol is not Protocol.SMTP
    )
    assert apps.card_for(no_smtp) is None
