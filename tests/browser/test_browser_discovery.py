"""Discovery you can watch, in Chromium: an unknown domain behind a nameserver that never
answers shows its progress within a second, says which lookups timed out, and ends on
the page of what to try, within the discovery deadline; without JavaScript the same
page comes when discovery is done."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from tests.browser import axe
from tests.browser.conftest import MailTestApp
from tests.browser.harness import LiveApp, pw, screenshot
from tests.slowdns import Rules, slow_nameserver

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

DEADLINE = 3.0  # MAILSETUP_DISCOVERY_DEADLINE of the browser tests' app (harness.py)
WORDS = {
    "en": ("MX records", "no DNS answer in time, so we cannot say whether records exist"),
    "zh-Hans": ("MX 记录", "DNS 未能及时应答，因此无法判断记录是否存在"),
    "zh-Hant": ("MX 記錄", "DNS 未能及時回應，因此無法判斷記錄是否存在"),
}


@pytest.fixture(scope="module")
def quiet_app(mail_test_app: MailTestApp, nameserver: str) -> Iterator[LiveApp]:
    """The app with its DNS behind a proxy that never answers for quiet.test."""
    rules = Rules(silent=("quiet.test",))
    with slow_nameserver(nameserver, rules) as silent, mail_test_app("quiet", silent) as app:
        app.ready()
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def quiet_page(browser: Any, quiet_app: LiveApp) -> AsyncIterator[Any]:
    contexts: list[Any] = []

    async def make(lang: str, javascript: bool = True) -> Any:
        context = await browser.new_context(
            base_url=quiet_app.url, java_script_enabled=javascript,
            viewport={"width": 360, "height": 800},
        )  # fmt: skip
        contexts.append(context)
        await context.add_cookies([{"name": "lang", "value": lang, "url": quiet_app.url}])
        page = await context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        await context.close()


@pytest.mark.parametrize("lang", list(WORDS))
async def test_an_unknown_domain_shows_its_progress_at_once(quiet_page: Any, lang: str) -> None:
    page = await quiet_page(lang)
    await page.goto("/")
    # A domain of its own per language: an answer, even "nothing found", is cached.
    domain = f"{lang.lower()}.quiet.test"
    await page.locator("#email").fill(f"me@{domain}")
    # The way to the setup page answers 204 No Content, on which a browser stays where
    # it is: the progress stays to be checked, and the test follows the way afterwards.
    opened: list[str] = []

    async def stop(route: Any) -> None:
        opened.append(route.request.url)
        await route.fulfill(status=204)

    await page.route("**/setup?*", stop)
    clicked = time.monotonic()
    await page.locator("form.lookup button[type=submit]").click()
    progress = page.locator("#progress ol.progress-list li")
    await pw.expect(progress.first).to_be_visible(timeout=1_000)
    shown = time.monotonic() - clicked
    assert shown < 1.0, f"the first progress line took {shown:.2f} s"
    mx_label, timed_out = WORDS[lang]
    mx = progress.filter(has_text=mx_label)
    await pw.expect(mx.locator(".state")).to_contain_text(timed_out, timeout=5_000)
    await pw.expect(page.locator("#progress p[role=status]")).to_be_visible(timeout=10_000)
    done = time.monotonic() - clicked
    assert done < DEADLINE + 2.0, f"the answer took {done:.2f} s"
    await screenshot(page, f"discovery-progress-{lang}-360")
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 360, f"the progress makes the page {wide} px wide"
    found = await axe.violations(page)
    assert not found, f"progress {lang}:\n{axe.report(found)}"
    assert len(opened) == 1
    assert f"/setup?email=me%40{domain}" in opened[0]
    await page.unroute("**/setup?*")
    await page.goto(opened[0])
    # The page of what to try tells the timeout from a missing record.
    await pw.expect(page.locator("main")).to_contain_text(timed_out)


async def test_without_javascript_the_setup_page_answers_when_done(quiet_page: Any) -> None:
    page = await quiet_page("en", javascript=False)
    await page.goto("/")
    await page.locator("#email").fill("me@quiet2.quiet.test")
    await page.locator("form.lookup button[type=submit]").click()
    # The page that would show the progress sends a browser without script straight on.
    await page.wait_for_url("**/setup?email=me%40quiet2.quiet.test*wait=1", timeout=15_000)
    await pw.expect(page.locator("#progress")).to_have_count(0)
    await pw.expect(page.locator("main")).to_contain_text(WORDS["en"][1])


@pytest.mark.parametrize("lang", list(WORDS))
async def test_opening_the_setup_page_itself_shows_the_progress(quiet_page: Any, lang: str) -> None:
    """A link or a typed URL to /setup for a domain not looked up yet: the page that
    comes at once shows discovery's progress, then the setup page follows."""
    page = await quiet_page(lang)
    domain = f"direct-{lang.lower()}.quiet.test"
    opened = time.monotonic()
    await page.goto(f"/setup?email=me@{domain}")
    await pw.expect(page.locator("body")).to_have_attribute("data-template", "discovering.html")
    progress = page.locator("#discovering ol.progress-list li")
    await pw.expect(progress.first).to_be_visible(timeout=1_000)
    shown = time.monotonic() - opened
    assert shown < 1.0, f"the first progress line took {shown:.2f} s"
    await screenshot(page, f"discovery-direct-{lang}-360")
    await page.wait_for_url(f"**/setup?email=me%40{domain}&wait=1", timeout=10_000)
    await pw.expect(page.locator("body")).to_have_attribute("data-template", "unknown.html")
    await pw.expect(page.locator("main")).to_contain_text(WORDS[lang][1])
