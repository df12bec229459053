"""Request rules: CSRF on form posts, JSON-only API bodies, body size caps, no secrets in URLs."""

from __future__ import annotations

import re

import httpx
import pytest

from app import metrics
from app.web.security import CsrfSigner, without_secrets
from tests.hardening.conftest import MakeClient
from tests.hardening.forms import csrf_token, post_form

FORM = {"email": "alice@mail.test", "password": "x", "servers": "imap:192.0.2.1:993:tls"}
COOKIE = "mailsetup_csrf"


def probes_counted() -> float:
    return sum(
        s.value
        for m in metrics.TEST_RESULTS.collect()
        for s in m.samples
        if s.name.endswith("_total")
    )


async def test_a_form_post_with_the_pages_token_works(client: httpx.AsyncClient) -> None:
    page = await client.get("/test")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; see test_headers for https
    again = await client.get("/test")
    assert "set-cookie" not in again.headers  # the cookie's token is reused
    assert csrf_token(again.text) == csrf_token(page.text)
    r = await post_form(client, FORM)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "attack",
    ["no token", "no cookie", "mismatch", "forged", "other key", "non-ascii", "empty"],
)
async def test_form_posts_without_a_valid_token_are_refused(
    client: httpx.AsyncClient, attack: str
) -> None:
    page = await client.get("/test")
    token = csrf_token(page.text)
    forged = CsrfSigner(b"k" * 32).issue()
    nonce = token.split(".")[0]
    cases: dict[str, tuple[str | None, str | None]] = {  # (cookie, field)
        "no token": (token, None),
        "no cookie": (None, token),
        "mismatch": (token, CsrfSigner(b"x" * 32).issue()),
        "forged": (f"{nonce}.AAAA", f"{nonce}.AAAA"),
        "other key": (forged, forged),  # a real token of another instance's key
        "non-ascii": ("ü.ü", "ü.ü"),
        "empty": ("", ""),
    }
    cookie, field = cases[attack]
    client.cookies.clear()
    headers = {"Cookie": f"{COOKIE}={cookie}".encode()} if cookie is not None else {}
    data = {**FORM, **({"csrf_token": field} if field is not None else {})}
    before = probes_counted()
    r = await client.post("/test", data=data, headers=headers)
    assert r.status_code == 403, r.text
    assert r.headers["cache-control"] == "no-store"
    assert "This form has expired" in r.text
    assert probes_counted() == before  # nothing was probed


async def test_a_shared_secret_key_makes_tokens_valid_on_every_instance(
    make_client: MakeClient,
) -> None:
    a = await make_client(secret_key="one secret shared by all")
    b = await make_client(secret_key="one secret shared by all")
    page = await a.get("/test")
    b.cookies.set(COOKIE, a.cookies[COOKIE])
    r = await b.post("/test", data={**FORM, "csrf_token": csrf_token(page.text)})
    assert r.status_code == 200
    c = await make_client()  # a random key of its own
    c.cookies.set(COOKIE, a.cookies[COOKIE])
    other = await c.post("/test", data={**FORM, "csrf_token": csrf_token(page.text)})
    assert other.status_code == 403


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
