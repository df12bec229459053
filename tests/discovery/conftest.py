"""Discovery fixtures: a real DNS server, real HTTP(S) servers and TLS certificates."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest
import trustme

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
