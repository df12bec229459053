"""Lean routes and prepared responses, for the documents mail clients fetch most.

Mail clients ask for autoconfig and Autodiscover far more often than people use
the site, and for those small answers FastAPI's parameter solving cost more than
the answer itself. A :class:`LeanRoute` is an ordinary route of the router, with
the app's middleware and exception handlers around it and its place in the OpenAPI
document (parameters it reads itself go in ``openapi_extra``), but its endpoint is
called with the :class:`~starlette.requests.Request` alone: nothing is solved.
A :class:`PreparedResponse` sends a body and headers encoded beforehand.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, cast

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class LeanRoute(APIRoute):
    """An API route whose endpoint, an ``async def`` taking only the request, is called
    directly. It has no dependencies to solve: the router that includes it must not add any.

    Register it with ``router.add_api_route(..., route_class_override=LeanRoute)``.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        params = list(inspect.signature(endpoint).parameters.values())
        if len(params) != 1 or params[0].annotation not in (Request, "Request"):
            raise TypeError(f"{path}: a lean endpoint takes only the request")
        if not inspect.iscoroutinefunction(endpoint):
            raise TypeError(f"{path}: a lean endpoint is async")
        if kwargs.get("dependencies"):
            raise TypeError(f"{path}: a lean route has no dependencies")
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Endpoint:
        return cast(Endpoint, self.endpoint)


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
