"""The API docs still work under their Content-Security-Policy, in Debian's Chromium.

Swagger UI and ReDoc must render every operation without one CSP violation, except
ReDoc's logo from its CDN, which the policy blocks on purpose (nothing loads from
another origin).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.realservers import serve_app, unavailable

try:
    import playwright.async_api as pw
except ImportError:
    pw = None  # type: ignore[assignment]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`));
"""

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("docs") / "app.log"
    env = {**os.environ, "MAILSETUP_ISPDB_URL": "http://127.0.0.1:9/v1.1/"}
    with serve_app(env, log) as url:
        yield url


async def test_swagger_ui_and_redoc_render_under_their_csp(service: str) -> None:
    if pw is None:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    async with pw.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            swagger, swagger_errors = await _render(browser, service + "/docs", ".opblock")
            redoc, redoc_errors = await _render(
                browser, service + "/redoc", "[data-section-id^='tag/']"
            )
        finally:
            await browser.close()
    assert swagger >= 10
    assert swagger_errors == []
    assert redoc >= 1
    assert [e for e in redoc_errors if "cdn.redoc.ly" not in e] == []


async def _render(browser: Any, url: str, ready: str) -> tuple[int, list[str]]:
    """Open ``url``, wait for ``ready`` (a selector); its count and the console errors."""
    errors: list[str] = []
    page = await browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    await page.add_init_script(REPORT_VIOLATIONS)
    await page.goto(url)
    await page.wait_for_selector(ready, timeout=15_000)
    await page.wait_for_timeout(300)  # late styles and workers
    count: int = await page.locator(ready).count()
    await page.close()
    return count, errors
