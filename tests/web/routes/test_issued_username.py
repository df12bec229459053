"""Pages and the JSON API for a provider that issues the login name (docomo): its text
in the user-name row, a clear marker in the API, never the address as a stand-in."""

from __future__ import annotations

import re
import tomllib
from html import unescape
from typing import Any

import httpx
import pytest

from app.paths import DATA_DIR
from tests.hardening.forms import post_form

EMAIL = "taro@docomo.ne.jp"
USER_CELL = re.compile(r'<th scope="row">[^<]*</th><td>\s*<span class="issued">([^<]*)</span>')


def docomo_file() -> dict[str, Any]:
    with (DATA_DIR / "providers" / "docomo.ne.jp.toml").open("rb") as fp:
        return tomllib.load(fp)


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
async def test_setup_page_shows_the_issued_name(client: httpx.AsyncClient, lang: str) -> None:
    r = await client.get("/setup", params={"email": EMAIL, "client": "thunderbird", "lang": lang})
    assert r.status_code == 200
    cells = [unescape(c) for c in USER_CELL.findall(r.text)]
    # The card's two servers and the two in "All servers".
    assert cells == [docomo_file()["issued_username"][lang]] * 4
    assert f'data-copy="{EMAIL}"' not in r.text  # the address is no user name to copy
    copy_all = re.search(r'data-copy="([^"]*)" hidden>', r.text)
    assert copy_all is not None
    assert "imap.spmode.ne.jp" in copy_all.group(1)
    assert copy_all.group(1).count(":") == 2  # no empty user-name line


async def test_provider_page_shows_the_issued_name(client: httpx.AsyncClient) -> None:
    r = await client.get("/providers/docomo.ne.jp")
    assert r.status_code == 200
    cells = [unescape(c) for c in USER_CELL.findall(r.text)]
    assert cells == [docomo_file()["issued_username"]["en"]] * 2
    assert 'data-copy="issued"' not in r.text


async def test_lookup_api_marks_the_issued_name(client: httpx.AsyncClient) -> None:
    text = docomo_file()["issued_username"]
    for params in ({"email": EMAIL}, {"domain": "docomo.ne.jp"}):
        r = await client.get("/api/v1/lookup", params=params)
        assert r.status_code == 200
        for endpoint in r.json()["endpoints"]:
            assert endpoint["username_kind"] == "issued"
            assert endpoint["username"] == ""
            assert endpoint["issued_username"] == text


async def test_provider_api_keeps_the_file_s_words(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/providers/docomo.ne.jp")
    assert r.status_code == 200
    body = r.json()
    assert body["issued_username"] == docomo_file()["issued_username"]
    assert {s["username"] for s in body["servers"]} == {"issued"}


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
async def test_the_tester_asks_for_the_issued_name_first(
    client: httpx.AsyncClient, lang: str
) -> None:
    """A test without a username would log in with the address: a certain refusal that
    counts against the account, so the tester asks for the name instead, in the
    visitor's language, naming what to type."""
    text = docomo_file()["issued_username"][lang]
    client.cookies.set("lang", lang)
    r = await client.post("/api/v1/test", json={"email": EMAIL, "password": "secret-1"})
    assert r.status_code == 422
    assert r.json()["field"] == "username"
    assert text in r.json()["detail"]
    page = await post_form(client, {"email": EMAIL, "password": "secret-1"})
    assert page.status_code == 422
    assert text in unescape(page.text)
    assert re.search(r'<details class="advanced"\s+open>', page.text)
    assert "secret-1" not in page.text + r.text
