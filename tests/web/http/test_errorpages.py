"""Error pages: a browser gets each error as a page in its language, with the status and
headers of the JSON answer; programs, the API and mail clients' routes keep the JSON."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import HTTPException

from app.main import Service, create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.http import errorpages
from app.web.http.errorpages import TEXTS, prefers_html
from app.web.http.i18n import translations
from app.web.http.security import CSP
from tests.hardening.forms import csrf_token

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_LANGUAGE = {"en": "en-US,en;q=0.9", "zh-Hans": "zh-CN,zh;q=0.9", "zh-Hant": "zh-TW,zh;q=0.9"}
MAX_BODY = 2048
JSON_BODY = {"Content-Type": "application/json"}
STATUSES = sorted(TEXTS)
# Headers that differ between a page and the JSON answer it replaces, or between two requests.
OWN = {"content-type", "content-length", "content-language", "vary", "x-request-id", "retry-after"}
SECURITY_HEADERS = (
    "content-security-policy",
    "cross-origin-opener-policy",
    "referrer-policy",
    "x-content-type-options",
    "x-frame-options",
)

Provoke = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[httpx.Response]]


async def _conflict() -> None:
    raise HTTPException(409, "conflict")


async def _unsupported() -> None:
    raise HTTPException(415, "unsupported")


def _broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


@pytest.fixture
async def app(settings: Settings, db: ProviderDB) -> AsyncIterator[Service]:
    """The real app, plus routes that raise 409 and 415: no page of the site raises those
    today (their routes are under /api/ or answer for themselves)."""
    values = {**settings.model_dump(), "max_body_bytes": MAX_BODY, "rate_limit_discovery": "1/hour"}
    service = create_app(Settings.model_validate(values), db=db)
    for prefix in ("", "/api/v1"):
        service.add_api_route(f"{prefix}/probe/conflict", _conflict)
        service.add_api_route(f"{prefix}/probe/unsupported", _unsupported)
    async with service.router.lifespan_context(service):
        yield service


@pytest.fixture
async def client(app: Service) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://mailsetup.test") as c:
        yield c


async def _form_422(c: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    """The tester's form with an address longer than the form takes."""
    token = csrf_token((await c.get("/test")).text)
    form = {"email": "a" * 400 + "@qq.com", "password": "hunter2", "csrf_token": token}
    return await c.post("/test", data=form, headers=headers)


def _twice(path: str) -> Provoke:
    """A lookup over the limit of one an hour."""

    async def call(c: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        await c.get(path)
        return await c.get(path, headers=headers)

    return call


def _call(path: str, method: str = "GET", content: bytes | None = None, **extra: str) -> Provoke:
    """A request; ``extra`` headers are sent along with the test's."""

    async def call(c: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        return await c.request(method, path, content=content, headers={**headers, **extra})

    return call


# How a page of the site meets each error ("" prefix), and the same under /api/v1.
SITE: dict[int, Provoke] = {
    404: _call("/no-such-page"),
    405: _call("/providers", "POST"),
    409: _call("/probe/conflict"),
    413: _call("/test", "POST", b"x" * (MAX_BODY + 1)),
    415: _call("/probe/unsupported"),
    422: _form_422,
    429: _twice("/setup?email=a@qq.com"),
    500: _call("/providers/qq.com"),
}
API: dict[int, Provoke] = {
    404: _call("/api/v1/no-such-call"),
    405: _call("/api/v1/providers", "POST"),
    409: _call("/api/v1/probe/conflict"),
    413: _call("/api/v1/test", "POST", b"{" + b" " * MAX_BODY + b"}", **JSON_BODY),
    415: _call("/api/v1/test", "POST", b"{}"),  # not declared as JSON
    422: _call("/api/v1/lookup"),
    429: _twice("/api/v1/lookup?email=a@qq.com"),
    500: _call("/api/v1/providers/qq.com"),
}


async def provoke(
    c: httpx.AsyncClient,
    routes: dict[int, Provoke],
    status: int,
    headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> httpx.Response:
    if status == 500:
        monkeypatch.setattr(ProviderDB, "get", _broken)
    try:
        r = await routes[status](c, headers)
    finally:
        monkeypatch.undo()
    assert r.status_code == status, r.text
    return r


def _h1(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert found, "the page has no heading"
    return found.group(1).strip()


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
@pytest.mark.parametrize("status", STATUSES)
async def test_each_error_is_a_page_in_the_visitors_language(
    client: httpx.AsyncClient, status: int, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = {"Accept": BROWSER, "Accept-Language": ACCEPT_LANGUAGE[lang]}
    page = await provoke(client, SITE, status, browser, monkeypatch)
    gettext = translations(lang).gettext
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == lang
    assert "accept" in {v.strip().lower() for v in page.headers["vary"].split(",")}
    html = page.text
    assert f'<html lang="{lang}">' in html
    assert '<header class="site">' in html
    nav = gettext("Set up an address")
    assert nav in html
    if lang != "en":
        assert re.search(r"[\u4e00-\u9fff]", nav), "the site header is in Chinese"
    assert _h1(html) == gettext(TEXTS[status][0])
    assert '"detail"' not in html
    assert '<a href="/">' in html
    assert ('<a href="/providers">' in html.split("<main", 1)[1]) == (status == 404)
    if status == 429:  # when to try again
        retry = re.escape(gettext("You can try again in %(time)s.")).replace("%\\(time\\)s", ".+")
        assert re.search(retry, html), retry
    if status == 500:
        assert page.headers["x-request-id"] in html

    programs = await provoke(client, SITE, status, {"Accept": "application/json"}, monkeypatch)
    kind = "text/plain" if status == 500 else "application/json"
    assert programs.headers["content-type"].startswith(kind)
    assert {k: v for k, v in page.headers.items() if k not in OWN} == {
        k: v for k, v in programs.headers.items() if k not in OWN
    }
    assert ("retry-after" in page.headers) == ("retry-after" in programs.headers) == (status == 429)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html;q=0.5, */*"])
async def test_programs_keep_todays_answers(
    client: httpx.AsyncClient, status: int, accept: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Accept": accept} if accept else {}
    r = await provoke(client, SITE, status, headers, monkeypatch)
    if status == 500:
        assert r.headers["content-type"].startswith("text/plain")
        assert r.text == "Internal Server Error"
    else:
        assert r.headers["content-type"] == "application/json"
        assert "detail" in r.json()
    assert "content-language" not in r.headers
    if r.headers.get("cache-control") != "no-store":  # the edge's refusals are never cached
        vary = {v.strip().lower() for v in r.headers.get("vary", "").split(",")}
        assert "accept" in vary, "a cache must not give this answer to a browser"


@pytest.mark.parametrize("status", STATUSES)
async def test_the_api_keeps_json_for_browsers(
    client: httpx.AsyncClient, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = await provoke(client, API, status, {"Accept": BROWSER}, monkeypatch)
    kind = "text/plain" if status == 500 else "application/json"
    assert r.headers["content-type"].startswith(kind)


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/mail/config-v1.1.xml?emailaddress=a@bad..name", {}),
        ("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=" + "a" * 400 + "@qq.com", {}),
        ("/v1.1/bad..name", {}),
        ("/mail/config-v1.1.xml", {"Host": "localhost:8000"}),
        ("/v1.1/qq.com", {"If-None-Match": '"' + "x" * 1100 + '"'}),
    ],
)
async def test_autoconfig_keeps_its_json_422_for_browsers(
    client: httpx.AsyncClient, path: str, extra: dict[str, str]
) -> None:
    r = await client.get(path, headers={"Accept": BROWSER, **extra})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/json"
    assert "detail" in r.json()


async def test_mail_clients_keep_their_documents(client: httpx.AsyncClient) -> None:
    autoconfig = await client.get(
        "/mail/config-v1.1.xml?emailaddress=a@no-such-provider.test", headers={"Accept": BROWSER}
    )
    assert autoconfig.status_code == 404
    assert autoconfig.headers["content-type"].startswith("text/plain")
    xml = {"Accept": BROWSER, "Content-Type": "text/xml"}
    outlook = await client.post("/AutoDiscover/AutoDiscover.xml", content=b"<x/>", headers=xml)
    assert outlook.headers["content-type"].startswith(("text/xml", "application/xml"))


async def test_head_keeps_todays_answer(client: httpx.AsyncClient) -> None:
    r = await client.head("/no-such-page", headers={"Accept": BROWSER})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-length"] == str(len(b'{"detail":"Not Found"}'))


async def test_a_chunked_body_over_the_cap_is_a_page(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b"x" * 500

    form = "application/x-www-form-urlencoded"
    headers = {"Accept": BROWSER, "Accept-Language": "zh-TW", "Content-Type": form}
    r = await client.post("/test", content=chunks(), headers=headers)
    assert r.status_code == 413
    assert r.headers["content-language"] == "zh-Hant"
    assert r.headers["cache-control"] == "no-store"
    assert _h1(r.text) == translations("zh-Hant").gettext(TEXTS[413][0])


async def test_the_422_page_shows_nothing_that_was_sent(client: httpx.AsyncClient) -> None:
    r = await _form_422(client, {"Accept": BROWSER})
    assert r.status_code == 422
    assert "hunter2" not in r.text
    assert "a" * 400 not in r.text


async def test_a_500_page_has_the_headers_of_a_200_and_the_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Accept": BROWSER, "X-Request-ID": "crash-page"}
    fine = await client.get("/providers/qq.com", headers=headers)
    monkeypatch.setattr(ProviderDB, "get", _broken)
    crashed = await client.get("/providers/qq.com", headers=headers)
    assert (fine.status_code, crashed.status_code) == (200, 500)
    assert crashed.headers["content-type"].startswith("text/html")
    ours = {h: fine.headers[h] for h in SECURITY_HEADERS}
    assert {h: crashed.headers.get(h) for h in SECURITY_HEADERS} == ours
    assert ours["content-security-policy"] == CSP
    assert crashed.headers["x-request-id"] == "crash-page"
    assert "crash-page" in crashed.text
    assert "your fault" not in _h1(crashed.text).lower()


async def test_a_500_page_that_fails_falls_back_to_text(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ProviderDB, "get", _broken)
    monkeypatch.setattr(errorpages, "render", _broken)
    r = await client.get("/providers/qq.com", headers={"Accept": BROWSER})
    assert r.status_code == 500
    assert r.text == "Internal Server Error"
    assert "x-request-id" in r.headers


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("text/*", True),
        ("text/html, application/json", False),  # a tie keeps the JSON
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("application/json, text/html;q=0.9", False),
        ("text/html;q=0.9, application/json;q=0.8", True),
        ("text/html;q=0, */*", False),  # the most specific range counts
        ("*/*;q=0.5, text/*;q=0.1", False),
        ("TEXT/HTML", True),
        ("text/html;q=2", False),  # malformed qualities are dropped
        ("text/html;q=abc, */*;q=0.1", False),
        ("text/html;level=1;q=0.8, application/*;q=0.3", True),
        ("message/rfc822, text/plain", False),
    ],
)
def test_prefers_html(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html
