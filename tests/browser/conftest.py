"""Fixtures for the browser tests: one app server and one Chromium for the whole session.

Every browser test runs on the session's event loop (``loop_scope="session"``),
so the browser starts once. Without Chromium or playwright the tests skip, and
under CI=true they fail (tests/realservers.py: ``unavailable``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
import pytest_asyncio

from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveApp,
    SlowProxy,
    mail_test_servers,
    make_data_dir,
    pw,
    run_app,
)
from tests.realservers import unavailable
from tests.servers import Certificates, SmtpServers

# Each chunk through the slow proxy waits this long: the IMAP STARTTLS probe then
# takes about a second, several times longer than any other server: on a busy machine the
# first steps reach the page late, and the slow server must still be going well after.
SLOW_DELAY = 0.04

OpenPage = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="session")
def slow_imap(dovecot: dict[str, int]) -> Iterator[SlowProxy]:
    with SlowProxy(dovecot["imap"], SLOW_DELAY) as proxy:
        yield proxy


MailTestApp = Callable[[str, str], AbstractContextManager[LiveApp]]


@pytest.fixture(scope="session")
def mail_test_app(
    tmp_path_factory: pytest.TempPathFactory,
    certs: Certificates,
    dovecot: dict[str, int],
    smtpd: SmtpServers,
    slow_imap: SlowProxy,
) -> MailTestApp:
    """``with mail_test_app(name, nameserver) as app``: the app serving mail.test (the
    local Dovecot and aiosmtpd servers) with its DNS at ``nameserver``."""

    @contextmanager
    def start(name: str, nameserver: str) -> Iterator[LiveApp]:
        servers = mail_test_servers(dovecot, smtpd.starttls, smtpd.implicit, slow_imap.port)
        folder = tmp_path_factory.mktemp(name)
        data = make_data_dir(folder / "data", servers)
        with run_app(data, servers, nameserver, certs.ca_file, folder / "app.log") as app:
            yield app

    return start


@pytest.fixture(scope="session")
def live_app(mail_test_app: MailTestApp, nameserver: str) -> Iterator[LiveApp]:
    with mail_test_app("browser", nameserver) as app:
        yield app


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(live_app: LiveApp) -> AsyncIterator[Any]:
    """Chromium, launched while the app boots."""
    if pw is None:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    async with pw.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def open_page(browser: Any, live_app: LiveApp) -> AsyncIterator[OpenPage]:
    """Open a page in a fresh context: ``await open_page(lang="zh-Hans", javascript=False)``.

    ``lang`` is set as the switcher's cookie. Script errors and console errors or
    warnings fail the test, except those containing one of ``tolerate``.
    """
    live_app.ready()
    contexts: list[Any] = []
    errors: list[str] = []

    async def make(
        lang: str | None = None, javascript: bool = True, tolerate: tuple[str, ...] = ()
    ) -> Any:
        context = await browser.new_context(
            base_url=live_app.url,
            locale="en-US",
            viewport={"width": 1100, "height": 800},
            java_script_enabled=javascript,
            accept_downloads=True,
        )
        contexts.append(context)
        if lang is not None:
            await context.add_cookies([{"name": "lang", "value": lang, "url": live_app.url}])
        page = await context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        page.on("console", lambda msg: errors.extend(_complaint(msg, tolerate)))
        return page

    yield make
    for context in contexts:
        await context.close()
    assert not errors, errors


def _complaint(message: Any, tolerate: tuple[str, ...]) -> list[str]:
    """A console error or warning, unless expected or about the favicon the site lacks."""
    if message.type not in {"error", "warning"}:
        return []
    if message.location.get("url", "").endswith("/favicon.ico"):
        return []
    text = f"console {message.type}: {message.text} ({message.location.get('url')})"
    return [] if any(t in text for t in tolerate) else [text]
