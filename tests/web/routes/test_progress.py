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
