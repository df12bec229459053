"""What the operator's allow lists open, and what a non-mail service gets to say.

- ``MAILSETUP_PROBE_ALLOW_NETWORKS`` widens the address ranges only: a live test still
  reaches only mail ports and ``MAILSETUP_PROBE_ALLOW_PORTS`` inside them.
- Discovery's HTTP fetches have allow lists of their own: the probes' do not open them.
- A port that does not speak the expected protocol is described, never quoted.

Real app, scripted listeners and a real HTTP server, all on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.models import Protocol, Security, ServerEndpoint
from app.paths import DATA_DIR
from app.probe import probe
from tests.discovery.httpserver import Site, document, redirect, serve
from tests.probe.conftest import make_settings
from tests.probe.fakes import Peer, scripted_server
from tests.realservers import PROBE_LOOPBACK

BANNER = b"SSH-2.0-OpenSSH_9.2p1 internal-build-server-7\r\n"
ADMIN_PAGE = b"<html>INTERNAL-ADMIN-PANEL root password: hunter2</html>"


async def ssh_like(peer: Peer) -> None:
    """Speaks first, like SSH, then waits."""
    await peer.send(BANNER)
    await peer.reader.read()


async def http_like(peer: Peer) -> None:
    """Silent until spoken to, like HTTP, then answers with an internal page."""
    if await peer.reader.read(1024):
        head = b"HTTP/1.1 400 Bad Request\r\nServer: internal-admin-7.3\r\nContent-Length: "
        await peer.send(head + str(len(ADMIN_PAGE)).encode() + b"\r\n\r\n" + ADMIN_PAGE)


def _test_body(port: int, protocol: str = "imap") -> dict[str, object]:
    server = {"protocol": protocol, "host": "127.0.0.1", "port": port, "security": "none"}
    return {"email": "someone@mail.test", "password": "a-password", "servers": [server]}


async def test_an_allowed_network_does_not_open_other_ports(client_for) -> None:  # type: ignore[no-untyped-def]
    """Loopback allowed, no extra ports: a listener on loopback is not reached."""
    app: httpx.AsyncClient = await client_for(
        DATA_DIR, probe_allow_networks="127.0.0.1/32", rate_limits=False
    )
    async with scripted_server(ssh_like) as server:
        r = await app.post("/api/v1/test", json=_test_body(server.port))
    assert r.status_code == 200, r.text
    result = r.json()["results"][0]
    assert result["error"]["reason"] == "guard-refused"
    assert f"port {server.port} is not allowed" in result["error"]["message"]
    assert server.peers == []  # never connected


async def test_a_non_mail_service_is_described_not_quoted(client_for) -> None:  # type: ignore[no-untyped-def]
    app: httpx.AsyncClient = await client_for(DATA_DIR, **PROBE_LOOPBACK, rate_limits=False)
    async with scripted_server(ssh_like) as server:
        r = await app.post("/api/v1/test", json=_test_body(server.port))
    assert r.status_code == 200, r.text
    result = r.json()["results"][0]
    assert result["error"]["speaks"] == "SSH"
    assert [f["code"] for f in result["findings"]] == ["wrong-protocol"]
    notes = [t["line"] for t in result["transcript"]]
    assert "the server answered with SSH, not IMAP" in notes, notes
    assert not [t for t in result["transcript"] if t["direction"] == "S"]  # nothing quoted
    for secret in ("internal-build", "OpenSSH"):
        assert secret not in r.text


async def test_a_silent_non_mail_service_is_described_after_a_peek() -> None:
    """An HTTP server says nothing until spoken to; the tester's QUIT gets its page,
    which is described (HTTP), not shown."""
    async with scripted_server(http_like) as server:
        endpoint = ServerEndpoint(
            protocol=Protocol.POP3, host="127.0.0.1", port=server.port, security=Security.NONE
        )
        result = await probe(
            endpoint,
            "someone",
            "a-password",
            settings=make_settings(None),
            step_timeout=0.3,
        )
    assert result.error is not None
    assert result.error.speaks == "HTTP"
    text = result.model_dump_json()
    for secret in ("internal-admin", "INTERNAL-ADMIN", "hunter2", "400 Bad Request"):
        assert secret not in text
    assert any("the server answered with HTTP, not POP3" in t.line for t in result.transcript)


async def test_a_mail_greeting_is_still_shown(client_for) -> None:  # type: ignore[no-untyped-def]
    async def refusing_pop3(peer: Peer) -> None:
        await peer.send(b"-ERR [SYS/TEMP] too many connections from your network\r\n")
        await peer.reader.read()

    app: httpx.AsyncClient = await client_for(DATA_DIR, **PROBE_LOOPBACK, rate_limits=False)
    async with scripted_server(refusing_pop3) as server:
        r = await app.post("/api/v1/test", json=_test_body(server.port, "pop3"))
    result = r.json()["results"][0]
    assert result["error"]["reason"] == "session-refused"
    assert "too many connections from your network" in result["error"]["message"]
    server_lines = [t["line"] for t in result["transcript"] if t["direction"] == "S"]
    assert server_lines == ["-ERR [SYS/TEMP] too many connections from your network"]


@pytest.fixture
def admin_site() -> Iterator[tuple[Site, int]]:
    """An internal admin page, and an ISPDB stand-in on the same server that redirects
    every lookup to it."""
    site = Site()
    site.route("*", "/admin", document(ADMIN_PAGE, "text/html"))
    with serve(site) as port:
        site.route("*", "/v1.1/unknown-domain.test", redirect(f"http://127.0.0.1:{port}/admin"))
        yield site, port


async def test_the_probes_allow_list_does_not_open_discovery(
    client_for,  # type: ignore[no-untyped-def]
    admin_site: tuple[Site, int],
) -> None:
    """With loopback allowed for the probes (and any port), discovery still may not
    follow a redirect to a loopback admin page, not even from the trusted ISPDB."""
    site, port = admin_site
    app: httpx.AsyncClient = await client_for(
        DATA_DIR,
        probe_allow_networks="127.0.0.1/32",
        probe_allow_ports=f"{port}",
        ispdb_url=f"http://127.0.0.1:{port}/v1.1/",
        rate_limits=False,
    )
    r = await app.get("/api/v1/lookup", params={"email": "me@unknown-domain.test"})
    assert r.status_code == 404, r.text
    assert "INTERNAL-ADMIN" not in r.text
    assert "hunter2" not in r.text
    assert [path for _, path in site.requests] == ["/v1.1/unknown-domain.test"]
    ispdb = [a for a in r.json()["detail"]["trace"] if a["source"] == "ispdb"]
    assert ispdb
    assert "refused" in ispdb[0]["detail"]


async def test_discovery_has_allow_lists_of_its_own(
    client_for,  # type: ignore[no-untyped-def]
    admin_site: tuple[Site, int],
) -> None:
    """The operator can open discovery to a network and port, separately."""
    site, port = admin_site
    site.route("*", "/v1.1/unknown-domain.test", redirect(f"http://127.0.0.1:{port}/v1.1/real"))
    site.route("*", "/v1.1/real", document(b"<clientConfig/>"))
    app: httpx.AsyncClient = await client_for(
        DATA_DIR,
        discovery_allow_networks="127.0.0.1/32",
        discovery_allow_ports=f"{port}",
        ispdb_url=f"http://127.0.0.1:{port}/v1.1/",
        rate_limits=False,
    )
    r = await app.get("/api/v1/lookup", params={"email": "me@unknown-domain.test"})
    assert [path for _, path in site.requests][:2] == ["/v1.1/unknown-domain.test", "/v1.1/real"]
    ispdb = [a for a in r.json()["detail"]["trace"] if a["source"] == "ispdb"]
    assert "refused" not in ispdb[0]["detail"]  # fetched; the empty document is refused later
