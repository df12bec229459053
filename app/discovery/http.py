"""Outbound HTTP through the SSRF guard: autoconfig, ISPDB and Autodiscover fetches.

Every TCP connection httpx opens goes through :class:`GuardedBackend`, which
resolves the name once, vets every address with the guard, then connects to a
vetted IP. httpx still uses the host name for SNI and certificate checks, and
each redirect hop opens its own vetted connection. The operator's ISPDB host
is trusted and skips the vetting.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from app.errors import GuardRefused, MailsetupError, ProbeDNSError, ProbeError, ProbeTimeout
from app.probe.guard import Guard

HTTP_PORTS = frozenset({80, 443})
MAX_BODY = 1024 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "mailsetup-discovery (+https://github.com/mailsetup)"


class FetchError(MailsetupError):
    """A document could not be fetched; ``reason`` is a short stable code."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the guard vetted."""

    def __init__(
        self,
        guard: Guard,
        trusted: Iterable[tuple[str, int]] = (),
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.guard = guard
        self.trusted = frozenset(trusted)
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if (host, port) in self.trusted:
            targets = [host]
        else:
            targets = [str(a) for a in await self.guard.vet(host, port)]
        last: Exception = httpcore.ConnectError(f"no address to connect to for {host}")
        for target in targets:
            try:
                return await self.inner.connect_tcp(
                    target,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from discovery")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on a :class:`GuardedBackend`."""

    def __init__(self, backend: GuardedBackend, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx builds its pool without a network-backend hook; this is the one place
        # mailsetup reaches into it. tests/discovery/test_http.py fails if it stops working.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


def origin(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or "", port)


def make_client(
    guard: Guard,
    *,
    trusted_urls: Iterable[str] = (),
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
    inner: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """The one outbound HTTP client: guarded, at most 3 redirects, timeouts on every phase."""
    context = ssl_context or ssl.create_default_context()
    backend = GuardedBackend(guard, (origin(u) for u in trusted_urls), inner)
    return httpx.AsyncClient(
        transport=GuardedTransport(backend, context),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT, "Accept": "text/xml, application/xml"},
        trust_env=False,
    )


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content_type: str
    body: bytes


async def fetch(client: httpx.AsyncClient, url: str, max_bytes: int = MAX_BODY) -> Fetched:
    """GET ``url`` (2xx only), reading at most ``max_bytes``; raise :class:`FetchError`."""
    try:
        async with client.stream("GET", url) as response:
            if not 200 <= response.status_code < 300:
                raise FetchError("http-status", f"{url} answered HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError("too-large", f"{url} declares {declared} bytes (cap {max_bytes})")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError("too-large", f"{url} sent more than {max_bytes} bytes")
                chunks.append(chunk)
            content_type = response.headers.get("content-type", "")
            return Fetched(str(response.url), response.status_code, content_type, b"".join(chunks))
    except ProbeError as exc:  # the guard refused, or the name did not resolve
        raise FetchError(_probe_reason(exc), str(exc)) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError("redirects", f"{url}: more than {MAX_REDIRECTS} redirects") from exc
    except httpx.TimeoutException as exc:
        raise FetchError("timeout", f"{url}: timed out ({type(exc).__name__})") from exc
    except httpx.ConnectError as exc:
        reason = "tls" if "SSL" in str(exc) or "certificate" in str(exc) else "connect"
        raise FetchError(reason, f"{url}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise FetchError("http-error", f"{url}: {type(exc).__name__}: {exc}") from exc


def _probe_reason(exc: ProbeError) -> str:
    if isinstance(exc, GuardRefused):
        return "refused"
    if isinstance(exc, ProbeDNSError):
        return "dns"
    if isinstance(exc, ProbeTimeout):
        return "timeout"
    return "connect"
