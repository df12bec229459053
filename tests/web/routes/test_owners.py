"""DNS records for domain owners, checked against a real DNS server."""

from __future__ import annotations

import httpx
import pytest

from tests.sample_data import provider_toml


@pytest.fixture
async def owned(data_dir_factory, client_for) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    files = {"owned.test.toml": provider_toml("owned.test", domains=("owned.test",))}
    client: httpx.AsyncClient = await client_for(data_dir_factory(files))
    return client


async def test_records_and_their_status(owned: httpx.AsyncClient) -> None:
    r = await owned.get("/api/v1/domains/OWNED.test./records")
    assert r.status_code == 200
    body = r.json()
    assert body["domain"] == "owned.test"
    status = {(x["name"], x["type"]): x["status"] for x in body["records"]}
    assert status[("autoconfig.owned.test", "CNAME")] == "present"
    assert status[("_imaps._tcp.owned.test", "SRV")] == "present"
    assert status[("_submissions._tcp.owned.test", "SRV")] == "different"
    assert status[("_autodiscover._tcp.owned.test", "SRV")] == "missing"
    autodiscover = next(x for x in body["records"] if x["name"].startswith("_autodiscover"))
    assert autodiscover["value"] == "0 0 443 mailsetup.test."  # from MAILSETUP_PUBLIC_URL
    different = next(x for x in body["records"] if x["status"] == "different")
    assert different["found"] == ["0 0 587 smtp.example.org."]
    assert "_imaps._tcp.owned.test." in body["zone"]


@pytest.mark.parametrize(
    ("domain", "status"), [("unknown.test", 404), ("bad_domain", 422), ("qq.com", 404)]
)
async def test_only_domains_served_here(owned: httpx.AsyncClient, domain: str, status: int) -> None:
    r = await owned.get(f"/api/v1/domains/{domain}/records")
    assert r.status_code == status


async def test_domains_page(owned: httpx.AsyncClient) -> None:
    empty = await owned.get("/domains")
    assert empty.status_code == 200
    assert 'data-template="domains.html"' in empty.text
    r = await owned.get("/domains", params={"domain": "owned.test"})
    assert r.status_code == 200
    assert "_submissions._tcp.owned.test" in r.text
    assert "present" in r.text
    assert "missing" in r.text
    unknown = await owned.get("/domains", params={"domain": "nope.test"})
    assert unknown.status_code == 404
    assert "not served by this instance" in unknown.text
