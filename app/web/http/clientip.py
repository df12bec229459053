"""The client's address and scheme, believing forwarding headers only from trusted proxies.

``X-Forwarded-For`` (or RFC 7239 ``Forwarded``, whichever ``MAILSETUP_PROXY_HEADER``
names) counts only when the peer that connected is in ``MAILSETUP_TRUSTED_PROXIES``.
Each proxy appends the address it saw, so the list is read from the right: the
right-most address that is not a trusted proxy is the client. Everything left of
it may have been written by the client and is ignored. An entry that is not an
address (``unknown``, an obfuscated name, garbage) ends the walk at the last
trusted hop. The scheme comes from the nearest proxy's ``X-Forwarded-Proto`` (or
``proto=``) the same way, and :func:`forwarded_host` reads its ``X-Forwarded-Host``
(or ``host=``).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import Scope

from app.settings import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_HEADER = 4096  # characters of forwarding headers read, from the right
MAX_HOPS = 32
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Client:
    """Who sent the request (an IP address as text, or ``unknown``) and whether over TLS."""

    address: str
    https: bool


@functools.lru_cache(maxsize=4096)
def parse_node(text: str) -> IPAddress | None:
    """An address from an X-Forwarded-For entry or a Forwarded ``for=`` node, or None.

    Accepts ``192.0.2.1``, ``192.0.2.1:4711``, ``2001:db8::1``, ``[2001:db8::1]:4711``,
    each optionally quoted. IPv4-mapped IPv6 addresses are unwrapped.
    """
    node = text.strip().strip('"').strip()
    if node.startswith("["):
        node = node[1 : node.find("]")] if "]" in node else ""
    elif node.count(":") == 1:
        node = node.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(node)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _tail(values: list[str]) -> list[str]:
    joined = ",".join(values)[-MAX_HEADER:]
    return joined.split(",")[-MAX_HOPS:]


def _forwarded_pairs(element: str) -> dict[str, str]:
    pairs = {}
    for pair in element.split(";"):
        name, sep, value = pair.partition("=")
        if sep:
            pairs[name.strip().lower()] = value.strip().strip('"')
    return pairs


def _hops(headers: Headers, header: str) -> tuple[list[str], str | None]:
    """The hops, client side first, and the scheme the nearest proxy reports."""
    if header == "forwarded":
        elements = [_forwarded_pairs(e) for e in _tail(headers.getlist("forwarded"))]
        proto = elements[-1].get("proto") if elements else None
        return [e.get("for", "") for e in elements], proto
    protos = _tail(headers.getlist("x-forwarded-proto"))
    proto = protos[-1].strip() if protos and protos[-1].strip() else None
    return _tail(headers.getlist("x-forwarded-for")), proto


def _trusted(ip: IPAddress, trusted: tuple[IPNetwork, ...]) -> bool:
    return any(ip.version == net.version and ip in net for net in trusted)


def _trusted_peer(scope: Scope, trusted: tuple[IPNetwork, ...]) -> bool:
    peer_info = scope.get("client")
    peer = parse_node(peer_info[0]) if peer_info else None
    return peer is not None and _trusted(peer, trusted)


def forwarded_host(scope: Scope, trusted: tuple[IPNetwork, ...], header: str) -> str | None:
    """The host the nearest proxy forwarded (``X-Forwarded-Host``, or ``host=`` of
    ``Forwarded``), or None; always None when the peer is not a trusted proxy."""
    if not _trusted_peer(scope, trusted):
        return None
    headers = Headers(scope=scope)
    if header == "forwarded":
        elements = _tail(headers.getlist("forwarded"))
        value = _forwarded_pairs(elements[-1]).get("host") if elements else None
    else:
        hosts = _tail(headers.getlist("x-forwarded-host"))
        value = hosts[-1].strip() if hosts else None
    return value or None


def resolve_client(scope: Scope, trusted: tuple[IPNetwork, ...], header: str) -> Client:
    """The client of an HTTP ``scope`` under the operator's proxy settings."""
    https = scope.get("scheme") == "https"
    peer_info = scope.get("client")
    peer = parse_node(peer_info[0]) if peer_info else None
    if peer is None:
        return Client(peer_info[0] if peer_info else UNKNOWN, https)
    if not _trusted(peer, trusted):
        return Client(str(peer), https)
    hops, proto = _hops(Headers(scope=scope), header)
    client = peer
    for hop in reversed(hops):
        ip = parse_node(hop)
        if ip is None:
            break
        client = ip
        if not _trusted(ip, trusted):
            break
    if proto is not None:
        https = proto.lower() == "https"
    return Client(str(client), https)
