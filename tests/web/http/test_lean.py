"""Lean routes: ordinary routes of the router, documented in OpenAPI, whose endpoint
gets the request alone, without FastAPI's parameter solving."""

from __future__ import annotations

from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, Depends, Request, Response

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

    async def dependency() -> None:
        return None

    router = APIRouter()
    for endpoint, message in ((with_param, "takes only the request"), (sync, "async")):
        with pytest.raises(TypeError, match=message):
            router.add_api_route("/x", endpoint, route_class_override=LeanRoute)
    with pytest.raises(TypeError, match="no dependencies"):
        router.add_api_route(
            "/x", fine, dependencies=[Depends(dependency)], route_class_override=LeanRoute
        )
    guarded = APIRouter(dependencies=[Depends(dependency)])
    with pytest.raises(TypeError, match="no dependencies"):
        guarded.add_api_route("/x", fine, route_class_override=LeanRoute)
    router.add_api_route("/x", fine, route_class_override=LeanRoute)
