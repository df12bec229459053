""" "Sign in with …" walked in Chromium: the test page offers it in place of the password,
the button leads to a real authorization server (Authlib, on loopback), "Approve" comes
back, and the verdict shows, tested with the token against Dovecot with OAuth2; in
English, 简体中文 and 繁體中文, at 360 and 1280 px. Denying consent comes back too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from tests.browser.harness import LiveApp, make_data_dir, pw, run_app, screenshot
from tests.oauth_as import AuthServer, run_authorization_server
from tests.oauthservers import DovecotOAuth
from tests.realservers import free_tcp_port
from tests.servers import USERS, Certificates
from tests.web.routes.signin_setup import ALICE, CLIENT_ID, signin_provider

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

BUTTON = {"en": "Sign in with Google", "zh-Hans": "通过 Google 登录", "zh-Hant": "透過 Google 登入"}
WIDTHS = (360, 1280)


@pytest.fixture(scope="session")
def signin_auth(oauth_token_map: dict[str, str]) -> Iterator[AuthServer]:
    with run_authorization_server(oauth_token_map, list(USERS)) as server:
        yield server


@pytest.fixture(scope="session")
def signin_app(
    tmp_path_factory: pytest.TempPathFactory,
    certs: Certificates,
    nameserver: str,
    signin_auth: AuthServer,
    dovecot_oauth_session: DovecotOAuth,
) -> Iterator[LiveApp]:
    """The app with mail.test signing in at the authorization server."""
    folder = tmp_path_factory.mktemp("signin")
    data = make_data_dir(folder / "data", ())
    text = signin_provider(signin_auth, dovecot_oauth_session)
    (data / "providers" / "mail.test.toml").write_text(text, encoding="utf-8")
    port = free_tcp_port()
    signin_auth.register_client(CLIENT_ID, f"http://127.0.0.1:{port}/signin/callback")
    env = {"MAILSETUP_OAUTH_GOOGLE_CLIENT_ID": CLIENT_ID}
    with run_app(data, (), nameserver, certs.ca_file, folder / "app.log", env, port) as app:
        app.ready()
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def signin_page(browser: Any, signin_app: LiveApp) -> AsyncIterator[Any]:
    contexts: list[Any] = []
    errors: list[str] = []

    async def make(lang: str, width: int) -> Any:
        context = await browser.new_context(
            base_url=signin_app.url, viewport={"width": width, "height": 800}
        )
        contexts.append(context)
        await context.add_cookies([{"name": "lang", "value": lang, "url": signin_app.url}])
        page = await context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        await context.close()
    assert not errors, errors


async def no_sideways_scrolling(page: Any, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", list(BUTTON))
async def test_sign_in_approve_and_see_the_verdict(
    signin_page: Any, signin_auth: AuthServer, lang: str, width: int
) -> None:
    page = await signin_page(lang, width)
    await page.goto(f"/test?email={ALICE}")
    button = page.get_by_role("button", name=BUTTON[lang])
    await pw.expect(button).to_be_visible()
    await pw.expect(page.locator("#password")).to_have_count(0)  # takes no password
    await no_sideways_scrolling(page, width)
    await screenshot(page, f"signin-offer-{lang}-{width}")
    issued = len(signin_auth.issued)
    await button.click()
    await page.wait_for_url(f"{signin_auth.authorize_url}*")
    await pw.expect(page).to_have_title("Test sign-in")
    await page.get_by_role("button", name="Approve").click()
    report = page.locator("#report[data-state=done]")
    await report.wait_for()
    assert await report.get_attribute("data-outcome") == "all-good"
    assert "/signin/callback" in page.url
    await no_sideways_scrolling(page, width)
    await screenshot(page, f"signin-result-{lang}-{width}")
    ((token, user, _scope),) = signin_auth.issued[issued:]
    assert user == ALICE
    assert token not in await page.content()
    cookies = await page.context.cookies()
    assert "mailsetup_signin" not in {c["name"] for c in cookies}


async def test_denying_consent_comes_back_with_nothing_tested(
    signin_page: Any, signin_auth: AuthServer
) -> None:
    page = await signin_page("zh-Hant", 360)
    await page.goto(f"/test?email={ALICE}")
    issued = len(signin_auth.issued)
    await page.get_by_role("button", name=BUTTON["zh-Hant"]).click()
    await page.get_by_role("button", name="Deny").click()
    error = page.locator("form.tester p.error")
    await pw.expect(error).to_contain_text("你沒有允許存取")
    await pw.expect(page.locator("#report")).to_have_count(0)
    assert len(signin_auth.issued) == issued
    await screenshot(page, "signin-denied-zh-Hant-360")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", list(BUTTON))
async def test_without_a_client_the_page_says_what_is_missing(
    open_page: Any, lang: str, width: int
) -> None:
    """The shipped Outlook.com record offers sign-in; this app has no Microsoft client,
    so the page names the settings and keeps the password field."""
    page = await open_page(lang=lang)
    await page.set_viewport_size({"width": width, "height": 800})
    await page.goto("/test?email=someone@outlook.com")
    note = page.locator("form.tester .sign-in-missing")
    await pw.expect(note.locator("code")).to_contain_text("MAILSETUP_OAUTH_MICROSOFT_CLIENT_ID")
    await pw.expect(page.locator("#password")).to_be_visible()
    await pw.expect(page.locator(".sign-in-button")).to_have_count(0)
    await no_sideways_scrolling(page, width)
    await screenshot(page, f"signin-missing-{lang}-{width}")
