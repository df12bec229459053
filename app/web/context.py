"""Per-request context: the request id, the client, one access log line and the metrics.

:class:`RequestContext` (outermost) accepts a sane ``X-Request-ID`` or makes one,
puts it in every log line of the request (:data:`app.logging_setup.request_id`)
and echoes it in the response. It resolves the client behind trusted proxies
once, and at the end logs and counts the request under its route template.
:class:`RouteLabel` (innermost) reads that template once routing has happened.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.logging_setup import request_id
from app.settings import Settings
from app.web.clientip import resolve_client
from app.web.security import STATE_HTTPS

access_log = logging.getLogger("app.access")

STATE_INFO = "mailsetup.request"
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass
class RequestInfo:
    """What the middlewares learn about a request; ``route`` is the route template."""

    id: str
    client: str
    https: bool
    route: str = metrics.UNMATCHED


def request_info(scope: Scope) -> RequestInfo | None:
    info = (scope.get("state") or {}).get(STATE_INFO)
    return info if isinstance(info, RequestInfo) else None


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return uuid.uuid4().hex


def _log_done(method: str, info: RequestInfo, status: int, seconds: float) -> None:
    """The access log line. The record is made directly: finding the caller's frame,
    which ``Logger.info`` does first, would cost more than the rest of the line."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    ms = round(seconds * 1000, 1)
    record = access_log.makeRecord(
        access_log.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %d %.1f ms",
        (method, info.route, status, ms),
        None,
        extra={
            "method": method,
            "route": info.route,
            "status": status,
            "duration_ms": ms,
            "client": info.client,
        },
    )
    access_log.handle(record)


class RequestContext:
    """ASGI middleware: request id, client, access log and request metrics."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        rid_header = (b"x-request-id", rid.encode())
        client = resolve_client(scope, self.settings.trusted_proxies, self.settings.proxy_header)
        info = RequestInfo(rid, client.address, client.https)
        state = scope.setdefault("state", {})
        state[STATE_INFO] = info
        state[STATE_HTTPS] = client.https
        status = 500  # unless a response starts: an exception became the server's 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            access_log.exception("unhandled error in %s %s", scope["method"], info.route)
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.request_done(info.route, scope["method"], status, seconds)
            _log_done(scope["method"], info, status, seconds)
            request_id.reset(token)


class RouteLabel:
    """ASGI middleware, innermost: records the matched route's template (or the mount's
    prefix) in the request's :class:`RequestInfo` once the router has run."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        before = dict(scope)
        try:
            await self.app(scope, receive, send)
        finally:
            info = request_info(scope)
            if info is not None:
                info.route = _label(scope, before)


def _label(scope: Scope, before: Scope) -> str:
    """The template of the route that took the request: FastAPI's routes record
    themselves in the scope; plain routes and mounts are matched again."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    app = before.get("app")
    for route in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = route.matches(before)
        if match is Match.FULL:
            template = str(getattr(route, "path", ""))
            return template + "/{path}" if hasattr(route, "routes") else template
    return metrics.UNMATCHED
