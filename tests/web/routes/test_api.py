"""The JSON API: providers, one provider, lookup; bad input never gets a 5xx."""

from __future__ import annotations

import httpx
import pytest

from app.providers.db import ProviderDB


async def test_lookup_email_fills_username(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/lookup", params={"email": "Someone@QQ.com"})
    assert r.status_code == 200
    body = r.json()
    assert body["provider"] == "qq.com"
    assert body["status"] == "preparation"
    assert body["source"] == "database"
    first = body["endpoints"][0]
    assert first == {
        "protocol": "imap",
        "host": "imap.qq.com",
        "port": 993,
        "security": "tls",
        "username": "Someone@qq.com",
        "auth": ["authorization-code"],
        "source": "database",
        "username_kind": "derived",
        "issued_username": None,
    }
    assert body["name"]["zh-Hans"] == "QQ邮箱"
    assert any("授权码" in s["text"]["zh-Hans"] for s in body["steps"])
    assert body["hints"]["after"], "QQ has after-setup hints"


async def test_lookup_domain_keeps_templates(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/lookup", params={"domain": "foxmail.com."})
    assert r.status_code == 200
    assert {e["username"] for e in r.json()["endpoints"]} == {"%EMAILADDRESS%"}


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"email": "no-at-sign"}, 422, "has no @"),
        ({"email": "a b@qq.com"}, 422, "not a valid email address"),
        ({"email": "x@exa_mple.com"}, 422, "not a valid domain name"),
        ({"domain": "..."}, 422, "not a valid domain name"),
        ({}, 422, "give ?email="),
        ({"email": "x" * 400}, 422, ""),
        ({"email": "x@nowhere.example"}, 404, "not in the provider database"),
    ],
)
async def test_lookup_errors_are_explained(
    client: httpx.AsyncClient, params: dict[str, str], status: int, says: str
) -> None:
    r = await client.get("/api/v1/lookup", params=params)
    assert r.status_code == status
    assert says in str(r.json()["detail"])


async def test_providers_search_and_filters(client: httpx.AsyncClient, db: ProviderDB) -> None:
    for q in ("qq", "QQ邮箱", "foxmail"):
        r = await client.get("/api/v1/providers", params={"q": q})
        assert r.status_code == 200
        assert "qq.com" in [i["id"] for i in r.json()["items"]]
    r = await client.get("/api/v1/providers", params={"per_page": 2, "page": 1})
    body = r.json()
    assert body["total"] == len(db)
    assert len(body["items"]) == min(2, len(db))
    r = await client.get("/api/v1/providers", params={"country": "CN", "protocol": "imap"})
    assert all(i["country"] == "CN" and "imap" in i["protocols"] for i in r.json()["items"])


@pytest.mark.parametrize(
    "params",
    [{"page": 0}, {"per_page": 1000}, {"protocol": "gopher"}, {"status": "x"}, {"country": "X"}],
)
async def test_providers_bad_filters_get_422(
    client: httpx.AsyncClient, params: dict[str, object]
) -> None:
    r = await client.get("/api/v1/providers", params=params)
    assert r.status_code == 422


async def test_provider_detail(client: httpx.AsyncClient, db: ProviderDB) -> None:
    r = await client.get("/api/v1/providers/qq.com")
    assert r.status_code == 200
    body = r.json()
    qq = db.get("qq.com")
    assert qq is not None
    assert body["confidence"] == qq.confidence.value  # the file's, as it is
    assert body["last_verified"] == qq.last_verified.isoformat()
    assert body["sources"]
    missing = await client.get("/api/v1/providers/nope.example")
    assert missing.status_code == 404


async def test_docs_work_offline(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    for asset in ("/_docs/swagger-ui-bundle.js", "/_docs/swagger-ui.css"):
        assert asset in page.text
        assert (await client.get(asset)).status_code == 200
    redoc = await client.get("/redoc")
    assert "cdn" not in redoc.text.lower()
    assert "fonts.googleapis" not in redoc.text
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "mailsetup"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/lookup?email=%00@qq.com",
        "/api/v1/lookup?email=%F0%9F%98%80@%F0%9F%98%80.com",
        "/api/v1/lookup?domain=xn--zz.com",
        "/api/v1/lookup?domain=" + "a." * 200 + "com",
        "/api/v1/lookup?email=@",
        "/api/v1/providers/%2e%2e",
        "/api/v1/providers?q=" + "%FF" * 10,
        "/v1.1/%00",
        "/v1.1/" + "x" * 300,
        "/v1.1/xn--",
        "/mail/config-v1.1.xml?emailaddress=@@@",
        "/mail/config-v1.1.xml?emailaddress=a@[127.0.0.1]",
    ],
)
async def test_no_5xx_on_hostile_input(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code < 500, (path, r.status_code, r.text)


async def test_lookup_discovers_domains_outside_the_database(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/lookup", params={"email": "me@srvonly.test"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["provider"] is None
    assert body["source"] == "srv"
    assert [(e["host"], e["port"], e["source"]) for e in body["endpoints"]] == [
        ("mail.srvonly.test", 993, "srv"),
        ("mail.srvonly.test", 587, "srv"),
    ]
    assert body["endpoints"][0]["username"] == "me@srvonly.test"
    sources = {a["source"] for a in body["trace"]}
    assert {"autoconfig", "ispdb", "mx", "srv"} <= sources
    assert all("duration_ms" in a for a in body["trace"])


async def test_lookup_by_mx_of_a_known_provider(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/lookup", params={"domain": "gw.test"})
    assert r.status_code == 200
    body = r.json()
    assert (body["provider"], body["source"]) == ("workspace.google.com", "mx")
    assert body["endpoints"][0]["host"] == "imap.gmail.com"


async def test_lookup_of_a_domain_that_does_not_exist(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/lookup", params={"email": "me@does-not-exist.test"})
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert "does not exist in DNS" in detail["message"]
    assert "domain-not-found" in detail["findings"]
    assert detail["trace"]
