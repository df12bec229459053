"""Discovery fixtures: a real DNS server, real HTTP(S) servers and TLS certificates."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest
import trustme

from app.discovery.dns import DnsClient
from app.discovery.pipeline import Discoverer
from app.models import ServerEndpoint, TraceOutcome
from app.net.guard import Guard
from app.net.http import HTTP_PORTS, make_fetcher
from app.providers.db import ProviderDB
from app.providers.snapshot import IspdbSnapshot
from app.settings import Settings
from tests.discovery.httpserver import Site, serve
from tests.dnsmasq import NAMES
from tests.probe.conftest import probe_settings, resolver

__all__ = ["probe_settings", "resolver"]  # the guess verifier's tests probe like the tester

LOOPBACK = ipaddress.ip_network("127.0.0.1/32")


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
def web(site: Site, ca: trustme.CA) -> Iterator[dict[int, int]]:
    """HTTP and HTTPS on loopback; maps the standard ports 80 and 443 to theirs."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*NAMES).configure_cert(server_context)
    with serve(site) as http_port, serve(site, server_context) as https_port:
        yield {80: http_port, 443: https_port}


class PortMap(httpcore.AsyncNetworkBackend):
    """Connects 80/443 to the test servers' ports, and records every connection."""

    def __init__(self, mapping: dict[int, int]) -> None:
        self.mapping = mapping
        self.inner = httpcore.AnyIOBackend()
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host: str, port: int, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        return await self.inner.connect_tcp(host, self.mapping.get(port, port), **kwargs)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@pytest.fixture
def portmap(web: dict[int, int]) -> PortMap:
    return PortMap(web)


class ListVerifier:
    """Confirms exactly the endpoints listed; the real verifier has its own tests."""

    def __init__(self, confirmed: set[tuple[str, int]]) -> None:
        self.confirmed = confirmed
        self.asked: list[tuple[str, int]] = []

    async def confirm(self, endpoint: ServerEndpoint) -> tuple[TraceOutcome, str] | None:
        self.asked.append((endpoint.host, endpoint.port))
        if (endpoint.host, endpoint.port) in self.confirmed:
            return None
        return TraceOutcome.CONNECTION_FAILED, "refused"


@pytest.fixture
async def make_discoverer(
    nameserver: str,
    client_context: ssl.SSLContext,
    portmap: PortMap,
    web: dict[int, int],
    db: ProviderDB,
) -> AsyncIterator[object]:
    clients = []

    def make(
        verifier: ListVerifier | None = None,
        deadline: float = 5.0,
        dns_server: str | None = None,
        dns_timeout: float = 2.0,
        snapshot: IspdbSnapshot | None = None,
        ispdb_url: str | None = None,
    ) -> Discoverer:
        """A discoverer on the local DNS and web servers; ``snapshot`` replaces the
        shipped ISPDB snapshot, ``ispdb_url`` the local web server's ISPDB."""
        ns = dns_server or nameserver
        settings = Settings(
            ispdb_url=ispdb_url or f"http://127.0.0.1:{web[80]}/v1.1/",
            dns_servers=(ns,),
            discovery_deadline=deadline,
        )
        dns = DnsClient((ns,), timeout=dns_timeout)
        guard = Guard(allow_networks=(LOOPBACK,), resolver=dns, ports=HTTP_PORTS)
        http = make_fetcher(
            guard,
            trusted_urls=(settings.ispdb_url,),
            ssl_context=client_context,
            timeout=3.0,
            inner=portmap,
        )
        clients.append(http)
        known = db if snapshot is None else ProviderDB(db.records, snapshot)
        return Discoverer(known, dns, http, settings, verifier=verifier)

    yield make
    for c in clients:
        await c.aclose()
