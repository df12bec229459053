"""A misspelt domain in Chromium: the unknown page suggests the known domain in the page's
language, on a phone-sized screen, and the link leads to that provider's settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.web.http.i18n import translations
from tests.browser.conftest import OpenPage
from tests.browser.harness import pw, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# The new strings' translations, which the lead merges into the catalogs; until then the
# Chinese pages show the English line and the Chinese runs fail on it (and only on it).
TYPOS_JSON = Path("/tmp/po/typos.json")
DID_YOU_MEAN = "Did you mean %(domain)s?"
OWN_COPY = {
    "en": DID_YOU_MEAN,
    "zh-Hans": "您是不是要输入 %(domain)s？",
    "zh-Hant": "您是不是要輸入 %(domain)s？",
}


def _line(lang: str, domain: str) -> str:
    """The "Did you mean" line as ``lang`` shows it."""
    if lang != "en" and TYPOS_JSON.exists():
        for entry in json.loads(TYPOS_JSON.read_text(encoding="utf-8")):
            if entry["msgid"] == DID_YOU_MEAN:
                return str(entry[lang.replace("-", "_")]) % {"domain": domain}
    return OWN_COPY[lang] % {"domain": domain}


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
async def test_a_typo_leads_to_the_known_domain(open_page: OpenPage, lang: str) -> None:
    _ = translations(lang).gettext
    page = await open_page(lang=lang, tolerate=("404 (Not Found)",))
    await page.set_viewport_size({"width": 360, "height": 800})
    await page.goto("/")
    # mail.test is in the app's catalogue; mial.test does not exist on the local DNS server.
    await page.get_by_label(_("Email address")).fill("me@mial.test")
    await page.get_by_role("button", name=_("Show settings")).click()
    await page.wait_for_url("**/setup?email=me%40mial.test&client=other")
    line = page.locator("#did-you-mean")
    await pw.expect(line).to_be_visible()
    link = line.get_by_role("link", name="mail.test")
    await pw.expect(link).to_have_attribute("href", "/setup?email=me%40mail.test&client=other")
    # The line comes before the trace, and the phone-sized page does not scroll sideways.
    above = await page.evaluate(
        "document.querySelector('#did-you-mean').compareDocumentPosition("
        "document.querySelector('details.trace')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    assert above
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await screenshot(page, f"typos-unknown-{lang}-360")
    shown = " ".join((await line.inner_text()).split())
    await link.click()
    await page.wait_for_url("**/setup?email=me%40mail.test&client=other")
    heading = page.get_by_role("heading", level=1)
    await pw.expect(heading).to_contain_text("me@mail.test")
    await pw.expect(page.locator("main")).to_contain_text("Test Mail")
    assert shown == _line(lang, "mail.test")
