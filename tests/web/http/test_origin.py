"""Absolute links: MAILSETUP_PUBLIC_URL, or the request's own origin through trusted proxies.

With the setting unset, QR codes, Autodiscover's redirect, the owners' DNS records and
profile identifiers follow the Host header (or a trusted proxy's X-Forwarded-Host and
-Proto), never an untrusted peer's forwarding headers, and those responses are
``Cache-Control: private``.
"""

from __future__ import annotations

import logging
import plistlib
import re
from html import unescape

import httpx
import pytest

from app.main import create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.http.origin import clean_host, private_headers, request_origin
from tests.hardening.conftest import MakeClient
from tests.web.crawl import links

PROXY = ("10.0.0.5", 40000)
TRUSTED = "10.0.0.0/24"
UNSET = {"public_url": None}
SPOOF = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}


def _settings(**values: object) -> Settings:
    return Settings.model_validate({"public_url": None, **values})


def _scope(
    headers: dict[str, str], peer: str = PROXY[0], scheme: str = "http"
) -> dict[str, object]:
    return {
        "type": "http",
        "scheme": scheme,
        "client": (peer, 40000),
        "server": ("192.0.2.7", 8000),
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
    }


@pytest.mark.parametrize(
    ("value", "scheme", "host"),
    [
        ("Mail-Setup.Example.COM", "https", "mail-setup.example.com"),
        ("mail-setup.example.com:443", "https", "mail-setup.example.com"),
        ("mail-setup.example.com:80", "http", "mail-setup.example.com"),
        ("mail-setup.example.com:443", "http", "mail-setup.example.com:443"),
        ("127.0.0.1:8000", "http", "127.0.0.1:8000"),
        ("[2001:DB8::1]:8443", "https", "[2001:db8::1]:8443"),
        (" localhost ", "http", "localhost"),
    ],
)
def test_a_host_is_kept_in_lower_case_without_its_default_port(
    value: str, scheme: str, host: str
) -> None:
    assert clean_host(value, scheme) == host


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "evil.example/path",
        "evil.example?x",
        "a b.example",
        "user@evil.example",
        "evil.example:0",
        "evil.example:65536",
        "evil.example:x",
        "-evil.example",
        "evil..example",
        "<script>",
        "2001:db8::1",
        "a" * 300,
    ],
)
def test_anything_but_a_host_is_refused(value: str | None) -> None:
    assert clean_host(value, "https") is None


def test_forwarding_headers_count_only_from_trusted_proxies() -> None:
    headers = {"Host": "internal:8000", **SPOOF}
    trusted = _settings(trusted_proxies=TRUSTED)
    assert request_origin(_scope(headers), trusted) == "https://evil.example"
    assert request_origin(_scope(headers, peer="203.0.113.9"), trusted) == "http://internal:8000"
    assert request_origin(_scope(headers), _settings()) == "http://internal:8000"
    # The nearest proxy's value counts, as for X-Forwarded-For.
    chained = {"Host": "internal", "X-Forwarded-Host": "evil.example, mail.example.org"}
    assert request_origin(_scope(chained), trusted) == "http://mail.example.org"


def test_rfc_7239_forwarded_host() -> None:
    settings = _settings(trusted_proxies=TRUSTED, proxy_header="forwarded")
    headers = {
        "Host": "internal",
        "Forwarded": 'for=203.0.113.9;host="[2001:db8::1]:8443";proto=https',
        **SPOOF,  # not the header this operator's proxies write
    }
    assert request_origin(_scope(headers), settings) == "https://[2001:db8::1]:8443"


def test_a_bad_or_missing_host_falls_back() -> None:
    trusted = _settings(trusted_proxies=TRUSTED)
    bad_forwarded = {"Host": "mail.example.org", "X-Forwarded-Host": "evil.example/x"}
    assert request_origin(_scope(bad_forwarded), trusted) == "http://mail.example.org"
    # No usable Host at all: the address the server listens on.
    assert request_origin(_scope({"Host": "a b"}), trusted) == "http://192.0.2.7:8000"
    assert request_origin(_scope({}, scheme="https"), trusted) == "https://192.0.2.7:8000"


def test_private_replaces_public_caching_and_keeps_stricter() -> None:
    public = [(b"content-type", b"text/html"), (b"Cache-Control", b"public, max-age=3600")]
    assert private_headers(public) == [
        (b"content-type", b"text/html"),
        (b"cache-control", b"private"),
    ]
    assert private_headers([]) == [(b"cache-control", b"private")]
    for kept in (b"private, no-cache", b"no-store"):
        assert private_headers([(b"cache-control", kept)]) == [(b"cache-control", kept)]


def _qr_links(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'<a class="url" href="([^"]+)"', html)]


async def test_qr_codes_follow_the_host_when_unset(make_client: MakeClient) -> None:
    client = await make_client(**UNSET)
    r = await client.get(
        "/setup", params={"email": "someone@qq.com"}, headers={"Host": "Mail.Example.ORG:8080"}
    )
    assert r.status_code == 200
    assert _qr_links(r.text) == [
        "http://mail.example.org:8080/setup?email=someone%40qq.com",
        "http://mail.example.org:8080/apple/mobileconfig?email=someone%40qq.com",
    ]
    assert r.headers["cache-control"] == "private"
    assert "127.0.0.1:8000" not in r.text


async def test_qr_codes_use_the_setting_when_set(make_client: MakeClient) -> None:
    client = await make_client(public_url="https://mail-setup.example.com/")
    r = await client.get(
        "/setup",
        params={"email": "someone@qq.com"},
        headers={"Host": "evil.example", **SPOOF},
    )
    assert _qr_links(r.text) == [
        "https://mail-setup.example.com/setup?email=someone%40qq.com",
        "https://mail-setup.example.com/apple/mobileconfig?email=someone%40qq.com",
    ]
    assert "evil.example" not in r.text
    # Private all the same: the test form under the settings carries this visitor's CSRF token.
    assert r.headers["cache-control"] == "private"


async def test_an_untrusted_peer_cannot_move_the_links(make_client: MakeClient) -> None:
    client = await make_client(**UNSET, trusted_proxies=TRUSTED, client=("203.0.113.9", 5000))
    r = await client.get(
        "/setup",
        params={"email": "someone@qq.com"},
        headers={"Host": "mail.example.org", **SPOOF},
    )
    assert _qr_links(r.text)[0] == "http://mail.example.org/setup?email=someone%40qq.com"
    assert "evil.example" not in r.text


async def test_a_trusted_proxy_names_the_visitors_origin(make_client: MakeClient) -> None:
    client = await make_client(**UNSET, trusted_proxies=TRUSTED, client=PROXY)
    headers = {
        "Host": "10.0.0.9:8000",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Host": "mail-setup.example.com",
        "X-Forwarded-Proto": "https",
    }
    r = await client.get("/setup", params={"email": "someone@qq.com"}, headers=headers)
    assert _qr_links(r.text)[0] == "https://mail-setup.example.com/setup?email=someone%40qq.com"
    assert r.headers["cache-control"] == "private"


async def test_every_other_user_of_the_origin(make_client: MakeClient) -> None:
    """Autodiscover v2, the owners' records and the profile identifiers follow the Host
    header when the setting is unset, and are private."""
    client = await make_client(**UNSET)
    host = {"Host": "mail.example.org"}
    v2 = await client.get(
        "/autodiscover/autodiscover.json",
        params={"Email": "a@qq.com", "Protocol": "AutodiscoverV1"},
        headers=host,
    )
    assert v2.json()["Url"] == "http://mail.example.org/autodiscover/autodiscover.xml"
    assert v2.headers["cache-control"] == "private"

    records = await client.get("/api/v1/domains/qq.com/records", headers=host)
    cname = next(x for x in records.json()["records"] if x["type"] == "CNAME")
    assert cname["value"] == "mail.example.org."
    assert records.headers["cache-control"] == "private"
    page = await client.get("/domains", params={"domain": "qq.com"}, headers=host)
    assert "http://mail.example.org" in page.text
    assert page.headers["cache-control"] == "private"

    profile = await client.get("/apple/mobileconfig", params={"email": "a@qq.com"}, headers=host)
    assert plistlib.loads(profile.content)["PayloadIdentifier"].startswith(
        "org.example.mail.mailsetup.com.qq."
    )
    assert profile.headers["cache-control"] == "private, no-cache"  # its own, stricter

    # A page without absolute links stays as it was.
    providers = await client.get("/providers", headers=host)
    assert "cache-control" not in providers.headers
    # A page with a form carries the visitor's CSRF token: private too.
    tester = await client.get("/test", headers=host)
    assert 'name="csrf_token"' in tester.text
    assert tester.headers["cache-control"] == "no-store"  # its own, stricter


async def test_same_origin_links_of_the_page_are_on_the_host(make_client: MakeClient) -> None:
    client = await make_client(**UNSET)
    r = await client.get("/setup", params={"email": "someone@qq.com"})
    absolute = [h for h in links(r.text) if h.startswith("http://mailsetup.test/")]
    assert len(absolute) == 2  # the two QR codes, on the test request's Host


@pytest.mark.parametrize(("public_url", "logged"), [(None, 1), ("https://m.example.com", 0)])
async def test_start_up_says_where_links_come_from(
    settings: Settings,
    db: ProviderDB,
    caplog: pytest.LogCaptureFixture,
    public_url: str | None,
    logged: int,
) -> None:
    app = create_app(settings.model_copy(update={"public_url": public_url}), db=db)
    with caplog.at_level(logging.INFO, logger="app.main"):
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://x.test") as c:
                await c.get("/setup", params={"email": "someone@qq.com"})
                await c.get("/setup", params={"email": "someone@163.com"})
    said = [r for r in caplog.records if "MAILSETUP_PUBLIC_URL is unset" in r.getMessage()]
    assert len(said) == logged
    if said:
        assert "request's own origin" in said[0].getMessage()
