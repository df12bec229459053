"""Outbound HTTP through the SSRF guard: autoconfig, ISPDB and Autodiscover fetches.

Every TCP connection httpx opens goes through :class:`GuardedBackend`, which
resolves the name once, vets every address with the guard, then connects to a
vetted IP. httpx still uses the host name for SNI and certificate checks.

:class:`Fetcher` follows redirects itself, each hop on a vetted connection. Trust
belongs to requests, not to hosts: a request the service makes under the
operator's ISPDB URL goes out unvetted, on a client of its own that only ever
connects there, and its redirects, like every other hop, are vetted. A redirect
from anywhere to the ISPDB's host and port is vetted like any other URL.
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
from app.net.guard import Guard

HTTP_PORTS = frozenset({80, 443})
MAX_BODY = 1024 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "mailsetup-discovery (+https://github.com/mailsetup)"


class FetchError(MailsetupError):
    """A document could not be fetched; ``reason`` is a short stable code, and
    ``status`` the HTTP status when the server answered with an error."""

    def __init__(self, reason: str, message: str, status: int | None = None) -> None:
        self.reason = reason
        self.status = status
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


def _client(backend: GuardedBackend, context: ssl.SSLContext, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=GuardedTransport(backend, context),
        follow_redirects=False,  # Fetcher follows them, vetting each hop
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


class Fetcher:
    """GETs documents through the guard, at most :data:`MAX_REDIRECTS` redirects and
    :data:`MAX_BODY` bytes; raises :class:`FetchError`. Only the first request of a
    URL under a ``trusted_urls`` prefix skips the guard."""

    def __init__(
        self,
        guarded: httpx.AsyncClient,
        trusted: httpx.AsyncClient | None = None,
        trusted_urls: Iterable[str] = (),
    ) -> None:
        self.guarded, self.trusted = guarded, trusted
        self.trusted_urls = tuple(trusted_urls)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.guarded.aclose()
        if self.trusted is not None:
            await self.trusted.aclose()

    def _first_client(self, url: str) -> httpx.AsyncClient:
        if self.trusted is not None and url.startswith(self.trusted_urls):
            return self.trusted
        return self.guarded

    async def fetch(self, url: str, max_bytes: int = MAX_BODY) -> Fetched:
        """GET ``url`` (2xx only), following redirects, reading at most ``max_bytes``."""
        try:
            return await self._fetch(url, max_bytes)
        except ProbeError as exc:  # the guard refused, or the name did not resolve
            raise FetchError(_probe_reason(exc), str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"{url}: timed out ({type(exc).__name__})") from exc
        except httpx.ConnectError as exc:
            reason = "tls" if "SSL" in str(exc) or "certificate" in str(exc) else "connect"
            raise FetchError(reason, f"{url}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError("http-error", f"{url}: {type(exc).__name__}: {exc}") from exc

    async def _fetch(self, url: str, max_bytes: int) -> Fetched:
        current, client = httpx.URL(url), self._first_client(url)
        for hop in range(MAX_REDIRECTS + 1):
            async with client.stream("GET", current) as response:
                if response.has_redirect_location:
                    if hop == MAX_REDIRECTS:
                        raise FetchError("redirects", f"{url}: more than {MAX_REDIRECTS} redirects")
                    current = response.url.join(response.headers["location"])
                    if current.scheme not in ("http", "https"):
                        raise FetchError("http-error", f"{url}: a redirect to {current.scheme}:")
                    client = self.guarded  # trust never carries over a redirect
                    continue
                return await _read(response, max_bytes)
        raise AssertionError("unreachable: the last hop returns or raises")


async def _read(response: httpx.Response, max_bytes: int) -> Fetched:
    url = str(response.url)
    if not 200 <= response.status_code < 300:
        code = response.status_code
        raise FetchError("http-status", f"{url} answered HTTP {code}", status=code)
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
    return Fetched(url, response.status_code, content_type, b"".join(chunks))


def make_fetcher(
    guard: Guard,
    *,
    trusted_urls: Iterable[str] = (),
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
    inner: httpcore.AsyncNetworkBackend | None = None,
) -> Fetcher:
    """The one outbound HTTP fetcher: guarded, timeouts on every phase. ``trusted_urls``
    (the operator's ISPDB) get a client of their own that connects only to their origins."""
    context = ssl_context or ssl.create_default_context()
    trusted_urls = tuple(trusted_urls)
    guarded = _client(GuardedBackend(guard, (), inner), context, timeout)
    trusted = None
    if trusted_urls:
        only_there = Guard(allow_networks=(), resolver=guard.resolver, ports=())  # refuses all
        backend = GuardedBackend(only_there, (origin(u) for u in trusted_urls), inner)
        trusted = _client(backend, context, timeout)
    return Fetcher(guarded, trusted, trusted_urls)


def _probe_reason(exc: ProbeError) -> str:
    if isinstance(exc, GuardRefused):
        return "refused"
    if isinstance(exc, ProbeDNSError):
        return "dns"
    if isinstance(exc, ProbeTimeout):
        return "timeout"
    return "connect"
