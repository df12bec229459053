"""Security headers on every response, a CSP the pages keep, and HSTS only over TLS."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from app.web.security import CSP
from tests.hardening.conftest import MakeClient
from tests.hardening.forms import csrf_token

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


async def test_request_ids(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "req-42.a:b_c"})
    assert r.headers["x-request-id"] == "req-42.a:b_c"
    for bad in ("has space", "x" * 65, "naïve", "a\tb", ""):
        r = await client.get("/healthz", headers={"X-Request-ID": bad.encode()})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"]), bad
    first = (await client.get("/healthz")).headers["x-request-id"]
    assert first != (await client.get("/healthz")).headers["x-request-id"]
