"""What the live-test commands need: settings that reach the local servers only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import get_settings
from tests.realservers import PROBE_LOOPBACK_ENV
from tests.servers import Certificates


@pytest.fixture
def local_servers(
    nameserver: str, certs: Certificates, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The local DNS server, loopback test ports, the test CA, and no online ISPDB."""
    monkeypatch.setenv("MAILSETUP_DNS_SERVERS", nameserver)
    monkeypatch.setenv("MAILSETUP_ISPDB_URL", "http://127.0.0.1:9/v1.1/")
    for name, value in PROBE_LOOPBACK_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAILSETUP_PROBE_CA_FILE", str(certs.ca_file))
    monkeypatch.setenv("MAILSETUP_PROBE_DEADLINE", "10")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
