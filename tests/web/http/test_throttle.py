"""Rate limits through the app: per client, per domain, per account, per target, failed logins."""

from __future__ import annotations

import httpx
import pytest

from app.settings import Settings
from tests.hardening.conftest import MakeClient
from tests.hardening.forms import post_form
from tests.realservers import PROBE_LOOPBACK
from tests.servers import USERS, WRONG_PASSWORD, Certificates

ALICE = "alice@mail.test"
LEAKY = "leaky@mail.test"
NOWHERE = [{"protocol": "imap", "host": "192.0.2.1", "port": 993, "security": "tls"}]


def via(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def assert_429(r: httpx.Response, limit: str) -> None:
    assert r.status_code == 429, r.text
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["cache-control"] == "no-store"
    if r.headers["content-type"].startswith("application/json"):
        assert r.json()["limit"] == limit
        assert r.json()["retry_after"] == int(r.headers["retry-after"])


async def test_discovery_is_limited_per_client(make_client: MakeClient) -> None:
    c = await make_client(rate_limit_discovery="3/minute")
    for _ in range(3):
        assert (await c.get("/api/v1/lookup?email=a@qq.com")).status_code == 200
    assert_429(await c.get("/api/v1/lookup?email=a@qq.com"), "discovery")
    assert_429(await c.get("/api/v1/guides?email=a@qq.com"), "discovery")
    assert_429(await c.get("/apple/mobileconfig?email=a@qq.com"), "discovery")
    xml = {"Content-Type": "text/xml"}
    outlook = await c.post("/autodiscover/autodiscover.xml", content=b"<x/>", headers=xml)
    assert_429(outlook, "discovery")
    page = await c.get("/setup?email=a@qq.com", headers={"Accept": "text/html"})
    assert_429(page, "discovery")
    assert page.headers["content-type"].startswith("text/html")
    assert "You have looked up many addresses in a short time." in page.text
    # Routes that cost nothing are not counted.
    assert (await c.get("/api/v1/providers/qq.com")).status_code == 200
    assert (await c.get("/mail/config-v1.1.xml?emailaddress=a@qq.com")).status_code == 200


async def test_the_429_page_speaks_the_visitors_language(make_client: MakeClient) -> None:
    c = await make_client(rate_limit_discovery="1/minute")
    await c.get("/setup?email=a@qq.com")
    zh = {"Accept": "text/html", "Accept-Language": "zh-CN"}
    page = await c.get("/setup?email=a@qq.com", headers=zh)
    assert page.status_code == 429
    assert page.headers["content-language"] == "zh-Hans"
    assert "请稍候" in page.text
    assert "秒" in page.text or "分钟" in page.text  # "try again in N seconds/minutes"


async def test_off_turns_every_limit_off(make_client: MakeClient) -> None:
    c = await make_client(rate_limits=False, rate_limit_discovery="1/minute")
    for _ in range(5):
        assert (await c.get("/api/v1/lookup?email=a@qq.com")).status_code == 200
    for _ in range(3):
        r = await c.post("/api/v1/test", json={"email": ALICE, "password": "x", "servers": NOWHERE})
        assert r.status_code == 200


async def test_spoofed_forwarding_headers_do_not_reset_the_limit(make_client: MakeClient) -> None:
    c = await make_client(rate_limit_discovery="2/minute")  # no trusted proxies
    for n in range(2):
        await c.get("/api/v1/lookup?email=a@qq.com", headers=via(f"203.0.113.{n}"))
    spoof = {**via("203.0.113.99"), "Forwarded": "for=203.0.113.98", "X-Real-IP": "203.0.113.97"}
    assert_429(await c.get("/api/v1/lookup?email=a@qq.com", headers=spoof), "discovery")


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    make_client: MakeClient,
) -> None:
    c = await make_client(rate_limit_discovery="2/minute", trusted_proxies="127.0.0.1/32")
    for _ in range(2):
        assert (await c.get("/api/v1/lookup?domain=qq.com", headers=via("203.0.113.1"))).is_success
    assert_429(await c.get("/api/v1/lookup?domain=qq.com", headers=via("203.0.113.1")), "discovery")
    assert (await c.get("/api/v1/lookup?domain=qq.com", headers=via("203.0.113.2"))).is_success
    # A client that writes its own X-Forwarded-For still gets the address the proxy saw.
    prepended = via("203.0.113.50, 203.0.113.1")
    assert_429(await c.get("/api/v1/lookup?domain=qq.com", headers=prepended), "discovery")


async def test_live_tests_are_limited_per_client(make_client: MakeClient) -> None:
    c = await make_client(rate_limit_test="2/minute")
    for n in range(2):
        body = {"email": f"u{n}@mail.test", "password": "x", "servers": NOWHERE}
        assert (await c.post("/api/v1/test", json=body)).status_code == 200
    body = {"email": "u9@mail.test", "password": "x", "servers": NOWHERE}
    assert_429(await c.post("/api/v1/test", json=body), "test")
    ndjson = {"Accept": "application/x-ndjson"}
    assert_429(await c.post("/api/v1/test", json=body, headers=ndjson), "test")
    page = await post_form(c, {"email": "u9@mail.test", "password": "x"})
    assert_429(page, "test")
    assert "You have run many tests in a short time." in page.text
    # The page's script shows the API's message as it is: in the page's language.
    chinese = await c.post("/api/v1/test", json=body, headers={"Accept-Language": "zh-CN"})
    assert_429(chinese, "test")
    assert chinese.json()["detail"].startswith("你在短时间内运行了太多次测试。")
    assert "。 " not in chinese.json()["detail"]
    assert chinese.json()["detail"].endswith("后可以再试。")


async def test_live_tests_are_limited_per_account(make_client: MakeClient) -> None:
    c = await make_client(rate_limit_test_account="2/minute", trusted_proxies="127.0.0.1/32")
    for n, email in enumerate((ALICE, "Alice@MAIL.test")):
        body = {"email": email, "password": "x", "servers": NOWHERE}
        r = await c.post("/api/v1/test", json=body, headers=via(f"203.0.113.{n}"))
        assert r.status_code == 200
    body = {"email": ALICE, "password": "x", "servers": NOWHERE}
    assert_429(await c.post("/api/v1/test", json=body, headers=via("203.0.113.7")), "test-account")
    other = {**body, "email": "bob@mail.test"}
    assert (await c.post("/api/v1/test", json=other, headers=via("203.0.113.8"))).status_code == 200


async def test_live_tests_are_limited_per_target(make_client: MakeClient) -> None:
    c = await make_client(rate_limit_test_host="2/minute", trusted_proxies="127.0.0.1/32")
    for n, host in enumerate(("192.0.2.1", "192.0.2.200")):
        servers = [{**NOWHERE[0], "host": host}]
        body = {"email": f"u{n}@mail.test", "password": "x", "servers": servers}
        r = await c.post("/api/v1/test", json=body, headers=via(f"203.0.113.{n}"))
        assert r.status_code == 200
    # A neighbour in the same /24, by another client for another account: refused.
    servers = [{**NOWHERE[0], "host": "192.0.2.99"}]
    body = {"email": "u9@mail.test", "password": "x", "servers": servers}
    assert_429(await c.post("/api/v1/test", json=body, headers=via("203.0.113.9")), "test-host")
    elsewhere = {**body, "servers": [{**NOWHERE[0], "host": "198.51.100.1"}]}
    assert (await c.post("/api/v1/test", json=elsewhere, headers=via("203.0.113.9"))).is_success


async def test_failed_logins_lock_the_account_on_that_target(
    make_client: MakeClient, settings: Settings, certs: Certificates, dovecot: dict[str, int]
) -> None:
    c = await make_client(
        rate_limit_auth_failure="2/minute",
        **PROBE_LOOPBACK,
        probe_ca_file=certs.ca_file,
        probe_deadline=10.0,
    )
    servers = [
        {"protocol": "imap", "host": "mail.test", "port": dovecot["imaps"], "security": "tls"},
        {"protocol": "pop3", "host": "mail.test", "port": dovecot["pop3s"], "security": "tls"},
    ]
    wrong = {"email": ALICE, "password": WRONG_PASSWORD, "servers": servers}
    r = await c.post("/api/v1/test", json=wrong)  # two servers refuse: two failed logins
    assert r.status_code == 200
    assert [x["auth"]["status"] for x in r.json()["results"]] == ["failed", "failed"]
    right = {**wrong, "password": USERS[ALICE]}
    r = await c.post("/api/v1/test", json=right)
    assert_429(r, "auth-failure")
    assert "password" in r.json()["detail"]
    lines = f"imap:mail.test:{dovecot['imaps']}:tls"
    page = await post_form(c, {"email": ALICE, "password": USERS[ALICE], "servers": lines})
    assert_429(page, "auth-failure")
    assert "The server refused the password for this username several times." in page.text
    # Another account on that server, and this account's successes, are not affected.
    leaky = {"email": LEAKY, "password": USERS[LEAKY], "servers": servers}
    r = await c.post("/api/v1/test", json=leaky)
    assert r.status_code == 200
    assert r.json()["ok"] is True
    for _ in range(3):
        assert (await c.post("/api/v1/test", json=leaky)).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/lookup?email=a@qq.com", "/healthz", "/metrics"])
async def test_429_never_comes_from_routes_without_limits(
    make_client: MakeClient, path: str
) -> None:
    c = await make_client(rate_limit_discovery="1/minute", rate_limit_test="1/minute")
    statuses = {(await c.get(path)).status_code for _ in range(3)}
    assert statuses == ({200, 429} if "lookup" in path else {200})
