"""The request id: a sane ``X-Request-ID`` is echoed, anything else replaced by a new one."""

from __future__ import annotations

import re

import httpx


async def test_request_ids(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "req-42.a:b_c"})
    assert r.headers["x-request-id"] == "req-42.a:b_c"
    for bad in ("has space", "x" * 65, "naïve", "a\tb", ""):
        r = await client.get("/healthz", headers={"X-Request-ID": bad.encode()})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"]), bad
    first = (await client.get("/healthz")).headers["x-request-id"]
    assert first != (await client.get("/healthz")).headers["x-request-id"]
