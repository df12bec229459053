"""The provider catalogue in Chromium: the reader's order, search as you type with the
count announced, and the plain search form without JavaScript."""

from __future__ import annotations

import re

import pytest

from app.web.http.i18n import translations
from tests.browser.conftest import OpenPage
from tests.browser.harness import pw

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

HANT = translations("zh-Hant").gettext


async def test_typing_filters_the_list_and_announces_the_count(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/providers")
    rows = page.locator("table.catalogue tbody tr")
    total = await rows.count()
    status = page.get_by_role("status")
    await pw.expect(status).to_have_attribute("aria-live", "polite")
    await pw.expect(status).to_have_text(f"Showing {total} of {total} providers.")
    netease = page.get_by_role("link", name="NetEase 163 Mail", exact=True)
    qq = page.get_by_role("link", name="QQ Mail", exact=True)
    await pw.expect(qq).to_be_visible()

    await page.get_by_label("Name or domain").press_sequentially("163")
    await pw.expect(netease).to_be_visible()
    await pw.expect(qq).to_be_hidden()
    visible = page.locator("table.catalogue tbody tr:visible")
    await pw.expect(status).to_have_text(re.compile(rf"^Showing [1-9] of {total} providers\.$"))
    shown = int(re.findall(r"\d+", await status.inner_text())[0])
    assert shown == await visible.count()
    assert page.url.endswith("/providers")  # no request was made

    # A Chinese name and a domain match too, in any case; clearing shows all again.
    await page.get_by_label("Name or domain").fill("QQ邮箱")
    await pw.expect(qq).to_be_visible()
    await pw.expect(netease).to_be_hidden()
    await page.get_by_label("Name or domain").fill("FOXMAIL.COM")
    await pw.expect(qq).to_be_visible()
    await page.get_by_label("Name or domain").fill("")
    await pw.expect(status).to_have_text(f"Showing {total} of {total} providers.")
    await pw.expect(netease).to_be_visible()


async def test_count_is_announced_in_the_readers_language(open_page: OpenPage) -> None:
    page = await open_page(lang="zh-Hant")
    await page.goto("/providers")
    rows = page.locator("table.catalogue tbody tr")
    await pw.expect(rows.first).to_contain_text("QQ")
    total = await rows.count()
    await page.get_by_label(HANT("Name or domain")).press_sequentially("zzzz-none")
    await pw.expect(rows.first).to_be_hidden()
    await pw.expect(page.get_by_role("status")).to_have_text(
        HANT("Showing %(shown)s of %(total)s providers.") % {"shown": 0, "total": total}
    )


async def test_the_search_form_works_without_javascript(open_page: OpenPage) -> None:
    page = await open_page(javascript=False)
    await page.goto("/providers")
    await page.get_by_label("Name or domain").fill("163")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(re.compile(r"/providers\?q=163"))
    rows = page.locator("table.catalogue tbody tr")
    await pw.expect(rows.first).to_contain_text("NetEase 163 Mail")
    await pw.expect(page.get_by_role("link", name="QQ Mail", exact=True)).to_have_count(0)
