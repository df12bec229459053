"""Fixtures for the probe tests: real servers on loopback, settings, a fake resolver."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from app.net.guard import IPAddress
from app.settings import Settings
from tests.realservers import TEST_PORT_RANGE
from tests.servers import Certificates

LOOPBACK = ipaddress.IPv4Network("127.0.0.1/32")


class FakeResolver:
    """Answers from a dict; raises OSError (like getaddrinfo) for unknown names."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(self, host: str) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return [ipaddress.ip_address(a) for a in self.table[host]]


@pytest.fixture
def resolver() -> FakeResolver:
    """mail.test is the name on the test certificate; wrong.test is not."""
    return FakeResolver({"mail.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]})


def make_settings(ca_file: Path | None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "probe_allow_networks": (LOOPBACK,),
        "probe_allow_ports": TEST_PORT_RANGE,
        "probe_ca_file": ca_file,
        "probe_deadline": 10.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def probe_settings(certs: Certificates) -> Settings:
    """Loopback allowed (127.0.0.1/32 only) and the test CA trusted."""
    return make_settings(certs.ca_file)
