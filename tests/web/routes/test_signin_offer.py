"""Where the tester offers "Sign in with …": for an address whose provider file has
sign-in, found by its domain or, for a company domain, by what discovery cached from
its MX; never for a provider without it."""

from __future__ import annotations

import httpx
import pytest

from app.paths import DATA_DIR

MICROSOFT_ID = "MAILSETUP_OAUTH_MICROSOFT_CLIENT_ID"


@pytest.fixture
async def microsoft(client_for) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """The shipped data, with a Microsoft client registered."""
    client: httpx.AsyncClient = await client_for(
        DATA_DIR, oauth={"microsoft_client_id": "00000000-test"}
    )
    return client


async def test_a_company_domain_is_known_by_its_cached_mx(
    client: httpx.AsyncClient, microsoft: httpx.AsyncClient
) -> None:
    email = "someone@acme-m365.test"  # MX at *.mail.protection.outlook.com
    for app in (client, microsoft):
        before = await app.get("/test", params={"email": email})
        assert MICROSOFT_ID not in before.text  # nothing looked up yet: no guess
        assert (await app.get("/setup", params={"email": email, "wait": "1"})).status_code == 200
    unset = await client.get("/test", params={"email": email})
    assert MICROSOFT_ID in unset.text
    ready = await microsoft.get("/test", params={"email": email})
    assert "Sign in with Microsoft" in ready.text
    assert "login.microsoftonline.com" in ready.headers["content-security-policy"]


async def test_no_offer_without_sign_in(microsoft: httpx.AsyncClient) -> None:
    page = await microsoft.get("/test", params={"email": "someone@qq.com"})
    assert "Sign in with" not in page.text
    assert "form-action 'self';" in page.headers["content-security-policy"] + ";"
