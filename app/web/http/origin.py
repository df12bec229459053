"""The base URL of absolute links and QR codes: ``MAILSETUP_PUBLIC_URL``, or the request's.

With the setting unset, the origin is the request's own: the scheme the edge resolved
(a trusted proxy's ``X-Forwarded-Proto``) and the host a trusted proxy forwarded
(``X-Forwarded-Host`` or ``Forwarded: host=``), else the ``Host`` header, else the
address the server listens on. Forwarding headers from any other peer are ignored, and
a host that is not a host name or an IP address is never used. A response built from it
is marked, and the edge sends it ``Cache-Control: private`` (:func:`private_headers`),
so no shared cache hands one visitor's origin to another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi import Request
from starlette.types import Scope

from app.settings import Settings
from app.web.http.clientip import forwarded_host
from app.web.http.deps import state_of
from app.web.http.security import request_is_https
from app.web.http.statekeys import StateKey

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(
    rf"(?P<name>{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]{{2,45}}\])(?::(?P<port>\d{{1,5}}))?"
)
DEFAULT_PORTS = {"http": "80", "https": "443"}
FALLBACK_HOST = "localhost"
PRIVATE = (b"cache-control", b"private")


def clean_host(value: str | None, scheme: str) -> str | None:
    """``value`` as ``host[:port]`` in lower case without the scheme's default port, or
    None when it is not a host name, IPv4 or bracketed IPv6 address with an optional port."""
    if not value or len(value) > 260:
        return None
    found = _HOST.fullmatch(value.strip().lower())
    if found is None:
        return None
    name, port = found["name"], found["port"]
    if port is None or port == DEFAULT_PORTS[scheme]:
        return name
    return f"{name}:{port}" if 0 < int(port) < 65536 else None


def _server_host(scope: Scope) -> str:
    server = scope.get("server")
    if not server or server[0] is None:
        return FALLBACK_HOST
    host, port = str(server[0]), server[1]
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port is not None else host


def request_origin(scope: Scope, settings: Settings) -> str:
    """``scheme://host[:port]`` of the request as its visitor sent it."""
    scheme = "https" if request_is_https(scope, settings) else "http"
    forwarded = forwarded_host(scope, settings.trusted_proxies, settings.proxy_header)
    host = clean_host(forwarded, scheme)
    if host is None:
        direct = [v for k, v in scope.get("headers", ()) if k == b"host"]
        host = clean_host(direct[0].decode("latin-1"), scheme) if direct else None
    return f"{scheme}://{host or _server_host(scope)}"


def public_origin(request: Request) -> str:
    """The base URL of absolute links: ``MAILSETUP_PUBLIC_URL``, or this request's origin,
    which marks the response private."""
    settings = state_of(request).settings
    if settings.public_url is not None:
        return settings.public_url
    request.scope.setdefault("state", {})[StateKey.REQUEST_ORIGIN] = True
    return request_origin(request.scope, settings)


def private_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``Cache-Control: private``, unless the route's own already keeps
    the response out of shared caches (``private`` or ``no-store``)."""
    headers = list(headers)
    kept = []
    for name, value in headers:
        if name.lower() == PRIVATE[0]:
            lowered = value.lower()
            if b"private" in lowered or b"no-store" in lowered:
                return headers
            continue
        kept.append((name, value))
    kept.append(PRIVATE)
    return kept
