"""The TLS handshake tried beside a silent greeting wait, against servers that greet late
on purpose (as Postfix's postscreen does): the wait goes on, and the test completes.
(Real TLS ports tested without TLS are in test_matrix.py.)"""

from __future__ import annotations

import asyncio

from app.models import Protocol, Security, ServerEndpoint
from app.probe import AuthStatus, Code, probe
from app.probe.report import Direction
from app.probe.session import TLS_SNIFF_AFTER
from app.settings import Settings
from tests.servers import Certificates

from .conftest import FakeResolver, make_settings
from .fakes import Peer, scripted_server

LATE = TLS_SNIFF_AFTER + 0.5


async def pop3_after(peer: Peer, greeting: list[tuple[float, bytes]]) -> None:
    """Send the greeting in timed pieces, then answer CAPA and QUIT like a plain server."""
    for delay, piece in greeting:
        await asyncio.sleep(delay)
        await peer.send(piece)
    while True:
        line = await peer.line()
        if line.upper() == b"QUIT":
            await peer.send(b"+OK bye\r\n")
            return
        await peer.send(b"-ERR not here\r\n")


async def test_a_late_greeting_is_still_waited_for(certs: Certificates) -> None:
    connections = 0

    async def late(peer: Peer) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            await pop3_after(peer, [(LATE, b"+OK late but here\r\n")])
        else:  # plain text to the ClientHello: a plain server, though a slow one
            await peer.reader.read(1)
            await peer.send(b"-ERR say hello first\r\n")
            await peer.reader.read()

    async with scripted_server(late) as server:
        result = await _probe(server.port, make_settings(certs.ca_file))
    assert result.error is None, result.error
    assert [f.code for f in result.findings] == [
        Code.PASSWORD_NOT_SENT_PLAINTEXT,
        Code.CONNECTION_UNENCRYPTED,
    ]
    notes = [e.line for e in result.transcript if e.direction is Direction.NOTE]
    assert any("trying a TLS handshake on a second connection" in n for n in notes), notes
    assert any("no TLS handshake on the second connection" in n for n in notes), notes
    assert len(server.peers) == 2
    assert not server.peers[1].received  # a ClientHello went there, and no command
    assert result.auth.status is AuthStatus.NOT_ATTEMPTED


async def test_a_greeting_already_begun_is_not_second_guessed(certs: Certificates) -> None:
    async def slow(peer: Peer) -> None:
        await pop3_after(peer, [(0.0, b"+OK sl"), (LATE, b"ow\r\n")])

    async with scripted_server(slow) as server:
        result = await _probe(server.port, make_settings(certs.ca_file))
    assert result.error is None, result.error
    assert len(server.peers) == 1  # a byte had come: no handshake beside the wait


async def test_a_silent_port_that_is_not_tls_is_still_called_silent(certs: Certificates) -> None:
    async def silent(peer: Peer) -> None:
        await peer.reader.read()

    async with scripted_server(silent) as server:
        result = await _probe(server.port, make_settings(certs.ca_file, probe_deadline=3.0))
    assert [f.code for f in result.findings] == [Code.SERVER_SILENT]
    assert result.error is not None
    assert result.error.speaks is None


async def _probe(port: int, settings: Settings):  # type: ignore[no-untyped-def]
    endpoint = ServerEndpoint(
        protocol=Protocol.POP3, host="mail.test", port=port, security=Security.NONE
    )
    resolver = FakeResolver({"mail.test": ["127.0.0.1"]})
    return await probe(endpoint, "u@mail.test", "pw", settings=settings, resolver=resolver)
