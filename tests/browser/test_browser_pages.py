"""The site in Chromium: lookup, language switcher, provider search, downloads, keyboard,
and screenshots of the main pages in English and 简体中文."""

from __future__ import annotations

import plistlib
import re

import pytest
from defusedxml import ElementTree

from app.web.http.i18n import translations
from tests.browser.conftest import OpenPage
from tests.browser.harness import pw, run_test, screenshot
from tests.servers import USERS

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ZH = translations("zh-Hans").gettext
CJK = re.compile(r"[\u4e00-\u9fff]")


async def test_lookup_from_the_home_page(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/")
    await page.get_by_label("Email address").fill("qq.com")
    await page.get_by_role("button", name="Show settings").click()
    await page.wait_for_url("**/setup?email=qq.com&client=other")
    await pw.expect(page.get_by_role("heading", level=1)).to_contain_text("qq.com")
    servers = page.locator("section.servers")
    await pw.expect(servers).to_contain_text("imap.qq.com")
    await pw.expect(servers).to_contain_text("993")
    await pw.expect(servers).to_contain_text("Authorization code (授权码)")
    await pw.expect(page.locator("section.status")).to_contain_text(
        "Before you start: this provider needs you to act first"
    )
    await pw.expect(page.locator("ol.steps")).to_contain_text("authorization code (授权码)")


async def test_switch_to_simplified_chinese(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/providers")
    await pw.expect(page.get_by_role("heading", level=1)).to_have_text("Mail providers")
    switcher = page.get_by_role("navigation", name="Language")
    await switcher.get_by_role("link", name="简体中文").click()
    await pw.expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    await pw.expect(page).to_have_url(re.compile(r"/providers$"))
    await pw.expect(page.get_by_role("heading", level=1)).to_have_text(ZH("Mail providers"))
    switcher = page.get_by_role("navigation", name=ZH("Language"))
    await pw.expect(switcher.get_by_role("link", name="简体中文")).to_have_attribute(
        "aria-current", "true"
    )
    # The choice sticks (a cookie): the home page is in Chinese too.
    await page.goto("/")
    await pw.expect(page.get_by_role("heading", level=1)).to_have_text(
        ZH("Set up your mail in any app")
    )
    await pw.expect(page.get_by_role("button", name=ZH("Show settings"))).to_be_visible()
    assert len(CJK.findall(await page.inner_text("main"))) > 20


async def test_browse_and_search_providers(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/providers")
    rows = page.locator("table.catalogue tbody tr")
    assert await rows.count() > 20
    await page.get_by_label("Name or domain").fill("QQ邮箱")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(re.compile(r"/providers\?q="))
    await pw.expect(rows.first).to_contain_text("QQ Mail")
    assert await rows.count() < 5
    await rows.first.get_by_role("link", name="QQ Mail").click()
    await page.wait_for_url("**/providers/qq.com")
    await pw.expect(page.get_by_role("heading", level=1)).to_contain_text("QQ Mail")


async def test_download_apple_profile_and_read_the_owners_autoconfig(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/setup?email=someone@qq.com")
    # Thunderbird cannot import a file: the page offers none and says what it does instead.
    await pw.expect(page.get_by_role("link", name=re.compile("autoconfig"))).to_have_count(0)
    await page.goto("/setup?email=someone@qq.com&client=thunderbird")
    await pw.expect(page.locator("#guide-thunderbird .intro")).to_contain_text(
        "Thunderbird looks these settings up by itself"
    )
    await page.goto("/setup?email=someone@qq.com&client=ios")

    async with page.expect_download() as info:
        await page.get_by_role("link", name="Download the profile for iPhone, iPad and Mac").click()
    download = await info.value
    assert download.suggested_filename.endswith(".mobileconfig")
    profile = plistlib.loads((await download.path()).read_bytes())
    assert profile["PayloadType"] == "Configuration"
    (mail,) = profile["PayloadContent"]
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert mail["EmailAddress"] == "someone@qq.com"
    assert mail["IncomingMailServerHostName"] == "imap.qq.com"
    assert mail["OutgoingMailServerHostName"] == "smtp.qq.com"

    # The autoconfig document is for domain owners, linked from their page.
    await page.goto("/domains?domain=qq.com")
    href = await page.locator("#autoconfig-document a").get_attribute("href")
    assert href == "/v1.1/qq.com"
    response = await page.request.get(href)
    assert response.ok
    root = ElementTree.fromstring(await response.body())
    assert root.tag == "clientConfig"
    incoming = root.find("emailProvider/incomingServer")
    assert incoming is not None
    assert incoming.get("type") == "imap"
    assert incoming.findtext("hostname") == "imap.qq.com"
    assert incoming.findtext("port") == "993"
    assert incoming.findtext("socketType") == "SSL"
    outgoing = root.find("emailProvider/outgoingServer")
    assert outgoing is not None
    assert outgoing.findtext("hostname") == "smtp.qq.com"


async def test_no_profile_for_an_oauth2_only_provider(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/setup?email=someone@outlook.com")
    await pw.expect(page.get_by_role("link", name=re.compile("profile"))).to_have_count(0)
    await pw.expect(page.locator("#no-profile")).to_contain_text("accepts only OAuth2 sign-in")
    await pw.expect(page.locator("figure.qr")).to_have_count(1)


async def focused(page: object) -> str:
    """The focused element as ``tag#id text``."""
    return str(
        await page.evaluate(  # type: ignore[attr-defined]
            "() => { const e = document.activeElement;"
            " return `${e.tagName.toLowerCase()}#${e.id} ${e.textContent.trim()}`; }"
        )
    )


async def test_keyboard_reaches_the_email_box_and_the_button(open_page: OpenPage) -> None:
    page = await open_page()
    # The home page puts the cursor in the email box; Tab goes on to the button.
    await page.goto("/")
    assert (await focused(page)).startswith("input#email")
    await page.keyboard.press("Tab")
    assert await focused(page) == "button# Show settings"
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.type("qq.com")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/setup?email=qq.com&client=other")

    # From the top of the tester page: the skip link first, then on to the form.
    await page.goto("/test")
    seen = []
    for _ in range(30):
        await page.keyboard.press("Tab")
        seen.append(await focused(page))
        if seen[-1].startswith("input#email"):
            break
    assert seen[0] == "a# Skip to content"
    assert seen[-1].startswith("input#email"), seen
    for expected in ("input#password", "summary# Advanced", "button# Run the test"):
        await page.keyboard.press("Tab")
        assert (await focused(page)).startswith(expected)


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
async def test_screenshots(open_page: OpenPage, lang: str) -> None:
    page = await open_page(lang=lang)
    for name, path in (
        ("home", "/"),
        ("setup", "/setup?email=someone@qq.com"),
        ("providers", "/providers"),
    ):
        await page.goto(path)
        await pw.expect(page.locator("html")).to_have_attribute("lang", lang)
        await screenshot(page, f"{name}-{lang}")
    await run_test(page, "alice@mail.test", USERS["alice@mail.test"])
    await screenshot(page, f"test-result-{lang}")
