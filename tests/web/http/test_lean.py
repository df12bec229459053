"""Lean routes: plain routes of the app's router, documented in OpenAPI, whose endpoint
gets the request alone, without FastAPI's parameter solving."""

from __future__ import annotations

from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import Request, Response

from app.main import LEAN_ROUTES, create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.http.lean import LeanRoute
from tests.web.routes.test_clientconfig import XML
from tests.web.routes.test_clientconfig import request as autodiscover_request


async def test_lean_routes_solve_no_parameters(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The autoconfig and Autodiscover routes call their endpoint directly; the others
    go through FastAPI's parameter solving."""
    solved: list[str] = []
    original = fastapi.routing.solve_dependencies

    async def spy(*, request: Request, **kwargs: Any) -> Any:
        solved.append(request.url.path)
        return await original(request=request, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", spy)
    r = await client.get("/mail/config-v1.1.xml?emailaddress=a@qq.com")
    assert r.status_code == 200
    r = await client.get("/.well-known/autoconfig/mail/config-v1.1.xml", headers={"Host": "qq.com"})
    assert r.status_code == 200
    r = await client.post(
        "/AutoDiscover/AutoDiscover.xml", content=autodiscover_request("a@qq.com"), headers=XML
    )
    assert r.status_code == 200
    assert solved == []
    assert (await client.get("/v1.1/qq.com")).status_code == 200
    assert solved == ["/v1.1/qq.com"]


async def test_lean_routes_stay_in_the_api_docs(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"):
        operation = paths[path]["get"]
        assert operation["tags"] == ["autoconfig"]
        params = {(p["in"], p["name"]): p["schema"] for p in operation["parameters"]}
        assert params == {
            ("query", "emailaddress"): {"type": "string", "maxLength": 320},
            ("header", "if-none-match"): {"type": "string", "maxLength": 1024},
        }
    autodiscover = paths["/autodiscover/autodiscover.xml"]
    assert set(autodiscover) == {"post"}
    assert autodiscover["post"]["tags"] == ["client configuration"]


def test_an_endpoint_a_lean_route_would_call_wrong_is_refused() -> None:
    async def with_param(request: Request, name: str) -> Response:
        return Response(name)

    def sync(request: Request) -> Response:
        return Response()

    async def fine(request: Request) -> Response:
        return Response()

    for endpoint, message in ((with_param, "takes only the request"), (sync, "async")):
        with pytest.raises(TypeError, match=message):
            LeanRoute("/x", endpoint, methods=["GET"], operation={})  # type: ignore[arg-type]
    LeanRoute("/x", fine, methods=["GET"], operation={})


def test_lean_routes_are_first_in_the_apps_own_router(settings: Settings, db: ProviderDB) -> None:
    """The router tries them before FastAPI's own, the docs, the static files and any
    included router."""
    first = create_app(settings, db=db).router.routes[: len(LEAN_ROUTES)]
    assert first == list(LEAN_ROUTES)
    assert {(r.path, *sorted(r.methods - {"HEAD"})) for r in first} == {
        ("/mail/config-v1.1.xml", "GET"),
        ("/.well-known/autoconfig/mail/config-v1.1.xml", "GET"),
        ("/autodiscover/autodiscover.xml", "POST"),
    }
