"""The SSRF guard: every outbound connection goes through :class:`Guard`.

It resolves the name once, refuses the target if ANY address is not globally
routable (after unwrapping IPv4 embedded in IPv6) unless the operator allows its
network, allows only its own ports (mail ports for probes, 80 and 443 for
discovery, plus the operator's) wherever the address is, and then connects to a
vetted IP. The caller uses the host name, never the IP, for SNI and certificate
checks (``start_tls(..., server_hostname=host)``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from app.errors import GuardRefused, ProbeConnectError, ProbeDNSError, ProbeTimeout
from app.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Connector = Callable[[str, int], Awaitable[Streams]]
"""Opens a plain TCP connection to an IP literal and port."""

# SMTP (25, 465, 587 and the common alternative 2525), POP3 (110, 995), IMAP (143, 993).
MAIL_PORTS = frozenset({25, 465, 587, 2525, 110, 995, 143, 993})

STREAM_LIMIT = 64 * 1024  # StreamReader buffer limit; session.py caps lines far below it

_V4, _V6 = ipaddress.IPv4Network, ipaddress.IPv6Network

# Every IANA special-purpose block (iana-ipv4-special-registry and
# iana-ipv6-special-registry), plus multicast and the reserved rest. Blocks
# the registry marks "globally reachable" (192.0.0.9/32, 2001:4:112::/48 …) are
# refused too: no mail server lives there.
REFUSED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = (
    (_V4("0.0.0.0/8"), "'this network' (RFC 791)"),
    (_V4("10.0.0.0/8"), "private (RFC 1918)"),
    (_V4("100.64.0.0/10"), "shared address space / CGNAT (RFC 6598)"),
    (_V4("127.0.0.0/8"), "loopback (RFC 1122)"),
    (_V4("169.254.0.0/16"), "link-local, cloud metadata (RFC 3927)"),
    (_V4("172.16.0.0/12"), "private (RFC 1918)"),
    (_V4("192.0.0.0/24"), "IETF protocol assignments, DS-Lite, PCP, TURN (RFC 6890)"),
    (_V4("192.0.2.0/24"), "documentation TEST-NET-1 (RFC 5737)"),
    (_V4("192.31.196.0/24"), "AS112-v4 (RFC 7535)"),
    (_V4("192.52.193.0/24"), "AMT (RFC 7450)"),
    (_V4("192.88.99.0/24"), "deprecated 6to4 relay anycast (RFC 7526)"),
    (_V4("192.168.0.0/16"), "private (RFC 1918)"),
    (_V4("192.175.48.0/24"), "direct delegation AS112 (RFC 7534)"),
    (_V4("198.18.0.0/15"), "benchmarking (RFC 2544)"),
    (_V4("198.51.100.0/24"), "documentation TEST-NET-2 (RFC 5737)"),
    (_V4("203.0.113.0/24"), "documentation TEST-NET-3 (RFC 5737)"),
    (_V4("224.0.0.0/4"), "multicast (RFC 5771)"),
    (_V4("240.0.0.0/4"), "reserved, incl. limited broadcast 255.255.255.255 (RFC 1112, 919)"),
    (_V6("::/128"), "unspecified (RFC 4291)"),
    (_V6("::1/128"), "loopback (RFC 4291)"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64 (RFC 8215)"),
    (_V6("100::/64"), "discard-only (RFC 6666)"),
    (_V6("100:0:0:1::/64"), "dummy prefix (RFC 9780)"),
    (_V6("2001::/23"), "IETF protocol assignments, Teredo, ORCHID, benchmarking (RFC 2928)"),
    (_V6("2001:db8::/32"), "documentation (RFC 3849)"),
    (_V6("3fff::/20"), "documentation (RFC 9637)"),
    (_V6("5f00::/16"), "SRv6 SIDs (RFC 9602)"),
    (_V6("fc00::/7"), "unique local (RFC 4193)"),
    (_V6("fe80::/10"), "link-local (RFC 4291)"),
    (_V6("fec0::/10"), "deprecated site-local (RFC 3879)"),
    (_V6("ff00::/8"), "multicast (RFC 4291)"),
)
_GLOBAL_UNICAST_V6 = _V6("2000::/3")  # IANA allocates nothing else to the public internet
_NAT64 = _V6("64:ff9b::/96")  # RFC 6052 well-known prefix: the last 32 bits are IPv4
_V4_COMPATIBLE = _V6("::/96")  # deprecated IPv4-compatible form (RFC 4291 section 2.5.5.1)


class Resolver(Protocol):
    """Resolves a host name. Raise OSError if it does not resolve, TimeoutError if slow."""

    async def resolve(self, host: str) -> list[IPAddress]: ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), bounded by ``timeout`` seconds."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    async def resolve(self, host: str) -> list[IPAddress]:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.timeout):
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        addresses: list[IPAddress] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
        return addresses


async def open_tcp(ip: str, port: int) -> Streams:
    """The default :data:`Connector`: a plain asyncio TCP connection."""
    return await asyncio.open_connection(ip, port, limit=STREAM_LIMIT)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: mapped, compatible, NAT64 or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:  # 2002:AABB:CCDD::/48 (RFC 3056)
        return address.sixtofour
    if address in _NAT64 or (address in _V4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` is not a public internet host, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = refusal_reason(inner)
            return f"it embeds {inner}, which is {reason}" if reason else None
        if address not in _GLOBAL_UNICAST_V6:
            return "outside IPv6 global unicast 2000::/3"
    for network, why in REFUSED_NETWORKS:
        if address.version == network.version and address in network:
            return f"{why} ({network})"
    if not address.is_global:  # belt and braces: Python's own special-purpose list
        return "not globally routable"
    return None


def _allowed(address: IPAddress, allow: tuple[IPNetwork, ...]) -> bool:
    inner = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    candidates = (address, inner) if inner is not None else (address,)
    return any(a.version == n.version and a in n for a in candidates for n in allow)


def parse_ip_literal(host: str) -> IPAddress | None:
    """``host`` as an IP address (``[::1]`` brackets allowed), or None for a name."""
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def _port_list(ports: frozenset[int]) -> str:
    """``25, 110, 20000-21999``: the ports in order, runs shown as ranges."""
    runs: list[list[int]] = []
    for port in sorted(ports):
        if runs and port == runs[-1][1] + 1:
            runs[-1][1] = port
        else:
            runs.append([port, port])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


class Guard:
    """Vets targets and opens connections to vetted addresses only.

    ``ports`` are the only ports allowed, inside ``allow_networks`` too: mail ports
    by default. ``allow_networks`` widens the address ranges, never the ports.
    """

    def __init__(
        self,
        *,
        allow_networks: Iterable[IPNetwork] = (),
        resolver: Resolver | None = None,
        connector: Connector | None = None,
        ports: Iterable[int] = MAIL_PORTS,
    ) -> None:
        self.allow_networks = tuple(allow_networks)
        self.ports = frozenset(ports)  # discovery passes 80 and 443 for HTTP fetches
        self.resolver: Resolver = resolver or SystemResolver()
        self.connector: Connector = connector or open_tcp

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        connector: Connector | None = None,
    ) -> Guard:
        """The probes' guard: mail ports and the operator's allowed ports and networks."""
        return cls(
            allow_networks=settings.probe_allow_networks,
            resolver=resolver,
            connector=connector,
            ports=MAIL_PORTS | settings.probe_allow_ports,
        )

    def check(self, host: str, port: int, addresses: Iterable[IPAddress]) -> None:
        """Raise :class:`GuardRefused` unless every address may be reached on ``port``."""
        for address in addresses:
            if not _allowed(address, self.allow_networks):
                reason = refusal_reason(address)
                if reason:
                    raise GuardRefused(f"refused {address}: {reason}", host=host, port=port)
        if port not in self.ports:
            message = f"port {port} is not allowed (only {_port_list(self.ports)})"
            raise GuardRefused(message, host=host, port=port)

    async def vet(self, host: str, port: int) -> tuple[IPAddress, ...]:
        """Resolve ``host`` once and check the result; returns the addresses to use."""
        literal = parse_ip_literal(host)
        if literal is not None:
            addresses: tuple[IPAddress, ...] = (literal,)
        else:
            try:
                addresses = tuple(await self.resolver.resolve(host))
            except TimeoutError as exc:
                raise ProbeTimeout("DNS lookup timed out", host=host, port=port) from exc
            except OSError as exc:
                raise ProbeDNSError(f"name does not resolve: {exc}", host=host, port=port) from exc
            if not addresses:
                raise ProbeDNSError("name has no address", host=host, port=port)
        self.check(host, port, addresses)
        return addresses

    async def connect(self, host: str, port: int) -> tuple[Streams, IPAddress]:
        """Vet ``host``, then connect to its addresses in order; returns streams and the IP."""
        return await self.connect_vetted(host, port, await self.vet(host, port))

    async def connect_vetted(
        self, host: str, port: int, addresses: Iterable[IPAddress]
    ) -> tuple[Streams, IPAddress]:
        """Connect to ``addresses`` in order; they must come from :meth:`vet` for ``host``.

        Reconnecting to the vetted addresses, rather than resolving again, keeps
        a second connection from landing somewhere a new DNS answer points.
        """
        failures: list[str] = []
        last: OSError | None = None
        for address in addresses:
            try:
                return await self.connector(str(address), port), address
            except TimeoutError as exc:
                raise ProbeTimeout(
                    f"connecting to {address} timed out", host=host, port=port
                ) from exc
            except OSError as exc:
                reason = os.strerror(exc.errno) if exc.errno else str(exc)  # "Connection refused"
                failures.append(f"{address}: {reason}")
                last = exc
        raise ProbeConnectError(
            "cannot connect: " + "; ".join(failures), host=host, port=port
        ) from last
