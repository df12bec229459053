"""The SSRF guard refuses before connecting: a fake connector fails the test if called."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from app.errors import GuardRefused, ProbeConnectError, ProbeDNSError, ProbeTimeout
from app.net.guard import MAIL_PORTS, Guard, Streams, SystemResolver, refusal_reason
from app.settings import Settings
from tests.probe.conftest import FakeResolver
from tests.probe.fakes import ForbiddenConnector

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


class RecordingConnector:
    """Pretends to connect; records where to. Fails with ``errors`` for listed IPs."""

    def __init__(self, errors: dict[str, OSError] | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.errors = errors or {}

    async def __call__(self, ip: str, port: int) -> Streams:
        self.calls.append((ip, port))
        if ip in self.errors:
            raise self.errors[ip]
        return asyncio.StreamReader(), None  # type: ignore[return-value]  # streams unused here


HOSTILE = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "fec0::1",  # site-local
    "fe80::1",
    "fe80::1%1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::",
    "2001:db8::1",
    "3fff::1",
    "100::1",
    "5f00::1",
    "224.0.0.1",
    "239.255.255.250",
    "192.0.0.8",
    "192.0.0.9",
    "192.0.0.170",
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",
    "192.88.99.1",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "0.1.2.3",
    "255.255.255.255",
    "240.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.1.2.3",
]


@pytest.mark.parametrize("address", HOSTILE)
async def test_refused_address_is_never_connected(address: str) -> None:
    connector = ForbiddenConnector()
    resolver = FakeResolver({"evil.example": [address]})
    guard = Guard(resolver=resolver, connector=connector)
    with pytest.raises(GuardRefused, match=r"evil\.example:993: refused"):
        await guard.connect("evil.example", 993)
    assert connector.calls == []
    assert refusal_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", HOSTILE)
async def test_refused_ip_literal_is_never_resolved_or_connected(address: str) -> None:
    resolver = FakeResolver({})
    guard = Guard(resolver=resolver, connector=ForbiddenConnector())
    with pytest.raises(GuardRefused):
        await guard.connect(address, 993)
    assert resolver.asked == []


async def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    resolver = FakeResolver({"mixed.example": [PUBLIC_V4, "10.0.0.7"]})
    guard = Guard(resolver=resolver, connector=ForbiddenConnector())
    with pytest.raises(GuardRefused, match=r"10\.0\.0\.7: private"):
        await guard.connect("mixed.example", 993)


@pytest.mark.parametrize("port", [22, 80, 443, 6379, 8080, 11211, 3306])
async def test_non_mail_port_on_public_ip_is_refused(port: int) -> None:
    guard = Guard(resolver=FakeResolver({}), connector=ForbiddenConnector())
    with pytest.raises(GuardRefused, match=f"port {port} is not allowed"):
        await guard.connect(PUBLIC_V4, port)


@pytest.mark.parametrize("port", sorted(MAIL_PORTS))
async def test_public_addresses_are_connected_by_ip(port: int) -> None:
    connector = RecordingConnector()
    resolver = FakeResolver({"mail.example": [PUBLIC_V4, PUBLIC_V6]})
    guard = Guard(resolver=resolver, connector=connector)
    _streams, address = await guard.connect("mail.example", port)
    assert connector.calls == [(PUBLIC_V4, port)]  # the vetted IP, not the name
    assert str(address) == PUBLIC_V4
    assert resolver.asked == ["mail.example"]  # resolved once


@pytest.mark.parametrize(
    "address", ["::ffff:93.184.215.14", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"]
)
async def test_public_ipv4_inside_ipv6_is_allowed(address: str) -> None:
    connector = RecordingConnector()
    guard = Guard(resolver=FakeResolver({}), connector=connector)
    await guard.connect(address, 993)
    assert connector.calls == [(str(ipaddress.ip_address(address)), 993)]


async def test_next_address_is_tried_when_one_fails() -> None:
    connector = RecordingConnector({PUBLIC_V6: ConnectionRefusedError(111, "refused")})
    guard = Guard(resolver=FakeResolver({"m.example": [PUBLIC_V6, PUBLIC_V4]}), connector=connector)
    _streams, address = await guard.connect("m.example", 993)
    assert str(address) == PUBLIC_V4
    assert [ip for ip, _ in connector.calls] == [PUBLIC_V6, PUBLIC_V4]


async def test_all_addresses_failing_is_a_connect_error_naming_host_and_port() -> None:
    connector = RecordingConnector({PUBLIC_V4: ConnectionRefusedError(111, "Connection refused")})
    guard = Guard(resolver=FakeResolver({"m.example": [PUBLIC_V4]}), connector=connector)
    with pytest.raises(
        ProbeConnectError, match=r"m\.example:993: cannot connect: .*refused"
    ) as info:
        await guard.connect("m.example", 993)
    assert isinstance(info.value, ConnectionError)
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


class TestOperatorAllowList:
    @pytest.mark.parametrize("port", [22, 80, 6379, 10143])
    async def test_an_allowed_network_keeps_the_port_limit(self, port: int) -> None:
        """Allowing loopback used to open every port on it: SSH, Redis, admin pages."""
        guard = Guard(
            allow_networks=[ipaddress.ip_network("127.0.0.1/32")],
            resolver=FakeResolver({"mail.test": ["127.0.0.1"]}),
            connector=ForbiddenConnector(),
        )
        with pytest.raises(GuardRefused, match=f"port {port} is not allowed"):
            await guard.connect("mail.test", port)

    async def test_allowed_ports_are_added_to_the_mail_ports(self) -> None:
        settings = Settings(
            probe_allow_networks="127.0.0.1/32", probe_allow_ports="10143,20000-20009"
        )
        connector = RecordingConnector()
        resolver = FakeResolver({"mail.test": ["127.0.0.1"]})
        guard = Guard.from_settings(settings, resolver=resolver, connector=connector)
        for port in (993, 10143, 20000, 20009):
            await guard.connect("mail.test", port)
        for port in (10144, 20010, 6379):
            with pytest.raises(GuardRefused, match=r"only 25, 110, 143.*10143, 20000-20009\)"):
                await guard.connect("mail.test", port)
        assert [port for _, port in connector.calls] == [993, 10143, 20000, 20009]

    async def test_allowed_ports_do_not_open_private_networks(self) -> None:
        settings = Settings(probe_allow_ports="6379")
        guard = Guard.from_settings(
            settings, resolver=FakeResolver({}), connector=ForbiddenConnector()
        )
        with pytest.raises(GuardRefused, match="loopback"):
            await guard.connect("127.0.0.1", 6379)

    @pytest.mark.parametrize("address", ["127.0.0.2", "::1", "10.0.0.1"])
    async def test_outside_the_allowed_network_is_still_refused(self, address: str) -> None:
        guard = Guard(
            allow_networks=[ipaddress.ip_network("127.0.0.1/32")],
            resolver=FakeResolver({}),
            connector=ForbiddenConnector(),
        )
        with pytest.raises(GuardRefused):
            await guard.connect(address, 993)

    async def test_mix_of_allowed_and_public_gets_the_port_check(self) -> None:
        guard = Guard(
            allow_networks=[ipaddress.ip_network("10.0.0.0/8")],
            resolver=FakeResolver({"m.example": ["10.0.0.1", PUBLIC_V4]}),
            connector=ForbiddenConnector(),
        )
        with pytest.raises(GuardRefused, match="port 8080 is not allowed"):
            await guard.connect("m.example", 8080)


class TestResolution:
    async def test_unknown_name_is_a_dns_error(self) -> None:
        guard = Guard(resolver=FakeResolver({}), connector=ForbiddenConnector())
        with pytest.raises(ProbeDNSError, match=r"nowhere\.example:993: name does not resolve"):
            await guard.connect("nowhere.example", 993)

    async def test_empty_answer_is_a_dns_error(self) -> None:
        guard = Guard(resolver=FakeResolver({"empty.example": []}), connector=ForbiddenConnector())
        with pytest.raises(ProbeDNSError, match="no address"):
            await guard.connect("empty.example", 993)

    async def test_slow_resolver_is_a_timeout(self) -> None:
        class Slow:
            async def resolve(self, host: str) -> list[ipaddress.IPv4Address]:
                raise TimeoutError

        guard = Guard(resolver=Slow(), connector=ForbiddenConnector())
        with pytest.raises(ProbeTimeout, match=r"slow\.example:993: DNS lookup timed out"):
            await guard.connect("slow.example", 993)

    async def test_system_resolver_reads_literal_answers_without_network(self) -> None:
        # getaddrinfo answers numeric hosts locally, so this needs no DNS server.
        assert await SystemResolver(timeout=2).resolve("127.0.0.1") == [
            ipaddress.ip_address("127.0.0.1")
        ]

    async def test_system_resolver_gives_up_after_its_timeout(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def hang(*_args: object, **_kwargs: object) -> list[object]:
            await asyncio.sleep(10)
            return []

        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", hang)
        with pytest.raises(TimeoutError):
            await SystemResolver(timeout=0.05).resolve("mail.example")


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, "8.8.8.8", "2a00:1450:4001::1"])
def test_public_addresses_have_no_refusal_reason(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


async def test_caller_chosen_ports_replace_the_mail_ports() -> None:
    connector = RecordingConnector()
    guard = Guard(resolver=FakeResolver({}), connector=connector, ports={443})
    await guard.connect(PUBLIC_V4, 443)
    with pytest.raises(GuardRefused, match=r"only 443\)"):
        await guard.connect(PUBLIC_V4, 993)
    assert connector.calls == [(PUBLIC_V4, 443)]
