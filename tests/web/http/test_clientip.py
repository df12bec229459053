"""Who the client is: forwarding headers count only from trusted proxies, read from the right."""

from __future__ import annotations

import ipaddress

import pytest

from app.web.http.clientip import Client, parse_node, resolve_client

PROXY = "10.0.0.5"
TRUSTED = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("fd00::/8"))


def scope(
    peer: str | None = PROXY, headers: list[tuple[str, str]] | None = None, scheme: str = "http"
) -> dict[str, object]:
    return {
        "type": "http",
        "scheme": scheme,
        "client": (peer, 40000) if peer else None,
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers or []],
    }


def xff(*values: str, peer: str | None = PROXY, trusted: object = TRUSTED) -> Client:
    headers = [("X-Forwarded-For", v) for v in values]
    return resolve_client(scope(peer, headers), trusted, "x-forwarded-for")  # type: ignore[arg-type]


def test_without_trusted_proxies_the_headers_are_ignored() -> None:
    assert xff("203.0.113.9", trusted=()) == Client(PROXY, False)
    assert xff("203.0.113.9", peer="198.51.100.1") == Client("198.51.100.1", False)


def test_a_trusted_proxy_names_the_client() -> None:
    assert xff("203.0.113.9").address == "203.0.113.9"


@pytest.mark.parametrize(
    ("values", "client"),
    [
        # The client prepends a fake address; the proxy appends the real one.
        (["6.6.6.6, 203.0.113.9"], "203.0.113.9"),
        (["6.6.6.6", "203.0.113.9"], "203.0.113.9"),  # two header lines, joined in order
        # Chained trusted proxies are skipped, right to left.
        (["203.0.113.9, 10.0.0.7, 10.0.0.8"], "203.0.113.9"),
        (["1.1.1.1, 203.0.113.9, 10.0.0.7"], "203.0.113.9"),
        # Garbage or an obfuscated name stops the walk at the last trusted hop.
        (["203.0.113.9, unknown"], PROXY),
        (["203.0.113.9, 10.0.0.7, not-an-ip"], PROXY),
        (["203.0.113.9, not-an-ip, 10.0.0.7"], "10.0.0.7"),
        (["evil\r\nX: y"], PROXY),
        ([""], PROXY),
        # Only trusted hops: the left-most of them.
        (["10.0.0.9, 10.0.0.7"], "10.0.0.9"),
        # Ports and IPv6, and IPv4-mapped IPv6.
        (["203.0.113.9:4711"], "203.0.113.9"),
        (["[2001:db8::1]:4711"], "2001:db8::1"),
        (["2001:db8::1"], "2001:db8::1"),
        (["::ffff:203.0.113.9"], "203.0.113.9"),
        # Many spoofed hops before the real one cost nothing.
        ([", ".join(["6.6.6.6"] * 5000) + ", 203.0.113.9"], "203.0.113.9"),
    ],
)
def test_the_right_most_untrusted_address_is_the_client(values: list[str], client: str) -> None:
    assert xff(*values).address == client


def test_forwarded_counts_only_when_it_is_the_configured_header() -> None:
    headers = [("Forwarded", 'for="[2001:db8::7]:80";proto=https, for=10.0.0.7')]
    assert resolve_client(scope(PROXY, headers), TRUSTED, "forwarded") == Client(
        "2001:db8::7", False
    )
    # The proxy writes X-Forwarded-For; a Forwarded header came from the client.
    spoofed = [*headers, ("X-Forwarded-For", "203.0.113.9")]
    assert resolve_client(scope(PROXY, spoofed), TRUSTED, "x-forwarded-for").address == (
        "203.0.113.9"
    )
    only_forwarded = [("Forwarded", "for=6.6.6.6")]
    assert resolve_client(scope(PROXY, only_forwarded), TRUSTED, "x-forwarded-for").address == (
        PROXY
    )


def test_forwarded_obfuscated_and_unknown_nodes() -> None:
    for node in ("unknown", "_hidden", '"_gazonk"'):
        headers = [("Forwarded", f"for={node}")]
        assert resolve_client(scope(PROXY, headers), TRUSTED, "forwarded").address == PROXY


def test_scheme_from_the_nearest_trusted_proxy_only() -> None:
    https = [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "http, https")]
    assert resolve_client(scope(PROXY, https), TRUSTED, "x-forwarded-for").https is True
    spoofed = scope("198.51.100.1", https)
    assert resolve_client(spoofed, TRUSTED, "x-forwarded-for").https is False
    forwarded = [("Forwarded", "for=203.0.113.9;proto=https")]
    assert resolve_client(scope(PROXY, forwarded), TRUSTED, "forwarded").https is True
    direct = scope("198.51.100.1", scheme="https")
    assert resolve_client(direct, TRUSTED, "x-forwarded-for").https is True


def test_no_peer_or_a_peer_that_is_not_an_address() -> None:
    assert resolve_client(scope(None), TRUSTED, "x-forwarded-for").address == "unknown"
    assert resolve_client(scope("testclient"), TRUSTED, "x-forwarded-for").address == "testclient"


@pytest.mark.parametrize(
    ("text", "ip"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 192.0.2.1:80 ", "192.0.2.1"),
        ('"[2001:db8::1]:443"', "2001:db8::1"),
        ("[2001:db8::1", None),
        ("2001:db8::1]", None),
        ("192.0.2.1:80:90", None),
        ("", None),
        ("localhost", None),
    ],
)
def test_parse_node(text: str, ip: str | None) -> None:
    parsed = parse_node(text)
    assert (str(parsed) if parsed else None) == ip
