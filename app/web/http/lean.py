"""Lean routes and prepared responses, for the documents mail clients fetch most.

Mail clients ask for autoconfig and Autodiscover far more often than people use
the site, and for those small answers FastAPI's route handling (parameter solving,
its per-route context) cost more than the answer itself. A :class:`LeanRoute` is a
plain Starlette route in the app's own router: the app's middleware and exception
handlers surround it as they do every route (an exception goes up to the app's
``ExceptionMiddleware``, as from any route, and on to its handlers), but its
endpoint gets the :class:`~starlette.requests.Request` alone and reads its
parameters itself.
FastAPI documents only its own routes, so :func:`document` adds each lean route's
operation to the OpenAPI document. A :class:`PreparedResponse` sends a body and
headers encoded beforehand.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class LeanRoute(Route):
    """A route whose endpoint, an ``async def`` taking only the request, is called
    without FastAPI's parameter solving. ``operation`` is its OpenAPI operation
    (tags, parameters, responses); the description is the endpoint's docstring."""

    def __init__(
        self, path: str, endpoint: Endpoint, *, methods: list[str], operation: dict[str, Any]
    ) -> None:
        params = list(inspect.signature(endpoint).parameters.values())
        if len(params) != 1 or params[0].annotation not in (Request, "Request"):
            raise TypeError(f"{path}: a lean endpoint takes only the request")
        if not inspect.iscoroutinefunction(endpoint):
            raise TypeError(f"{path}: a lean endpoint is async")
        super().__init__(path, endpoint, methods=methods, include_in_schema=False)
        self._endpoint = endpoint
        self.app = self._call  # not wrapped: the app's ExceptionMiddleware handles errors
        self.operation = {
            "summary": endpoint.__name__.replace("_", " ").title(),
            "description": inspect.getdoc(endpoint) or "",
            "responses": {"200": {"description": "Successful Response"}},
            **operation,
        }

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self  # as FastAPI's routes record themselves (the metrics' label)
        await super().handle(scope, receive, send)

    async def _call(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._endpoint(Request(scope, receive, send))
        await response(scope, receive, send)


def document(schema: dict[str, Any], routes: Iterable[object]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document) with the operation of each lean route in ``routes``."""
    paths: dict[str, Any] = schema.setdefault("paths", {})
    for route in routes:
        if isinstance(route, LeanRoute):
            item = paths.setdefault(route.path, {})
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    unique = re.sub(r"\W", "_", f"{route.name}{route.path}_{method.lower()}")
                    item[method.lower()] = {**route.operation, "operationId": unique}
    return schema


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
