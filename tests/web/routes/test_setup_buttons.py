"""The setup and provider pages offer only buttons that work, in every language.

No autoconfig download (Thunderbird cannot import one; it looks the settings up
itself); the Apple profile and its QR code only where a profile can be built, and
otherwise the reason; and every link on the page's own origin answers below 400.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape

import httpx
import pytest

from app.documents import client_texts, mobileconfig
from app.main import create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.http.i18n import translations
from tests.web.crawl import broken_links, links

LANGS = ("en", "zh-Hans", "zh-Hant")
# Password or authorization-code providers, and one that accepts only OAuth2.
PROFILE = {"qq.com": True, "163.com": True, "gmail.com": True, "outlook.com": False}
ORIGIN = "http://mailsetup.test"


@pytest.fixture
async def site(settings: Settings, db: ProviderDB) -> AsyncIterator[httpx.AsyncClient]:
    """The app with no MAILSETUP_PUBLIC_URL (its QR links are then on the page's own
    origin, so the crawl follows them too) and no rate limits (the crawl is many requests)."""
    app = create_app(settings.model_copy(update={"public_url": None, "rate_limits": False}), db=db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
            yield client


def _paragraph(html: str, element_id: str) -> str | None:
    found = re.search(rf'<p[^>]* id="{element_id}">(.*?)</p>', html, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split()) if found else None


def _guide(html: str, client_id: str) -> str:
    found = re.search(rf'<details class="guide" id="guide-{client_id}">(.*?)</details>', html, re.S)
    assert found, client_id
    return unescape(found.group(1))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("provider", sorted(PROFILE))
async def test_setup_page_offers_only_what_works(
    site: httpx.AsyncClient, db: ProviderDB, provider: str, lang: str
) -> None:
    email = f"someone@{provider}"
    r = await site.get("/setup", params={"email": email, "lang": lang})
    assert r.status_code == 200
    html = r.text
    gettext = translations(lang).gettext
    hrefs = links(html)
    # No autoconfig file to download; Thunderbird's guide and the section say why.
    assert not [h for h in hrefs if "config-v1.1.xml" in h]
    assert "download=" not in html
    finds = gettext(client_texts.THUNDERBIRD_FINDS)
    assert f'<p class="intro">{finds}</p>' in _guide(html, "thunderbird")
    profile_links = [h for h in hrefs if h.startswith(("/apple/", f"{ORIGIN}/apple/"))]
    reason = _paragraph(html, "no-profile")
    if PROFILE[provider]:
        assert profile_links == [
            "/apple/mobileconfig?email=someone%40" + provider,
            f"{ORIGIN}/apple/mobileconfig?email=someone%40{provider}",  # its QR code
        ]
        assert reason is None
        return
    assert profile_links == []  # neither the button nor the QR code
    assert html.count('<figure class="qr">') == 1  # the setup page's code only
    # The reason, in the page's language, from the function that would refuse the profile.
    config = db.config_for(provider)
    with pytest.raises(mobileconfig.ProfileUnavailable) as refused:
        mobileconfig.profile_servers(config)
    assert reason == refused.value.explain(lang, gettext)
    assert config.name is not None
    assert config.name.get(lang) in reason
    if lang == "en":
        assert "accepts only OAuth2 sign-in" in reason
        assert "“Settings” → “Mail” → “Accounts”" in reason
    # A direct request still gets 409, with the same words in the same language.
    direct = await site.get("/apple/mobileconfig", params={"email": email, "lang": lang})
    assert direct.status_code == 409
    assert direct.text.strip() == reason


@pytest.mark.parametrize("app", ["other", "foxmail", "ios"])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("provider", sorted(PROFILE))
async def test_every_link_on_the_setup_page_works(
    site: httpx.AsyncClient, provider: str, lang: str, app: str
) -> None:
    params = {"email": f"someone@{provider}", "lang": lang, "client": app}
    r = await site.get("/setup", params=params)
    assert r.status_code == 200
    assert await broken_links(site, r.text, str(r.url)) == {}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("provider", sorted(PROFILE))
async def test_every_link_on_the_provider_page_works(
    site: httpx.AsyncClient, provider: str, lang: str
) -> None:
    r = await site.get(f"/providers/{provider}", params={"lang": lang})
    assert r.status_code == 200
    assert not [h for h in links(r.text) if "config-v1.1.xml" in h or "/apple/" in h]
    assert await broken_links(site, r.text, str(r.url)) == {}


async def test_the_crawl_reports_a_broken_link(site: httpx.AsyncClient) -> None:
    """The check can fail: a missing page, a bad profile address and a 409 are reported."""
    page = (
        '<a href="/nowhere#x">a</a> <img src="/static/none.png"> <a href="#main">top</a>'
        '<a href="/apple/mobileconfig?email=someone%40outlook.com">b</a>'
        '<a href="https://elsewhere.example/x">c</a> <a href="mailto:a@b.c">d</a>'
    )
    assert await broken_links(site, page, f"{ORIGIN}/setup?email=someone%40qq.com") == {
        f"{ORIGIN}/nowhere": 404,
        f"{ORIGIN}/static/none.png": 404,
        f"{ORIGIN}/apple/mobileconfig?email=someone%40outlook.com": 409,
    }


async def test_the_domain_owner_page_links_the_autoconfig_document(
    site: httpx.AsyncClient,
) -> None:
    r = await site.get("/domains", params={"domain": "qq.com"})
    assert r.status_code == 200
    documents = [h for h in links(r.text) if h.startswith("/v1.1/")]
    assert documents == ["/v1.1/qq.com"]
    doc = await site.get(documents[0])
    assert doc.status_code == 200
    assert b"<clientConfig" in doc.content
    assert b"imap.qq.com" in doc.content
    # A retired domain has no document, so no link to one.
    retired = await site.get("/domains", params={"domain": "yahoo.com.cn"})
    assert retired.status_code == 200
    assert not [h for h in links(retired.text) if "/v1.1/" in h]
