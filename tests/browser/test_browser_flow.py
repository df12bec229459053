"""The main path in Chromium, in every language, on a phone and a desktop: the home page
(address and app) → the settings for that app → the test right under them, prefilled →
a verdict that says what to do in the app → test again. With and without JavaScript."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from app.probe.catalogue import CATALOGUE
from app.probe.report import Code
from app.web.http.i18n import translations
from tests.browser.conftest import MailTestApp, OpenPage
from tests.browser.harness import (
    LiveApp,
    pw,
    screenshot,
)
from tests.browser.test_browser_live import ALICE, FOXMAIL_DONE, TEST_AGAIN
from tests.servers import USERS

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SETTINGS_FOR = {
    "en": "Settings for Foxmail",
    "zh-Hans": "Foxmail 的设置",
    "zh-Hant": "Foxmail 的設定",
}
WIDTHS = (360, 1280)


async def no_sideways_scrolling(page: pw.Page, width: int) -> None:
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"the page is {wide} px wide in a {width} px window"


async def choose_foxmail(page: pw.Page) -> None:
    await page.goto("/")
    await page.locator("#email").fill(ALICE)
    await page.locator("label[for=app-foxmail]").click()
    await pw.expect(page.locator("#app-foxmail")).to_be_checked()
    await page.locator("form.lookup button[type=submit]").click()
    await page.wait_for_url("**/setup?email=alice%40mail.test&client=foxmail")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", list(FOXMAIL_DONE))
async def test_from_the_home_page_to_a_working_app(
    open_page: OpenPage, live_app: LiveApp, lang: str, width: int
) -> None:
    page = await open_page(lang=lang)
    await page.set_viewport_size({"width": width, "height": 900})
    await choose_foxmail(page)
    await no_sideways_scrolling(page, width)
    card = page.locator("section.card")
    await pw.expect(card.locator("h2")).to_have_text(SETTINGS_FOR[lang])
    await pw.expect(card).to_contain_text("mail.test")
    await pw.expect(page.locator("#guide-foxmail")).to_be_visible()
    await pw.expect(page.locator("details.guide")).to_have_count(0)  # one app's guide only
    form = page.locator("section#test form.tester")
    await pw.expect(form.locator("#email")).to_have_value(ALICE)
    await form.locator("#password").fill(USERS[ALICE])
    await form.locator("button[type=submit]").click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
    await pw.expect(page.locator("#report-h")).to_have_text(FOXMAIL_DONE[lang])
    button = form.locator("button[type=submit]")
    await pw.expect(button).to_have_text(TEST_AGAIN[lang])
    await pw.expect(form.locator("#password")).to_have_value(USERS[ALICE])
    await no_sideways_scrolling(page, width)
    await screenshot(page, f"flow-{lang}-{width}")
    # Test again, as typed; the app is remembered for the next visit.
    await page.evaluate("document.getElementById('report').dataset.state = 'old'")
    await button.click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
    await pw.expect(page.locator("#report-h")).to_have_text(FOXMAIL_DONE[lang])
    await page.goto("/")
    await pw.expect(page.locator("#app-foxmail")).to_be_checked()


@pytest.mark.parametrize("lang", list(FOXMAIL_DONE))
async def test_the_same_path_without_javascript(
    open_page: OpenPage, live_app: LiveApp, lang: str
) -> None:
    page = await open_page(lang=lang, javascript=False)
    await page.set_viewport_size({"width": 360, "height": 900})
    await choose_foxmail(page)
    form = page.locator("section#test form.tester")
    await form.locator("#password").fill(USERS[ALICE])
    await form.locator("button[type=submit]").click()
    await page.wait_for_url("**/test")
    await pw.expect(page.locator("#report-h")).to_have_text(FOXMAIL_DONE[lang])
    await pw.expect(page.locator("form.tester button[type=submit]")).to_have_text(TEST_AGAIN[lang])
    await pw.expect(page.locator("form.tester #email")).to_have_value(ALICE)
    back = page.locator("#back-to-settings")
    await pw.expect(back).to_have_attribute("href", "/setup?email=alice%40mail.test&client=foxmail")
    await no_sideways_scrolling(page, 360)
    await screenshot(page, f"flow-nojs-{lang}-360")
    await back.click()
    await page.wait_for_url("**/setup?email=alice%40mail.test&client=foxmail")
    await pw.expect(page.locator("section.card")).to_be_visible()


NOT_FOUND = {"en": "Page not found", "zh-Hans": "找不到该页面", "zh-Hant": "找不到這個頁面"}


@pytest.mark.parametrize("lang", list(NOT_FOUND))
async def test_a_missing_page_is_a_page(open_page: OpenPage, lang: str) -> None:
    page = await open_page(lang=lang, tolerate=("404 (Not Found)",))  # the browser notes it
    await page.set_viewport_size({"width": 360, "height": 800})
    response = await page.goto("/no-such-page")
    assert response is not None
    assert response.status == 404
    await pw.expect(page.get_by_role("heading", level=1)).to_have_text(NOT_FOUND[lang])
    await pw.expect(page.locator("header.site")).to_be_visible()
    await no_sideways_scrolling(page, 360)
    await screenshot(page, f"not-found-{lang}-360")


@pytest.fixture(scope="module")
def offline_app(mail_test_app: MailTestApp) -> Iterator[LiveApp]:
    """The app with the same data, behind a DNS server that never answers (a UDP port
    bound and never read): the service's own network is down."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        nameserver = f"127.0.0.1:{silent.getsockname()[1]}"
        with mail_test_app("offline", nameserver) as app:
            yield app


@pytest.mark.parametrize("lang", list(FOXMAIL_DONE))
async def test_with_our_network_down_we_say_so(
    browser: Any, offline_app: LiveApp, lang: str
) -> None:
    """mail.test's servers come from our own data and our DNS times out: the page says
    we cannot reach them, not that the user got something wrong."""
    offline_app.ready()
    context = await browser.new_context(
        base_url=offline_app.url, viewport={"width": 360, "height": 900}
    )
    try:
        await context.add_cookies([{"name": "lang", "value": lang, "url": offline_app.url}])
        page = await context.new_page()
        await page.goto("/setup?email=alice%40mail.test&client=foxmail")
        form = page.locator("section#test form.tester")
        await form.locator("#password").fill(USERS[ALICE])
        await form.locator("button[type=submit]").click()
        await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
        gettext = translations(lang).gettext
        await pw.expect(page.locator("#report-h")).to_have_text(
            gettext("We could not test your settings")
        )
        lead = page.locator("#report p.diagnosis strong")
        await pw.expect(lead).to_have_text(CATALOGUE[Code.SERVICE_OFFLINE].message_in(lang))
        await no_sideways_scrolling(page, 360)
        await screenshot(page, f"flow-offline-{lang}-360")
    finally:
        await context.close()
