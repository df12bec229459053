"""DNS lookups against a real dnsmasq on loopback."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from app.discovery.dns import DnsClient, DnsStatus, MxRecord, SrvRecord, parse_nameserver
from app.errors import ProbeDNSError
from tests.dnsmasq import Zone, run_dnsmasq

ZONE = Zone(
    mx=[("gw.test", "aspmx.l.google.com", 1), ("gw.test", "alt1.aspmx.l.google.com", 5)],
    srv=[
        ("_imaps._tcp.srvonly.test", "mail.srvonly.test", 993, 0, 1),
        ("_submission._tcp.srvonly.test", "mail.srvonly.test", 587, 0, 1),
    ],
    no_service=["_pop3._tcp.srvonly.test"],
    hosts=[
        ("mail.srvonly.test", "192.0.2.10"),
        ("dual.test", "192.0.2.11"),
        ("dual.test", "2001:db8::11"),
    ],
)


@pytest.fixture(scope="module")
def nameserver() -> Iterator[str]:
    with run_dnsmasq(ZONE) as ns:
        yield ns


@pytest.fixture
def client(nameserver: str) -> DnsClient:
    return DnsClient((nameserver,), timeout=2.0)


async def test_mx_sorted_by_preference(client: DnsClient) -> None:
    answer = await client.mx("gw.test")
    assert answer.status is DnsStatus.OK
    assert answer.records == (
        MxRecord(1, "aspmx.l.google.com"),
        MxRecord(5, "alt1.aspmx.l.google.com"),
    )


async def test_nxdomain_and_no_records_are_answers(client: DnsClient) -> None:
    missing = await client.mx("nothing-here.test")
    assert missing.status is DnsStatus.NXDOMAIN
    assert "does not exist" in missing.detail
    no_mx = await client.mx("dual.test")
    assert no_mx.status is DnsStatus.NO_RECORDS


async def test_srv_and_not_offered(client: DnsClient) -> None:
    imaps = await client.srv("_imaps._tcp.srvonly.test")
    assert imaps.records == (SrvRecord(0, 1, 993, "mail.srvonly.test"),)
    pop3 = await client.srv("_pop3._tcp.srvonly.test")
    assert pop3.status is DnsStatus.OK
    assert [r.target for r in pop3.records] == [""]


async def test_addresses_and_guard_resolver(client: DnsClient) -> None:
    assert await client.resolve("dual.test") == [
        ipaddress.ip_address("192.0.2.11"),
        ipaddress.ip_address("2001:db8::11"),
    ]
    with pytest.raises(ProbeDNSError, match="does not exist"):
        await client.resolve("nothing-here.test")


async def test_timeout_is_an_answer() -> None:
    """A nameserver that never answers: a timeout status within the limit."""
    import socket
    import time

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        client = DnsClient((f"127.0.0.1:{port}",), timeout=0.5)
        started = time.monotonic()
        answer = await client.mx("gw.test")
        assert answer.status is DnsStatus.TIMEOUT
        assert time.monotonic() - started < 2
        with pytest.raises(TimeoutError):
            await client.resolve("dual.test")


@pytest.mark.parametrize(
    ("spec", "host", "port"),
    [
        ("127.0.0.1", "127.0.0.1", 53),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("[::1]:5353", "::1", 5353),
        ("::1", "::1", 53),
    ],
)
def test_parse_nameserver(spec: str, host: str, port: int) -> None:
    ns = parse_nameserver(spec)
    assert (ns.address, ns.port) == (host, port)


def test_nameserver_must_be_an_address() -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        parse_nameserver("dns.google")
