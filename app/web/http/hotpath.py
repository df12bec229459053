"""The hottest routes, answered without FastAPI's router and parameter solving.

Mail clients ask for autoconfig and Autodiscover far more often than people use
the site, and for those answers FastAPI's routing and parameter solving cost
more than the answer itself. :class:`HotRoutes`, between the edge and FastAPI
(:class:`app.main.Service`), looks the request's method and path up in a dict and
calls the route's endpoint directly. The routes stay registered with FastAPI
(the OpenAPI document lists them), and the endpoint is the same function either
way; a hot endpoint takes only the :class:`~starlette.requests.Request` and
reads its parameters itself.
Exceptions go to the app's exception handlers, as FastAPI would send them.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Exception], Awaitable[Response]]


class NotHot(TypeError):
    """An endpoint named hot that the fast path cannot call."""


def hot_table(
    routes: Iterable[BaseRoute], endpoints: Iterable[Callable[..., Any]]
) -> dict[tuple[str, str], APIRoute]:
    """(method, path) → route for each of ``routes`` (an un-prefixed router's) whose
    endpoint is one of ``endpoints``.

    Raises :class:`NotHot` when an endpoint is not registered, has a path
    parameter, or takes anything but the request: the fast path would call it wrong.
    """
    wanted = set(endpoints)
    table: dict[tuple[str, str], APIRoute] = {}
    for route in routes:
        if not isinstance(route, APIRoute) or route.endpoint not in wanted:
            continue
        if route.param_convertors or route.dependencies:
            raise NotHot(f"{route.path} has path parameters or dependencies")
        params = list(inspect.signature(route.endpoint).parameters.values())
        if len(params) != 1 or params[0].annotation not in (Request, "Request"):
            raise NotHot(f"{route.path}: a hot endpoint takes only the request")
        if not inspect.iscoroutinefunction(route.endpoint):
            raise NotHot(f"{route.path}: a hot endpoint is async")
        for method in route.methods or ():
            table[(method, route.path)] = route
    missing = wanted - {route.endpoint for route in table.values()}
    if missing:
        raise NotHot(f"not registered: {', '.join(sorted(e.__name__ for e in missing))}")
    return table


class HotRoutes:
    """ASGI middleware: answers the routes of ``table`` itself, passes the rest on."""

    def __init__(
        self,
        app: ASGIApp,
        table: Mapping[tuple[str, str], APIRoute],
        handlers: Mapping[Any, Callable[..., Any]],
    ) -> None:
        self.app = app
        self.table = dict(table)
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http":
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            route = self.table.get((scope["method"], path))
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # as FastAPI's router records it (for the route label)
        request = Request(scope, receive)
        endpoint: Endpoint = route.endpoint
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _handler(self, exc: Exception) -> Handler | None:
        for cls in type(exc).__mro__:
            if cls is Exception:  # the server error handler's business, as in Starlette
                break
            if cls in self.handlers:
                handler: Handler = self.handlers[cls]
                return handler
        return None


class PreparedResponse(Response):
    """A response whose body and encoded headers are ready: made per request for the
    documents served most, where Starlette's header encoding was a tenth of the work."""

    def __init__(
        self, body: bytes, headers: Iterable[tuple[bytes, bytes]], status_code: int = 200
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = list(headers)  # the edge appends to a response's own list
