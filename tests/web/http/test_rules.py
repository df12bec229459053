"""Request rules: JSON-only API bodies, body size caps, no secrets in URLs."""

from __future__ import annotations

import re

import httpx
import pytest

from app import metrics
from app.web.http.rules import without_secrets
from tests.hardening.conftest import MakeClient
from tests.hardening.forms import csrf_token

FORM = {"email": "alice@mail.test", "password": "x", "servers": "imap:192.0.2.1:993:tls"}


def probes_counted() -> float:
    return sum(
        s.value
        for m in metrics.TEST_RESULTS.collect()
        for s in m.samples
        if s.name.endswith("_total")
    )


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x", "json"],
)
async def test_api_bodies_must_be_declared_json(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    """A cross-site form or a no-CORS fetch can send these types without a preflight."""
    body = b'{"email": "alice@mail.test", "password": "x"}'
    headers = {"Content-Type": content_type} if content_type else {}
    before = probes_counted()
    r = await client.post("/api/v1/test", content=body, headers=headers)
    assert r.status_code == 415
    assert r.json() == {"detail": "Send the request body as application/json."}
    assert probes_counted() == before


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
async def test_json_api_calls_pass(client: httpx.AsyncClient, content_type: str) -> None:
    body = b'{"email": "alice@mail.test", "password": "x", "servers": []}'
    r = await client.post("/api/v1/test", content=body, headers={"Content-Type": content_type})
    assert r.status_code != 415


async def test_bodies_over_the_cap_get_413(make_client: MakeClient) -> None:
    c = await make_client(max_body_bytes=2048)
    json_type = {"Content-Type": "application/json"}
    declared = await c.post("/api/v1/test", content=b"{" + b" " * 3000 + b"}", headers=json_type)
    assert declared.status_code == 413
    assert declared.headers["cache-control"] == "no-store"

    async def chunks():  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b" " * 500

    streamed = await c.post("/api/v1/test", content=chunks(), headers=json_type)
    assert streamed.status_code == 413
    page = await c.get("/test")
    form = {**FORM, "csrf_token": csrf_token(page.text), "servers": "x" * 3000}
    assert (await c.post("/test", data=form)).status_code == 413
    xml = {"Content-Type": "text/xml"}
    autodiscover = await c.post("/autodiscover/autodiscover.xml", content=chunks(), headers=xml)
    assert autodiscover.status_code == 413
    small = await c.post("/api/v1/test", content=b'{"email": "a"}', headers=json_type)
    assert small.status_code == 422  # under the cap: the app answers


async def test_passwords_never_travel_in_urls(client: httpx.AsyncClient) -> None:
    secret = "S3cret-in-the-URL"
    r = await client.get(f"/test?email=a@qq.com&password={secret}")
    assert r.status_code == 200
    assert secret not in r.text
    for form in re.findall(r"<form\b[^>]*>.*?</form>", r.text, re.S):
        if 'type="password"' in form:
            assert 'method="post"' in form
    # A password in the query of a post is not a password: the form field is required.
    page = await client.get("/test")
    data = {"email": "a@qq.com", "csrf_token": csrf_token(page.text)}
    r = await client.post(f"/test?password={secret}", data=data)
    assert r.status_code == 422
    assert secret not in r.text


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        (b"email=a%40qq.com&password=x", b"email=a%40qq.com"),
        (b"PassWord=x&email=a", b"email=a"),
        (b"pass%77ord=x&pwd=y&secret=z&passwd=w", b""),
        (b"email=a&lang=en", None),  # nothing to drop: the query is left as it came
        (b"passwords=x", None),
    ],
)
def test_secret_query_parameters_are_dropped(query: bytes, kept: bytes | None) -> None:
    assert without_secrets(query) == kept


async def test_a_password_in_a_query_reaches_no_route(client: httpx.AsyncClient) -> None:
    secret = "S3cret-in-the-URL"
    r = await client.get(f"/setup?email=a@qq.com&password={secret}")
    assert r.status_code == 200
    assert secret not in r.text
