"""A domain owner's path in Chromium, in every language, for a domain no provider file
lists (owner.test, tests/dnsmasq.py): type it and its servers, see the records with copy
buttons and their checks, the autoconfig document and the provider file, and download
the file. The app's public URL is on loopback, so the page says it cannot give the
records that would point at it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from app.providers.loader import load_file
from tests.browser import axe
from tests.browser.conftest import OpenPage
from tests.browser.harness import pw, screenshot
from tests.web.english import english_runs

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

LANGS = ("en", "zh-Hans", "zh-Hant")
WIDTHS = (360, 1280)
SERVERS = "imap:mail.owner.test:993:tls\nsmtp:mail.owner.test:465:tls"
CHECK_STATES = {"present": 2, "missing": 3, "different": 1}  # of the six SRV records

# Each label of a name (with its dot; the pieces between two <wbr>) that was drawn on
# more than one line: a break inside a label.
BROKEN_LABELS = """() => [...document.querySelectorAll('section.owner code.dotted > span')]
  .filter(s => new Set([...s.getClientRects()].map(r => Math.round(r.top))).size > 1)
  .map(s => s.textContent)"""
# Elements whose right edge passes the window's, outside the blocks that scroll.
OVERFLOWING = """([w, scrolling]) => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest(scrolling))
  .map(e => e.tagName + '.' + e.className)"""
LONG_LABEL = "a-label-long-enough-to-pass-the-width-of-any-phone-screen-here"


async def fits(page: Any, width: int, lang: str, scrolling: str = "pre") -> None:
    """The page is no wider than the window, nothing but ``scrolling`` blocks passes its
    edge, and no name breaks inside a label."""
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"the page is {wide} px wide in a {width} px window ({lang})"
    assert await page.evaluate(OVERFLOWING, [width, scrolling]) == []
    assert await page.evaluate(BROKEN_LABELS) == []


@pytest.mark.parametrize("lang", LANGS)
async def test_an_owner_gets_records_checks_and_files(
    open_page: OpenPage, lang: str, tmp_path: Path
) -> None:
    page = await open_page(lang=lang)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto("/domains")
    await page.locator("#domain").fill("owner.test")
    await page.locator("#servers").fill(SERVERS)
    await page.locator("form.owners button[type=submit]").click()
    await page.wait_for_url(re.compile(r"domain=owner\.test"))

    # The service is on 127.0.0.1: no record points at it, and the page says why.
    await pw.expect(page.locator("#not-reachable")).to_be_visible()
    assert "127.0.0.1" not in await page.locator("main").inner_text()
    records = page.locator("ol.records > li")
    await pw.expect(records).to_have_count(6)
    for state, count in CHECK_STATES.items():
        await pw.expect(page.locator(f"ol.records .badge.check-{state}")).to_have_count(count)
    different = page.locator("li.check-different .explain code")
    await pw.expect(different).to_have_text("0 0 465 smtp.elsewhere.test.")
    await pw.expect(page.locator("#mx-hosts li")).to_have_count(2)

    # Every name and value has a copy button, and it copies that text.
    copies = page.locator("ol.records button.copy")
    await pw.expect(copies).to_have_count(12)
    for i in range(12):
        await pw.expect(copies.nth(i)).to_be_visible()
    imaps = page.locator("li.record", has_text="_imaps._tcp.owner.test").locator("button.copy")
    await imaps.nth(1).click()
    assert await page.evaluate("navigator.clipboard.readText()") == "0 0 993 mail.owner.test."

    # The autoconfig document and the provider file, both copyable.
    xml = page.locator("section[aria-labelledby=xml-title] pre")
    await pw.expect(xml).to_contain_text("<hostname>mail.owner.test</hostname>")
    toml = page.locator("section[aria-labelledby=toml-title] pre")
    await pw.expect(toml).to_contain_text('confidence = "low"')
    await page.locator("section[aria-labelledby=toml-title] .block-head button.copy").click()
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert tomllib.loads(copied)["id"] == "owner.test"
    async with page.expect_download() as info:
        await page.locator("#provider-download").click()
    download = await info.value
    assert download.suggested_filename == "owner.test.toml"
    saved = tmp_path / "owner.test.toml"
    await download.save_as(saved)
    assert load_file(saved).servers[0].host == "mail.owner.test"

    if lang != "en":
        assert english_runs(await page.content()) == []
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await fits(page, width, lang)
        await screenshot(page, f"owners-{lang}-{width}")
        found = await axe.violations(page)
        assert not found, f"{lang} {width} px:\n{axe.report(found)}"


@pytest.mark.parametrize("lang", LANGS)
async def test_a_check_that_could_not_run_says_so(open_page: OpenPage, lang: str) -> None:
    """The test DNS server refuses names outside .test: every lookup fails. The domain's
    first label is wider than a phone: its cards scroll, the page does not."""
    page = await open_page(lang=lang)
    await page.set_viewport_size({"width": 360, "height": 900})
    servers = SERVERS.replace("\n", "%0A")
    await page.goto(f"/domains?domain={LONG_LABEL}.example&servers={servers}")
    badges = page.locator("ol.records .badge")
    await pw.expect(badges).to_have_count(6)
    await pw.expect(page.locator("ol.records .badge.check-unchecked")).to_have_count(6)
    await pw.expect(page.locator("ol.records .badge.check-missing")).to_have_count(0)
    await pw.expect(page.locator("#mx-hosts")).to_be_visible()
    await fits(page, 360, lang, scrolling="pre, ol.records > li")
    await screenshot(page, f"owners-unchecked-{lang}-360")
    found = await axe.violations(page)
    assert not found, f"{lang}:\n{axe.report(found)}"
