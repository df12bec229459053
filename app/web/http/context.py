"""Per-request context: the request id, the client, the route template, the access line.

The edge middleware (:mod:`app.web.http.edge`) accepts a sane ``X-Request-ID`` or
makes one (:func:`request_id_of`), puts it in every log line of the request
(:data:`app.logging_setup.request_id`) and echoes it in the response. It keeps a
:class:`RequestInfo` in the scope's state, and at the end logs
(:func:`log_request`) and counts the request under its route template
(:func:`route_label`).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

from starlette.routing import Match
from starlette.types import Scope

from app import metrics
from app.logging_setup import info_direct
from app.web.http.statekeys import StateKey

access_log = logging.getLogger("app.access")

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass
class RequestInfo:
    """What the edge learns about a request; ``route`` is the route template."""

    id: str
    client: str
    https: bool
    route: str = metrics.UNMATCHED


def request_info(scope: Scope) -> RequestInfo | None:
    info = (scope.get("state") or {}).get(StateKey.REQUEST)
    return info if isinstance(info, RequestInfo) else None


def request_id_of(scope: Scope) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            return given if REQUEST_ID.fullmatch(given) else _new_id()
    return _new_id()


def _new_id() -> str:
    """32 random hex digits, like ``uuid4().hex`` (less its version bits), cheaper."""
    return os.urandom(16).hex()


def log_request(method: str, info: RequestInfo, status: int, seconds: float) -> None:
    """The access line: method, route template, status, duration and client."""
    ms = round(seconds * 1000, 1)
    fields = {
        "client": info.client,
        "duration_ms": ms,
        "method": method,
        "route": info.route,
        "status": status,
    }
    message = f"{method} {info.route} {status} {ms:.1f} ms"
    if not info_direct(access_log, message, fields):
        access_log.info(message, extra=fields)


def route_label(scope: Scope, before: Scope) -> str:
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
