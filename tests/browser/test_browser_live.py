"""The live tester in Chromium, against the local Dovecot and aiosmtpd.

mail.test has six servers; its IMAP STARTTLS one sits behind a slow proxy, so the
report takes about a second while the other five finish sooner: long enough
to see that the page shows steps and verdicts as they arrive, not all at the end.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import OpenPage
from tests.browser.harness import LiveApp, pw, run_test, screenshot
from tests.servers import USERS, WRONG_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ALICE = "alice@mail.test"

# Records what the report holds after every change to the page, with a timestamp.
RECORD = """() => {
  window.seen = [];
  const start = performance.now();
  const count = (selector) => document.querySelectorAll(selector).length;
  new MutationObserver(() => window.seen.push({
    t: performance.now() - start,
    steps: count("#report ol.steps-run li"),
    verdicts: count("#report article.server:not([data-verdict=pending])"),
    bars: count("#report figure.timeline svg.timeline rect.bar"),
    done: document.querySelector("#report[data-state=done]") !== null,
  })).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def lane_labels(live_app: LiveApp) -> list[str]:
    return [f"{p.upper()} {port} {s.upper()}" for p, _, port, s in live_app.servers]


async def check_report(page: Any, live_app: LiveApp, verdict: str, label: str) -> None:
    """Six servers with ``verdict``, a timeline bar per step, and folded transcripts."""
    articles = page.locator("#report article.server")
    await pw.expect(articles).to_have_count(6)
    assert await articles.evaluate_all("a => a.map(e => e.dataset.verdict)") == [verdict] * 6
    await pw.expect(articles.locator(".verdict")).to_have_text([label] * 6)
    svg = page.locator("#report figure.timeline svg.timeline")
    await pw.expect(svg).to_have_attribute("role", "img")
    aria = await svg.get_attribute("aria-label")
    assert aria.startswith("Timeline of the test: " + lane_labels(live_app)[0] + ": ")
    lanes = svg.locator("g.lane")
    await pw.expect(lanes).to_have_count(6)
    await pw.expect(lanes.locator("text.lane-label")).to_have_text(lane_labels(live_app))
    assert (
        await lanes.evaluate_all("g => g.map(e => e.getAttribute('class'))")
        == [f"lane verdict-{verdict}"] * 6
    )
    steps = await articles.locator("ol.steps-run li").count()
    assert steps >= 6 * 3
    await pw.expect(svg.locator("rect.bar")).to_have_count(steps)
    await pw.expect(svg.locator("g.step title").first).to_have_text(
        re.compile(r"^connect — \d+ ms$")
    )
    # The list narrow screens show instead (hidden at this width) holds the same steps.
    rows = page.locator("#report figure.timeline ol.timeline-rows")
    await pw.expect(rows.locator(".lane-label")).to_have_text(lane_labels(live_app))
    await pw.expect(rows.locator("li.step")).to_have_count(steps)
    await pw.expect(rows.locator("li.step .ms").first).to_have_text(re.compile(r"^\d+ ms$"))
    # Each transcript starts folded away and opens with a click.
    transcript = articles.first.locator("details.transcript")
    await pw.expect(transcript.locator("code")).to_be_hidden()
    await transcript.locator("summary").click()
    await pw.expect(transcript.locator("code")).to_be_visible()
    await pw.expect(transcript.locator("code")).to_contain_text("* OK")
    await pw.expect(transcript.locator("code")).to_contain_text("********")


async def test_the_report_streams_in(open_page: OpenPage, live_app: LiveApp) -> None:
    page = await open_page()
    await page.goto("/test")
    await page.evaluate(RECORD)
    await page.get_by_label("Email address", exact=True).fill(ALICE)
    await page.get_by_label("Password, authorization code or app password").fill(USERS[ALICE])
    await page.get_by_role("button", name="Run the test").click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
    assert page.url.endswith("/test")  # sent by the script, not posted

    seen = await page.evaluate("window.seen")
    first_step = next(s for s in seen if s["steps"])
    first_verdict = next(s for s in seen if s["verdicts"])
    done = next(s for s in seen if s["done"])
    assert not first_step["done"]
    assert first_step["bars"] == first_step["steps"]  # the timeline grows with the list
    assert not first_verdict["done"]
    assert first_verdict["verdicts"] < 6
    # The slow server was still going long after the first steps were on the page.
    assert done["t"] - first_step["t"] > 200, (first_step, done)
    assert len({s["steps"] for s in seen if not s["done"]}) >= 5

    await pw.expect(page.locator("#report-h")).to_have_text("Everything works")
    await pw.expect(page.locator("#report .summary")).to_contain_text("6 servers tested in")
    await screenshot(page.locator("#report figure.timeline"), "timeline-en")
    await check_report(page, live_app, "green", "Works")
    assert USERS[ALICE] not in await page.content()
    # Ready to test again: the password stays in its field, never in the page's HTML.
    await pw.expect(page.locator("#password")).to_have_value(USERS[ALICE])
    await pw.expect(page.locator("form.tester button[type=submit]")).to_have_text("Test again")


FOXMAIL_DONE = {
    "en": "Receiving and sending work. Go back to Foxmail and click “创建” (Create).",
    "zh-Hans": "收信和发信都正常。回到 Foxmail，点击“创建”。",
    "zh-Hant": "收信和寄信都正常。回到 Foxmail，點選「创建」（建立）。",
}
TEST_AGAIN = {"en": "Test again", "zh-Hans": "再测一次", "zh-Hant": "再測一次"}


@pytest.mark.parametrize("lang", list(FOXMAIL_DONE))
async def test_from_the_settings_to_a_verdict_and_back(
    open_page: OpenPage, live_app: LiveApp, lang: str
) -> None:
    """Arriving from the settings for Foxmail: the verdict says what to click in Foxmail,
    the form keeps everything for another test (the password too), and a link goes back
    to the settings of the address and app just tested."""
    page = await open_page(lang=lang)
    await page.goto("/test?email=alice%40mail.test&client=foxmail")
    await pw.expect(page.locator("#email")).to_have_value(ALICE)
    back = page.locator("#back-to-settings")
    await pw.expect(back).to_be_hidden()
    await page.locator("#password").fill(USERS[ALICE])
    await page.locator("form.tester button[type=submit]").click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
    assert page.url.endswith("/test?email=alice%40mail.test&client=foxmail")  # no page load
    await pw.expect(page.locator("#report-h")).to_have_text(FOXMAIL_DONE[lang])
    button = page.locator("form.tester button[type=submit]")
    await pw.expect(button).to_have_text(TEST_AGAIN[lang])
    await pw.expect(page.locator("#password")).to_have_value(USERS[ALICE])
    await pw.expect(page.locator("#email")).to_have_value(ALICE)
    await pw.expect(back).to_be_visible()
    await pw.expect(back).to_have_attribute("href", "/setup?email=alice%40mail.test&client=foxmail")
    assert USERS[ALICE] not in await page.content()
    await screenshot(page, f"test-again-foxmail-{lang}")
    # Test again, as it stands: the report is drawn anew.
    await page.evaluate("document.getElementById('report').dataset.state = 'old'")
    await button.click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
    await pw.expect(page.locator("#report")).to_have_count(1)
    await pw.expect(page.locator("#report-h")).to_have_text(FOXMAIL_DONE[lang])
    # A different address, then back: the link follows what was tested last.
    await page.locator("#email").fill("bob@mail.test")
    await page.locator("#password").fill(WRONG_PASSWORD)
    await button.click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
    await pw.expect(page.locator("#report")).to_have_attribute("data-outcome", "all-failed")
    await pw.expect(back).to_have_attribute("href", "/setup?email=bob%40mail.test&client=foxmail")


async def test_a_wrong_password_is_red_with_a_fix(open_page: OpenPage, live_app: LiveApp) -> None:
    page = await open_page()
    await run_test(page, ALICE, WRONG_PASSWORD)
    await pw.expect(page.locator("#report-h")).to_have_text("Every server failed the test")
    await pw.expect(page.locator("#report")).to_have_attribute("data-outcome", "all-failed")
    await check_report(page, live_app, "red", "Failed")
    # One thing to fix first, under the headline: every server refused the password.
    lead = page.locator("#report p.diagnosis")
    await pw.expect(lead).to_have_count(1)
    await pw.expect(lead.locator("strong")).to_contain_text("refused the user name or password")
    await pw.expect(lead).to_contain_text("Fix:")
    for article in await page.locator("#report article.server").all():
        finding = article.locator("li.finding.severity-error").first
        await pw.expect(finding).to_contain_text("Fix:")


async def test_a_service_cut_off_from_the_mail_servers_says_so(open_page: OpenPage) -> None:
    """qq.com's servers come from the shipped database, and the app's DNS (dnsmasq, with
    nowhere to forward) refuses every name outside .test: the service's fault, said so."""
    page = await open_page()
    await run_test(page, "someone@qq.com", "an authorization code")
    await pw.expect(page.locator("#report-h")).to_have_text("We could not test your settings")
    await pw.expect(page.locator("#report")).to_have_attribute("data-outcome", "not-tested")
    articles = page.locator("#report article.server")
    count = await articles.count()
    assert count >= 2
    await pw.expect(articles.locator(".verdict")).to_have_text(["Not tested"] * count)
    await pw.expect(articles.locator("li.finding")).to_have_text(
        [re.compile("^We can't reach the mail servers right now")] * count
    )
    assert "spelling" not in await page.locator("#report").inner_text()
    await screenshot(page.locator("#report"), "test-offline-en")


async def test_without_javascript_the_server_draws_the_same_report(
    open_page: OpenPage, live_app: LiveApp
) -> None:
    page = await open_page(javascript=False)
    await page.goto("/test")
    await page.get_by_label("Email address", exact=True).fill(ALICE)
    await page.get_by_label("Password, authorization code or app password").fill(USERS[ALICE])
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name="Run the test").click()
    response = await navigation.value
    assert response.request.method == "POST"  # the form itself was posted
    assert response.url.endswith("/test")
    await pw.expect(page.locator("#report-h")).to_have_text("Everything works")
    await check_report(page, live_app, "green", "Works")
    # The form again, all but the password, which its hint asks for.
    await pw.expect(page.get_by_label("Email address", exact=True)).to_have_value(ALICE)
    await pw.expect(page.locator("#password")).to_have_value("")
    await pw.expect(page.locator("#password")).to_have_accessible_description(
        "We never keep your password: type it again for each test."
    )
    await pw.expect(page.get_by_role("button", name="Test again")).to_be_visible()
    back = page.get_by_role("link", name="Back to the settings")
    await pw.expect(back).to_have_attribute("href", "/setup?email=alice%40mail.test")


async def test_mistakes_are_explained_on_the_page(open_page: OpenPage) -> None:
    # The API refuses the address (422): the script shows why, and nothing is reported.
    page = await open_page(tolerate=("status of 422",))
    await page.goto("/test")
    await page.get_by_label("Email address", exact=True).fill("no-at-sign")
    await page.get_by_label("Password, authorization code or app password").fill("x")
    await page.get_by_role("button", name="Run the test").click()
    await pw.expect(page.get_by_role("alert")).to_contain_text("has no @")
    await pw.expect(page.locator("#report")).to_have_count(0)
    await pw.expect(page.get_by_role("button", name="Run the test")).to_be_enabled()
    # A server line the script cannot read goes to the server's page, which explains it.
    await page.get_by_label("Email address", exact=True).fill(ALICE)
    await page.get_by_label("Password, authorization code or app password").fill("x")
    await page.get_by_text("Advanced").click()
    await page.get_by_label("Servers to test instead").fill("imap:mail.test:notaport:tls")
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name="Run the test").click()
    response = await navigation.value
    assert response.request.method == "POST"
    assert response.status == 422
    await pw.expect(page.get_by_role("alert")).to_contain_text("the port must be a number")


UNUSABLE_PASSWORD = {
    "en": "The password contains a line break, a tab or another character",
    "zh-Hans": "密码中有换行符、制表符或其他无法发送给邮件服务器的字符",
    "zh-Hant": "密碼中有換行字元、定位字元或其他無法傳送給郵件伺服器的字元",
}


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
async def test_a_password_with_a_control_character_is_explained_in_the_pages_language(
    open_page: OpenPage, lang: str, javascript: bool
) -> None:
    """A pasted tab in the password: the API's 422 (with the script) and the form's page
    (without) both name the field in the visitor's language, and no test runs."""
    page = await open_page(lang=lang, javascript=javascript, tolerate=("status of 422",))
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto("/test")
    await page.locator("#email").fill(ALICE)
    await page.locator("#password").fill("pass\tword")
    await page.locator("form.tester button[type=submit]").click()
    await pw.expect(page.get_by_role("alert")).to_contain_text(UNUSABLE_PASSWORD[lang])
    await pw.expect(page.locator("#report")).to_have_count(0)
    assert "pass\tword" not in await page.content()
    overflow = await page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"{overflow} px of sideways scrolling at 360 px"
    if javascript:
        await screenshot(page, f"test-unusable-{lang}-360")


LISTED_TWICE = {"en": "is listed twice", "zh-Hans": "列出了两次", "zh-Hant": "列出了兩次"}


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
async def test_a_server_listed_twice_is_explained_in_the_pages_language(
    open_page: OpenPage, live_app: LiveApp, lang: str, javascript: bool
) -> None:
    """The same server twice (its name written two ways): no test runs, and the page says
    why in the visitor's language, with the script as without it."""
    page = await open_page(lang=lang, javascript=javascript, tolerate=("status of 422",))
    await page.goto("/test")
    await page.locator("#email").fill(ALICE)
    await page.locator("#password").fill("x")
    await page.locator("details.advanced summary").click()
    _, host, port, _ = live_app.servers[0]
    lines = f"imap:{host}:{port}:tls\nIMAP:{host.upper()}.:{port}:TLS"
    await page.locator("textarea[name=servers]").fill(lines)
    await page.locator("form.tester button[type=submit]").click()
    await pw.expect(page.get_by_role("alert")).to_contain_text(LISTED_TWICE[lang])
    await pw.expect(page.locator("#report")).to_have_count(0)


async def test_an_ipv6_server_line_runs_in_the_page(open_page: OpenPage) -> None:
    """The script reads "[2001:db8::1]" as the API does; the guard refuses the
    documentation address, and the report says so without a page load."""
    page = await open_page()
    await page.goto("/test")
    await page.locator("#email").fill(ALICE)
    await page.locator("#password").fill("x")
    await page.get_by_text("Advanced").click()
    await page.get_by_label("Servers to test instead").fill("imap:[2001:db8::1]:993:tls")
    await page.locator("form.tester button[type=submit]").click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
    assert page.url.endswith("/test")
    article = page.locator("#report article.server")
    await pw.expect(article).to_have_count(1)
    await pw.expect(article).to_have_attribute("data-verdict", "red")
    await pw.expect(article).to_contain_text("2001:db8::1")


# An unencrypted POP3 (APOP logs in, amber) and an IMAPS port tested as STARTTLS (red,
# found by the TLS handshake beside the silent greeting), in each language and width.
FINDINGS = {
    "en": ("Some servers need attention", "is not encrypted", "expects SSL/TLS"),
    "zh-Hans": ("部分服务器需要处理", "连接未加密", "要求从一开始就使用 SSL/TLS"),
    "zh-Hant": ("部分伺服器需要處理", "連線未加密", "要求從一開始就使用 SSL/TLS"),
}


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", list(FINDINGS))
async def test_warnings_and_wrong_ports_in_the_pages_language(
    open_page: OpenPage, dovecot: dict[str, int], lang: str, width: int
) -> None:
    headline, unencrypted, needs_tls = FINDINGS[lang]
    page = await open_page(lang=lang)
    await page.set_viewport_size({"width": width, "height": 900})
    await page.goto("/test")
    await page.locator("details.advanced summary").click()
    await page.locator("#servers").fill(
        f"pop3:mail.test:{dovecot['pop3']}:none\nimap:mail.test:{dovecot['imaps']}:starttls"
    )
    await page.locator("#email").fill(ALICE)
    await page.locator("#password").fill(USERS[ALICE])
    await page.locator("form.tester button[type=submit]").click()
    await page.locator("#report[data-state=done]").wait_for(timeout=30_000)
    await pw.expect(page.locator("#report-h")).to_have_text(headline)
    articles = page.locator("#report article.server")
    assert await articles.evaluate_all("a => a.map(e => e.dataset.verdict)") == ["amber", "red"]
    await pw.expect(articles.nth(0).locator("li.finding")).to_contain_text(unencrypted)
    await pw.expect(articles.nth(1).locator("li.finding")).to_contain_text(needs_tls)
    overflow = await page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"{overflow} px of sideways scrolling at {width} px"
    await screenshot(page, f"test-findings-{lang}-{width}")
