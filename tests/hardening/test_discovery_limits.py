"""Discovery limits through the app, with the test zone's real DNS server: per client and
registrable domain, a ceiling per domain for all clients, and never in the way of what
needs no discovery (the database and the cache)."""

from __future__ import annotations

import httpx

from tests.hardening.conftest import MakeClient

BEHIND_PROXY = {"trusted_proxies": "127.0.0.1/32"}
XML = {"Content-Type": "text/xml"}
AUTODISCOVER = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/'
    b'requestschema/2006"><Request><EMailAddress>%s</EMailAddress>'
    b"<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/"
    b"responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"
)


def via(n: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"203.0.113.{n}"}


def limit_of(r: httpx.Response) -> int | str:
    """The status, or the name of the limit that refused."""
    return r.json()["limit"] if r.status_code == 429 else r.status_code


async def test_discoveries_are_limited_per_client_and_domain(make_client: MakeClient) -> None:
    """Random subdomains from one client stop that client, at that domain only."""
    c = await make_client(rate_limit_discovery_domain="2/minute", **BEHIND_PROXY)
    for name in ("a", "b"):
        r = await c.get(f"/api/v1/lookup?domain={name}.nowhere.test", headers=via(1))
        assert r.status_code == 404
    r = await c.get("/api/v1/lookup?domain=c.nowhere.test", headers=via(1))
    assert limit_of(r) == "discovery-domain"
    assert int(r.headers["retry-after"]) >= 1
    assert "at this domain" in r.json()["detail"]
    page = await c.get("/setup?email=x@d.nowhere.test", headers={**via(1), "Accept": "text/html"})
    assert page.status_code == 429
    assert "You have looked up many addresses at this domain" in page.text
    # Another client looks up the same domain; the first one looks up another domain.
    assert (await c.get("/api/v1/lookup?domain=c.nowhere.test", headers=via(2))).status_code == 404
    assert (await c.get("/api/v1/lookup?domain=e.other.test", headers=via(1))).status_code == 404


async def test_all_clients_together_meet_a_ceiling_per_domain(make_client: MakeClient) -> None:
    c = await make_client(rate_limit_discovery_domain_all="3/minute", **BEHIND_PROXY)
    answers = [
        await c.get(f"/api/v1/lookup?domain=s{n}.nowhere.test", headers=via(n)) for n in range(4)
    ]
    assert [limit_of(r) for r in answers] == [404, 404, 404, "discovery-domain-all"]
    assert "This domain has been looked up many times" in answers[-1].json()["detail"]
    assert (await c.get("/api/v1/lookup?domain=s9.other.test", headers=via(9))).status_code == 404


async def test_the_database_and_the_cache_are_never_refused(make_client: MakeClient) -> None:
    """Once a domain is over both limits, everything that needs no discovery still works,
    for the client that spent them and for everyone else."""
    c = await make_client(
        rate_limit_discovery_domain="1/minute",
        rate_limit_discovery_domain_all="1/minute",
        **BEHIND_PROXY,
    )
    assert (await c.get("/api/v1/lookup?domain=gw.test", headers=via(1))).status_code == 200
    assert limit_of(await c.get("/api/v1/lookup?domain=x.gw.test", headers=via(1))) in {
        "discovery-domain",
        "discovery-domain-all",
    }
    assert limit_of(await c.get("/api/v1/lookup?domain=y.gw.test", headers=via(2))) == (
        "discovery-domain-all"
    )
    for n in (1, 2, 3):
        cached = await c.get("/api/v1/lookup?domain=gw.test", headers=via(n))
        assert (cached.status_code, cached.json()["source"]) == (200, "mx")
        assert (await c.get("/setup?email=me@gw.test", headers=via(n))).status_code == 200
        assert (await c.get("/api/v1/guides?email=me@gw.test", headers=via(n))).status_code == 200
        outlook = await c.post(
            "/autodiscover/autodiscover.xml", content=AUTODISCOVER % b"me@gw.test", headers=XML
        )
        assert outlook.status_code == 200
        assert b"imap.gmail.com" in outlook.content
        assert (await c.get("/api/v1/lookup?email=me@qq.com", headers=via(n))).status_code == 200


async def test_a_test_without_servers_is_a_lookup_by_its_client(make_client: MakeClient) -> None:
    """Finding a test's servers may take a discovery: it counts against the client's
    lookups, so tests of random domains are no way around the discovery limits."""
    c = await make_client(rate_limit_discovery="3/minute", **BEHIND_PROXY)
    for n in range(3):
        body = {"email": f"me@t{n}.nowhere.test", "password": "x"}
        r = await c.post("/api/v1/test", json=body, headers=via(1))
        assert r.status_code == 404
    body = {"email": "me@t9.nowhere.test", "password": "x"}
    assert limit_of(await c.post("/api/v1/test", json=body, headers=via(1))) == "discovery"
    assert (await c.post("/api/v1/test", json=body, headers=via(2))).status_code == 404
