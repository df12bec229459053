"""The hot routes' fast path answers exactly as FastAPI's router would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, Response

from app.main import create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.http.hotpath import HotRoutes, NotHot, hot_table

OUTLOOK = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/'
    b'requestschema/2006"><Request><EMailAddress>Some.One@QQ.com</EMailAddress>'
    b"<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/"
    b"outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"
)
XML = {"Content-Type": "text/xml"}
# Requests for the hot routes, answered and refused.
REQUESTS: list[tuple[str, str, bytes | None, dict[str, str]]] = [
    ("GET", "/mail/config-v1.1.xml?emailaddress=a@qq.com", None, {}),
    ("GET", "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=a@163.com", None, {}),
    ("GET", "/mail/config-v1.1.xml", None, {"Host": "autoconfig.qq.com"}),
    ("GET", "/mail/config-v1.1.xml?emailaddress=a@nowhere.invalid", None, {}),
    ("GET", "/mail/config-v1.1.xml?emailaddress=a@bad..name", None, {}),
    ("GET", "/mail/config-v1.1.xml?emailaddress=" + "a" * 400 + "@qq.com", None, {}),
    ("GET", "/mail/config-v1.1.xml?emailaddress=a@qq.com&password=hunter2", None, {}),
    ("POST", "/autodiscover/autodiscover.xml", OUTLOOK, XML),
    ("POST", "/AutoDiscover/AutoDiscover.xml", OUTLOOK, XML),
    ("POST", "/autodiscover/autodiscover.xml", b"<not xml", XML),
    ("POST", "/autodiscover/autodiscover.xml", OUTLOOK, {"Content-Type": "text/plain"}),
]
VARYING = {"x-request-id"}


def _timeless(body: bytes) -> bytes:
    """Autodiscover error documents carry the time they were made."""
    return re.sub(rb'Time="[0-9:.]+"', b'Time=""', body)


async def _clients(settings: Settings, db: ProviderDB) -> AsyncIterator[list[httpx.AsyncClient]]:
    fast = create_app(settings, db=db)
    slow = create_app(settings, db=db, hot_routes=False)
    async with fast.router.lifespan_context(fast), slow.router.lifespan_context(slow):
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://x.test")
            for a in (fast, slow)
        ]
        yield clients
        for c in clients:
            await c.aclose()


@pytest.fixture
async def fast_and_slow(
    settings: Settings, db: ProviderDB
) -> AsyncIterator[list[httpx.AsyncClient]]:
    async for pair in _clients(settings, db):
        yield pair


@pytest.mark.parametrize(("method", "url", "body", "headers"), REQUESTS)
async def test_fast_path_answers_as_the_router_does(
    fast_and_slow: list[httpx.AsyncClient],
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
) -> None:
    a, b = [await c.request(method, url, content=body, headers=headers) for c in fast_and_slow]
    assert (a.status_code, _timeless(a.content)) == (b.status_code, _timeless(b.content))
    assert {k: v for k, v in a.headers.items() if k not in VARYING} == {
        k: v for k, v in b.headers.items() if k not in VARYING
    }


async def test_the_fast_path_takes_the_hot_routes(
    fast_and_slow: list[httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proof that the comparison above compares two paths: the router is not reached."""
    seen: list[str] = []
    original = APIRouter.__call__

    async def spy(self: APIRouter, scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(APIRouter, "__call__", spy)
    fast, slow = fast_and_slow
    assert (await fast.get("/mail/config-v1.1.xml?emailaddress=a@qq.com")).status_code == 200
    assert (await fast.get("/api/v1/providers/qq.com")).status_code == 200
    assert seen == ["/api/v1/providers/qq.com"]
    assert (await slow.get("/mail/config-v1.1.xml?emailaddress=a@qq.com")).status_code == 200
    assert seen[-1] == "/mail/config-v1.1.xml"


def _app_with(endpoint: object) -> tuple[FastAPI, APIRouter]:
    router = APIRouter()
    router.add_api_route("/hot", endpoint, methods=["GET"])  # type: ignore[arg-type]
    app = FastAPI()
    app.include_router(router)
    return app, router


def test_an_endpoint_the_fast_path_would_call_wrong_is_refused() -> None:
    async def with_param(request: Request, name: str) -> Response:
        return Response(name)

    def sync(request: Request) -> Response:
        return Response()

    async def fine(request: Request) -> Response:
        return Response()

    for endpoint, message in ((with_param, "takes only the request"), (sync, "async")):
        _, router = _app_with(endpoint)
        with pytest.raises(NotHot, match=message):
            hot_table(router.routes, [endpoint])
    _, router = _app_with(fine)
    with pytest.raises(NotHot, match="not registered: with_param"):
        hot_table(router.routes, [fine, with_param])
    assert set(hot_table(router.routes, [fine])) == {("GET", "/hot")}


async def test_an_error_in_a_hot_endpoint_is_a_500_not_a_hang() -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("boom")

    app, router = _app_with(broken)
    app.add_middleware(HotRoutes, table=hot_table(router.routes, [broken]), handlers={})
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://x.test") as c:
        assert (await c.get("/hot")).status_code == 500
