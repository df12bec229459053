"""Outbound HTTP through the guard, against real HTTP(S) servers and a real DNS server."""

from __future__ import annotations

import ssl
import time

import pytest

from app.discovery.dns import DnsClient
from app.net.guard import Guard
from app.net.http import HTTP_PORTS, Fetcher, FetchError, make_fetcher
from tests.discovery.conftest import LOOPBACK, PortMap
from tests.discovery.httpserver import Site, document, endless, redirect, slow

XML = b"<clientConfig/>"


def _client(
    nameserver: str,
    context: ssl.SSLContext,
    portmap: PortMap,
    *,
    allow: bool = True,
    trusted: tuple[str, ...] = (),
    timeout: float = 3.0,
) -> Fetcher:
    guard = Guard(
        allow_networks=(LOOPBACK,) if allow else (),
        resolver=DnsClient((nameserver,), timeout=2.0),
        ports=HTTP_PORTS,
    )
    return make_fetcher(
        guard, trusted_urls=trusted, ssl_context=context, timeout=timeout, inner=portmap
    )


async def test_https_to_a_vetted_ip_with_the_name_for_tls(
    nameserver: str, client_context: ssl.SSLContext, portmap: PortMap, site: Site
) -> None:
    site.route("autoconfig.example.test", "/mail/config-v1.1.xml", document(XML))
    async with _client(nameserver, client_context, portmap) as client:
        got = await client.fetch("https://autoconfig.example.test/mail/config-v1.1.xml")
    assert got.body == XML
    assert got.content_type == "text/xml"
    # The connection went to the IP the guard vetted, never to the name.
    assert portmap.connected == [("127.0.0.1", 443)]


@pytest.mark.parametrize(
    "target",
    [
        "http://loop2.test/x",
        "http://127.0.0.2/x",
        "http://[::1]/x",
        "http://private.test/x",
        "http://mixed.test/x",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
async def test_redirect_to_a_private_address_is_refused(
    nameserver: str, client_context: ssl.SSLContext, portmap: PortMap, site: Site, target: str
) -> None:
    site.route("example.test", "/start", redirect(target))
    async with _client(nameserver, client_context, portmap) as client:
        with pytest.raises(FetchError) as info:
            await client.fetch("http://example.test/start")
    assert info.value.reason == "refused"
    assert portmap.connected == [("127.0.0.1", 80)], "the refused hop was never connected to"


async def test_private_name_is_refused_without_connecting(
    nameserver: str, client_context: ssl.SSLContext, portmap: PortMap
) -> None:
    async with _client(nameserver, client_context, portmap, allow=False) as client:
        for url in ("https://private.test/", "https://autoconfig.example.test/", "http://[::1]/"):
            with pytest.raises(FetchError) as info:
                await client.fetch(url)
            assert info.value.reason == "refused", url
    assert portmap.connected == []


async def test_at_most_three_redirects(
    nameserver: str, client_context: ssl.SSLContext, portmap: PortMap, site: Site
) -> None:
    for i in range(5):
        site.route("hop.test", f"/{i}", redirect(f"http://hop.test/{i + 1}"))
    site.route("hop.test", "/3", document(XML))
    async with _client(nameserver, client_context, portmap) as client:
        assert (await client.fetch("http://hop.test/0")).body == XML
        site.route("hop.test", "/3", redirect("http://hop.test/4"))
        with pytest.raises(FetchError) as info:
            await client.fetch("http://hop.test/0")
    assert info.value.reason == "redirects"


@pytest.mark.parametrize("declare_length", [True, False])
async def test_body_cap(
    nameserver: str,
    client_context: ssl.SSLContext,
    portmap: PortMap,
    site: Site,
    declare_length: bool,
) -> None:
    site.route("example.test", "/big", endless(declare_length))
    started = time.monotonic()
    async with _client(nameserver, client_context, portmap) as client:
        with pytest.raises(FetchError) as info:
            await client.fetch("http://example.test/big")
    assert info.value.reason == "too-large"
    assert time.monotonic() - started < 5


async def test_slow_body_times_out(
    nameserver: str, client_context: ssl.SSLContext, portmap: PortMap, site: Site
) -> None:
    site.route("example.test", "/slow", slow(seconds=10))
    started = time.monotonic()
    async with _client(nameserver, client_context, portmap, timeout=0.3) as client:
        with pytest.raises(FetchError) as info:
            await client.fetch("http://example.test/slow")
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 3


async def test_http_error_status(
    nameserver: str, client_context: ssl.SSLContext, portmap: PortMap
) -> None:
    async with _client(nameserver, client_context, portmap) as client:
        with pytest.raises(FetchError) as info:
            await client.fetch("http://example.test/missing")
    assert info.value.reason == "http-status"


async def test_untrusted_certificate_is_a_tls_failure(
    nameserver: str, portmap: PortMap, site: Site
) -> None:
    site.route("autoconfig.example.test", "/x", document(XML))
    async with _client(nameserver, ssl.create_default_context(), portmap) as client:
        with pytest.raises(FetchError) as info:
            await client.fetch("https://autoconfig.example.test/x")
    assert info.value.reason == "tls"


async def test_trusted_ispdb_origin_skips_the_guard(
    nameserver: str,
    client_context: ssl.SSLContext,
    portmap: PortMap,
    site: Site,
    web: dict[int, int],
) -> None:
    """The operator's ISPDB URL is trusted even on loopback, which is otherwise refused."""
    site.route("*", "/v1.1/example.org", document(XML))
    base = f"http://127.0.0.1:{web[80]}/v1.1/"
    async with _client(nameserver, client_context, portmap, allow=False, trusted=(base,)) as c:
        assert (await c.fetch(base + "example.org")).body == XML
        with pytest.raises(FetchError) as info:
            await c.fetch(f"http://127.0.0.1:{web[443]}/v1.1/example.org")
        assert info.value.reason == "refused"


async def test_a_redirect_to_the_trusted_ispdb_origin_is_vetted(
    nameserver: str,
    client_context: ssl.SSLContext,
    portmap: PortMap,
    site: Site,
    web: dict[int, int],
) -> None:
    """A hostile domain's autoconfig points at the ISPDB's host and port: trust belongs to
    the service's own ISPDB requests, so the hop is vetted (that port is no HTTP port)."""
    ispdb = f"http://127.0.0.1:{web[80]}/v1.1/"
    site.route("*", "/v1.1/admin/secrets", document(b"<clientConfig>SECRET</clientConfig>"))
    site.route("example.test", "/start", redirect(ispdb + "admin/secrets"))
    async with _client(nameserver, client_context, portmap, trusted=(ispdb,)) as client:
        with pytest.raises(FetchError) as info:
            await client.fetch("http://example.test/start")
    assert info.value.reason == "refused"
    assert "SECRET" not in str(info.value)
    assert ("127.0.0.1", "/v1.1/admin/secrets") not in site.requests


@pytest.mark.parametrize(
    "location",
    ["/v1.1/admin/secrets", "http://127.0.0.2/x", "http://169.254.169.254/latest/meta-data/"],
)
async def test_the_trusted_ispdbs_own_redirects_are_vetted(
    nameserver: str,
    client_context: ssl.SSLContext,
    portmap: PortMap,
    site: Site,
    web: dict[int, int],
    location: str,
) -> None:
    """Even the ISPDB's redirects, to itself included, are vetted like any other URL."""
    ispdb = f"http://127.0.0.1:{web[80]}/v1.1/"
    site.route("*", "/v1.1/example.org", redirect(location))
    site.route("*", "/v1.1/admin/secrets", document(b"<clientConfig>SECRET</clientConfig>"))
    async with _client(nameserver, client_context, portmap, allow=False, trusted=(ispdb,)) as c:
        with pytest.raises(FetchError) as info:
            await c.fetch(ispdb + "example.org")
    assert info.value.reason == "refused"
    assert [path for _, path in site.requests] == ["/v1.1/example.org"]


async def test_redirects_are_followed_hop_by_hop_and_counted(
    nameserver: str, client_context: ssl.SSLContext, portmap: PortMap, site: Site
) -> None:
    site.route("hop.test", "/a", redirect("/b", 301))
    site.route("hop.test", "/b", redirect("http://example.test/c", 307))
    site.route("example.test", "/c", document(XML))
    site.route("example.test", "/ftp", redirect("ftp://example.test/x"))
    async with _client(nameserver, client_context, portmap) as client:
        got = await client.fetch("http://hop.test/a")
        with pytest.raises(FetchError, match="redirect to ftp"):
            await client.fetch("http://example.test/ftp")
    assert got.body == XML
    assert got.url == "http://example.test/c"
    assert portmap.connected[:2] == [("127.0.0.1", 80), ("127.0.0.1", 80)]
