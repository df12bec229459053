"""``GET /api/v1/discover``: discovery's progress as NDJSON, in the visitor's language."""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.models import Source


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["cache-control"] == "no-store"
    return [json.loads(line) for line in response.text.splitlines()]


async def test_an_unknown_domain_reports_each_source_then_the_setup_page(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/api/v1/discover", params={"email": "me@does-not-exist.test"})
    events = lines(r)
    assert events[-1] == {
        "type": "done",
        "found": False,
        "url": "/setup?email=me%40does-not-exist.test",
    }
    tried = {(e["source"], e["target"]) for e in events if e["type"] == "trying"}
    answered = {(e["source"], e["target"]) for e in events if e["type"] == "attempt"}
    assert tried == answered
    assert {Source.MX.value, Source.SRV.value, Source.ISPDB.value} <= {s for s, _ in tried}
    mx = next(e for e in events if e["type"] == "attempt" and e["source"] == "mx")
    assert mx["outcome"] == "no-such-name"
    assert mx["words"] == "the name does not exist in DNS"
    assert mx["source_label"] == "MX records"
    assert mx["ok"] is False
    first_try = next(i for i, e in enumerate(events) if e["type"] == "trying")
    first_answer = next(i for i, e in enumerate(events) if e["type"] == "attempt")
    assert first_try < first_answer


async def test_a_known_domain_is_done_at_once_and_keeps_the_app(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/v1/discover",
        params={"email": "someone@qq.com", "client": "foxmail"},
        headers={"Accept-Language": "zh-Hant"},
    )
    events = lines(r)
    assert events == [
        {"type": "done", "found": True, "url": "/setup?email=someone%40qq.com&client=foxmail"},
    ]


async def test_the_words_are_in_the_visitors_language(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/v1/discover",
        params={"email": "me@does-not-exist.test"},
        headers={"Accept-Language": "zh-Hans"},
    )
    mx = next(e for e in lines(r) if e["type"] == "attempt" and e["source"] == "mx")
    assert mx["source_label"] == "MX 记录"
    assert mx["words"] == "DNS 中不存在该名称"


async def test_a_bad_address_is_a_422_before_any_discovery(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/discover", params={"email": "no-at-sign@"})
    assert r.status_code == 422
    assert "detail" in r.json()
    too_long = await client.get("/api/v1/discover", params={"email": "a" * 321})
    assert too_long.status_code == 422


NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


async def test_a_browser_opening_an_unknown_domain_gets_the_progress_page_first(
    client: httpx.AsyncClient,
) -> None:
    params = {"email": "me@not-yet.test", "client": "thunderbird"}
    r = await client.get("/setup", params=params, headers=NAVIGATE)
    assert r.status_code == 200
    assert 'data-template="discovering.html"' in r.text
    assert r.headers["cache-control"] == "no-store"
    next_url = "/setup?email=me%40not-yet.test&amp;client=thunderbird&amp;wait=1"
    assert f'data-next="{next_url}"' in r.text
    assert f'<noscript><meta http-equiv="refresh" content="0; url={next_url}"></noscript>' in r.text
    # The page it goes on to waits for discovery, as every client without a browser does.
    waited = await client.get("/setup", params={**params, "wait": "1"}, headers=NAVIGATE)
    assert waited.status_code == 404
    assert 'data-template="unknown.html"' in waited.text
    # Now the answer is cached: the browser gets it at once.
    again = await client.get("/setup", params=params, headers=NAVIGATE)
    assert 'data-template="unknown.html"' in again.text


async def test_only_a_browser_at_an_unlooked_domain_gets_the_progress_page(
    client: httpx.AsyncClient,
) -> None:
    known = await client.get("/setup", params={"email": "me@qq.com"}, headers=NAVIGATE)
    assert 'data-template="setup.html"' in known.text
    script = await client.get("/setup", params={"email": "me@also-not-yet.test"})
    assert 'data-template="unknown.html"' in script.text  # no Fetch Metadata: answered
    fetched = await client.get(
        "/setup",
        params={"email": "me@third.test"},
        headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
    )
    assert 'data-template="unknown.html"' in fetched.text
    bad = await client.get("/setup", params={"email": "not an address"}, headers=NAVIGATE)
    assert bad.status_code == 422
    domain_only = await client.get("/setup", params={"email": "fourth.test"}, headers=NAVIGATE)
    assert 'data-template="discovering.html"' not in domain_only.text
