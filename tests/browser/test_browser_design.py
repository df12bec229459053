"""The look in Chromium: every page in every language on a phone and a desktop fits its
window, draws Chinese with the right regional fonts, follows the dark scheme, passes
axe-core's accessibility rules, and keeps its header compact (a menu button on phones
that works without JavaScript)."""

from __future__ import annotations

import re

import pytest

from tests.browser import axe
from tests.browser.conftest import OpenPage
from tests.browser.harness import pw, run_test, screenshot
from tests.browser.test_browser_live import ALICE
from tests.servers import USERS

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PAGES = {
    "home": "/",
    "setup": "/setup?email=someone@qq.com",
    "setup-app": "/setup?email=someone@qq.com&client=foxmail",
    "providers": "/providers",
    "provider": "/providers/qq.com",
    "test": "/test",
    "domains": "/domains",
    "domain-records": "/domains?domain=mail.test",
    "domain-owner": "/domains?domain=owner.test&servers=imap:mail.owner.test:993:tls%0A"
    "smtp:mail.owner.test:465:tls",
    "learn": "/learn",
    "unknown-domain": "/setup?email=someone@nowhere.test&wait=1",
    "unknown-typo": "/setup?email=someone@gmial.com&wait=1",
    "provider-missing": "/providers/no-such.example",
    "not-found": "/no-such-page",
}
LANGS = ("en", "zh-Hans", "zh-Hant")
WIDTHS = (360, 1280)
DARK = ("home", "setup-app", "providers", "domain-records")

# CJK faces by the script they draw; the first CJK face named decides how Chinese looks.
SIMPLIFIED = re.compile(r"\bSC\b|YaHei|Hiragino Sans GB|WenQuanYi")
TRADITIONAL = re.compile(r"\bTC\b|\bHK\b|JhengHei")
EXPECTED = {"zh-Hans": SIMPLIFIED, "zh-Hant": TRADITIONAL}

BODY_TEXT = "(document.querySelector('main p') || document.body)"
LUMINANCE = """color => {
  const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def first_cjk_face(family: str) -> str | None:
    for face in (f.strip().strip("\"'") for f in family.split(",")):
        if SIMPLIFIED.search(face) or TRADITIONAL.search(face):
            return face
    return None


async def body_luminance(page: pw.Page) -> float:
    colour = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    luminance: float = await page.evaluate(f"({LUMINANCE})({colour!r})")
    return luminance


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(PAGES))
async def test_every_page_fits_and_uses_the_languages_fonts(
    open_page: OpenPage, name: str, lang: str
) -> None:
    page = await open_page(lang=lang, tolerate=("404 (Not Found)",))
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(PAGES[name])
        await pw.expect(page.locator("header.site")).to_be_visible()
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide in a {width} px window ({lang})"
        family = await page.evaluate(f"getComputedStyle({BODY_TEXT}).fontFamily")
        face = first_cjk_face(family)
        if lang in EXPECTED:
            assert face is not None, f"{lang}: no CJK face in {family}"
            assert EXPECTED[lang].search(face), f"{lang}: {family}"
        assert await body_luminance(page) > 0.9, "the light scheme has a light page"
        await screenshot(page, f"design-{name}-{lang}-{width}")
        found = await axe.violations(page)
        assert not found, f"{name} {lang} {width} px:\n{axe.report(found)}"
        if name in DARK:
            await page.emulate_media(color_scheme="dark")
            assert await body_luminance(page) < 0.15, "the dark scheme has a dark page"
            text = await page.evaluate("getComputedStyle(document.body).color")
            assert await page.evaluate(f"({LUMINANCE})({text!r})") > 0.7, "light text on it"
            await screenshot(page, f"design-{name}-{lang}-{width}-dark")
            found = await axe.violations(page)
            assert not found, f"{name} {lang} {width} px, dark:\n{axe.report(found)}"
            await page.emulate_media(color_scheme="light")


@pytest.mark.parametrize("lang", LANGS)
async def test_inputs_and_buttons_use_the_pages_font(open_page: OpenPage, lang: str) -> None:
    page = await open_page(lang=lang)
    await page.goto("/test")
    body = await page.evaluate("getComputedStyle(document.body).fontFamily")
    for selector in ("#email", "form.tester button[type=submit]", "textarea"):
        family = await page.locator(selector).first.evaluate("e => getComputedStyle(e).fontFamily")
        assert family == body, f"{selector}: {family}"


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
async def test_the_phone_menu_opens_and_the_desktop_header_is_one_row(
    open_page: OpenPage, javascript: bool
) -> None:
    page = await open_page(lang="zh-Hant", javascript=javascript)
    await page.set_viewport_size({"width": 360, "height": 800})
    await page.goto("/providers")
    menu = page.locator("header.site details.menu > summary")
    main_nav = page.get_by_role("navigation", name="主選單")
    switcher = page.locator("header.site nav.langs")
    await pw.expect(menu).to_be_visible()
    await pw.expect(switcher).to_be_hidden()
    brand, button = page.locator("header.site .brand"), menu
    brand_box, button_box = await brand.bounding_box(), await button.bounding_box()
    assert brand_box is not None
    assert button_box is not None
    assert abs(brand_box["y"] - button_box["y"]) < 16, "the brand and the menu share a row"
    await menu.click()
    await pw.expect(switcher).to_be_visible()
    await pw.expect(switcher.locator("a[aria-current=true]")).to_have_text("繁體中文")
    await pw.expect(main_nav.get_by_role("link", name="服務商")).to_be_visible()
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 360, f"the open menu makes the page {wide} px wide"
    await screenshot(page, f"design-menu-open-zh-Hant-360-{'js' if javascript else 'nojs'}")

    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.reload()
    await pw.expect(menu).to_be_hidden()
    await pw.expect(switcher).to_be_visible()
    tops = await page.locator("header.site .brand, header.site nav").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert max(tops) - min(tops) < 16, f"the header wraps on a desktop: {tops}"
    header = await page.locator("header.site").bounding_box()
    assert header is not None
    assert header["height"] < 80


# The size each text of a figure's SVG is drawn at, in CSS px, after the SVG's scaling.
DRAWN_SIZES = """f => {
  const svg = f.querySelector('svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(
    t => parseFloat(getComputedStyle(t).fontSize) * scale);
}"""


async def readable_on_a_phone(page: pw.Page, figure: pw.Locator) -> None:
    """The figure's text is drawn at 12 px or more, and the page does not scroll sideways."""
    await pw.expect(figure).to_be_visible()
    sizes = await figure.evaluate(DRAWN_SIZES)
    assert sizes
    assert min(sizes) >= 12, f"text drawn at {min(sizes):.1f} px"
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 360, f"the page is {wide} px wide"


ROW_TEXT_SIZES = """list => [...list.querySelectorAll('.lane-head span, li.step span')].map(
  e => parseFloat(getComputedStyle(e).fontSize))"""


@pytest.mark.parametrize("lang", LANGS)
async def test_the_report_reads_down_a_phone_and_passes_axe(open_page: OpenPage, lang: str) -> None:
    """On a phone the timeline is a list, time running down, every step's name and
    duration in text of 12 px or more; on a desktop it is the SVG. axe finds nothing
    wrong with the report at either width, streamed or rendered by the server (the
    tester's script blocked, so that the form posts; axe itself needs JavaScript)."""
    for streamed in (True, False):
        page = await open_page(lang=lang, tolerate=("net::ERR_FAILED",))
        if not streamed:
            await page.route("**/static/tester.js", lambda route: route.abort())
        await page.set_viewport_size({"width": 360, "height": 900})
        await run_test(page, ALICE, USERS[ALICE])
        figure = page.locator("#report figure.timeline")
        rows, picture = figure.locator("ol.timeline-rows"), figure.locator("svg.timeline")
        await pw.expect(rows).to_be_visible()
        await pw.expect(picture).to_be_hidden()
        steps = rows.locator("li.step")
        assert await steps.count() == await page.locator("#report article.server ol li").count()
        await pw.expect(steps.first.locator(".ms")).to_have_text(re.compile(r"\d"))
        sizes = await rows.evaluate(ROW_TEXT_SIZES)
        assert sizes
        assert min(sizes) >= 12, f"text at {min(sizes)} px"
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 360, f"the report is {wide} px wide"
        mode = "streamed" if streamed else "server"
        await screenshot(figure, f"design-timeline-{lang}-360-{mode}")
        found = await axe.violations(page)
        assert not found, f"report {lang} 360 px {mode}:\n{axe.report(found)}"
        await page.set_viewport_size({"width": 1280, "height": 900})
        await pw.expect(rows).to_be_hidden()
        await pw.expect(picture).to_be_visible()
        found = await axe.violations(page)
        assert not found, f"report {lang} 1280 px {mode}:\n{axe.report(found)}"


async def test_the_pop3_diagram_keeps_its_text_readable_on_a_phone(open_page: OpenPage) -> None:
    page = await open_page(lang="zh-Hant")
    await page.set_viewport_size({"width": 360, "height": 900})
    await page.goto("/learn")
    await readable_on_a_phone(page, page.locator("figure.diagram").first)
