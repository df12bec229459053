"""Security headers on every response, a CSP the pages keep, HSTS only over TLS, and CSRF
tokens on form posts."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from app import metrics
from app.main import create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.http.security import CSP, CsrfSigner
from app.web.http.state import AppState
from tests.hardening.conftest import MakeClient
from tests.hardening.forms import csrf_token, post_form
from tests.web.routes.test_clientconfig import XML, request

PAGES = [
    "/",
    "/setup?email=someone@qq.com",
    "/setup?email=nobody@nowhere.test",
    "/test",
    "/providers",
    "/providers/qq.com",
    "/providers/no-such-provider",
    "/learn",
    "/domains",
    "/domains?domain=qq.com",
]
OTHERS = [
    ("GET", "/api/v1/lookup?email=a@qq.com"),
    ("GET", "/api/v1/lookup"),  # 422
    ("GET", "/nowhere"),  # 404
    ("GET", "/static/style.css"),
    ("GET", "/lang/zh-Hans?next=/"),  # redirect
    ("GET", "/mail/config-v1.1.xml?emailaddress=a@qq.com"),
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("POST", "/api/v1/test"),  # 415: not JSON
]
FORM = {"email": "alice@mail.test", "password": "x", "servers": "imap:192.0.2.1:993:tls"}
COOKIE = "mailsetup_csrf"


def probes_counted() -> float:
    return sum(
        s.value
        for m in metrics.TEST_RESULTS.collect()
        for s in m.samples
        if s.name.endswith("_total")
    )


def assert_common(r: httpx.Response) -> None:
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_have_the_strict_csp_and_nothing_inline(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code in (200, 404), r.text
    assert_common(r)
    assert r.headers["content-security-policy"] == CSP
    assert "unsafe-inline" not in CSP
    assert "strict-transport-security" not in r.headers
    html = r.text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # no inline script
    assert "<style" not in html
    assert re.findall(r"\sstyle\s*=", html) == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []  # no event handler attributes
    assert "javascript:" not in html


@pytest.mark.parametrize(("method", "path"), OTHERS)
async def test_every_response_has_the_headers(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    r = await client.request(method, path)
    assert_common(r)
    assert r.headers["content-security-policy"] == CSP


SECURITY_HEADERS = (
    "content-security-policy",
    "cross-origin-opener-policy",
    "referrer-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
)
# A route of each kind, and what to break so that its endpoint raises.
CRASHES = [
    ("GET", "/mail/config-v1.1.xml?emailaddress=a@qq.com", None, AppState, "autoconfig"),
    ("POST", "/autodiscover/autodiscover.xml", request("a@qq.com"), AppState, "autodiscover"),
    ("GET", "/api/v1/providers/qq.com", None, ProviderDB, "get"),
    ("GET", "/providers/qq.com", None, ProviderDB, "get"),  # a page
]


@pytest.mark.parametrize(("method", "path", "body", "owner", "name"), CRASHES)
async def test_a_crash_is_a_500_with_the_headers_of_a_200(
    settings: Settings,
    db: ProviderDB,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    body: bytes | None,
    owner: type,
    name: str,
) -> None:
    """Through create_app's own wiring: an endpoint that raises gets the server's 500 with
    the security headers and the request id, on the lean routes as on every other."""
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {**(XML if body else {}), "X-Request-ID": "crash-test"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="https://mailsetup.test") as c,
    ):
        fine = await c.request(method, path, content=body, headers=headers)

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(owner, name, broken)
        crashed = await c.request(method, path, content=body, headers=headers)
    assert (fine.status_code, crashed.status_code) == (200, 500)
    assert crashed.text == "Internal Server Error"
    ours = {h: fine.headers[h] for h in SECURITY_HEADERS}
    assert {h: crashed.headers.get(h) for h in SECURITY_HEADERS} == ours
    assert ours["content-security-policy"] == CSP
    assert crashed.headers["x-request-id"] == fine.headers["x-request-id"] == "crash-test"


def _hashes(html: str, tag: str) -> list[str]:
    bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in bodies
    ]


async def test_the_docs_allow_their_own_inline_code_only(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    csp = docs.headers["content-security-policy"]
    assert_common(docs)
    scripts = _hashes(docs.text, "script")
    assert len(scripts) == 1
    assert f"script-src 'self' {scripts[0]};" in csp
    assert "unsafe" not in csp
    assert "http" not in csp  # nothing from another origin
    redoc = await client.get("/redoc")
    csp = redoc.headers["content-security-policy"]
    assert "script-src 'self';" in csp  # ReDoc has no inline script
    assert "style-src 'self' 'unsafe-inline';" in csp  # it writes <style> as it runs
    assert "worker-src 'self' blob:;" in csp  # its search runs in a worker
    assert "http" not in csp
    # The assets they load are served here.
    for asset in re.findall(r'(?:src|href)="(/_docs/[^"]+)"', docs.text + redoc.text):
        assert (await client.get(asset)).status_code == 200, asset
    assert (await client.get("/openapi.json")).status_code == 200


async def test_hsts_only_over_tls(make_client: MakeClient) -> None:
    direct = await make_client(base_url="https://mailsetup.test")
    r = await direct.get("/")
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    plain = await make_client()
    assert "strict-transport-security" not in (await plain.get("/")).headers
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.1"}
    spoofed = await plain.get("/", headers=https)
    assert "strict-transport-security" not in spoofed.headers  # the peer is no trusted proxy
    proxied = await make_client(trusted_proxies="127.0.0.1/32")
    r = await proxied.get("/", headers=https)
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    assert "set-cookie" not in r.headers  # only pages with a form set the CSRF cookie
    page = await proxied.get("/test", headers=https)
    assert page.headers["set-cookie"].startswith("__Host-mailsetup_csrf=")
    assert "; Secure" in page.headers["set-cookie"]
    assert csrf_token(page.text)


async def test_a_form_post_with_the_pages_token_works(client: httpx.AsyncClient) -> None:
    page = await client.get("/test")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; see test_hsts_only_over_tls for https
    again = await client.get("/test")
    assert "set-cookie" not in again.headers  # the cookie's token is reused
    assert csrf_token(again.text) == csrf_token(page.text)
    r = await post_form(client, FORM)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "attack",
    ["no token", "no cookie", "mismatch", "forged", "other key", "non-ascii", "empty"],
)
async def test_form_posts_without_a_valid_token_are_refused(
    client: httpx.AsyncClient, attack: str
) -> None:
    page = await client.get("/test")
    token = csrf_token(page.text)
    forged = CsrfSigner(b"k" * 32).issue()
    nonce = token.split(".")[0]
    cases: dict[str, tuple[str | None, str | None]] = {  # (cookie, field)
        "no token": (token, None),
        "no cookie": (None, token),
        "mismatch": (token, CsrfSigner(b"x" * 32).issue()),
        "forged": (f"{nonce}.AAAA", f"{nonce}.AAAA"),
        "other key": (forged, forged),  # a real token of another instance's key
        "non-ascii": ("ü.ü", "ü.ü"),
        "empty": ("", ""),
    }
    cookie, field = cases[attack]
    client.cookies.clear()
    headers = {"Cookie": f"{COOKIE}={cookie}".encode()} if cookie is not None else {}
    data = {**FORM, **({"csrf_token": field} if field is not None else {})}
    before = probes_counted()
    r = await client.post("/test", data=data, headers=headers)
    assert r.status_code == 403, r.text
    assert r.headers["cache-control"] == "no-store"
    assert "This form has expired" in r.text
    assert probes_counted() == before  # nothing was probed


async def test_a_shared_secret_key_makes_tokens_valid_on_every_instance(
    make_client: MakeClient,
) -> None:
    a = await make_client(secret_key="one secret shared by all")
    b = await make_client(secret_key="one secret shared by all")
    page = await a.get("/test")
    b.cookies.set(COOKIE, a.cookies[COOKIE])
    r = await b.post("/test", data={**FORM, "csrf_token": csrf_token(page.text)})
    assert r.status_code == 200
    c = await make_client()  # a random key of its own
    c.cookies.set(COOKIE, a.cookies[COOKIE])
    other = await c.post("/test", data={**FORM, "csrf_token": csrf_token(page.text)})
    assert other.status_code == 403
