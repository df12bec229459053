"""Hostile servers: each probe ends with the right finding, within the deadline, and
in bounded memory (far less than the 10 MB some of them send)."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.models import Protocol, Security, ServerEndpoint
from app.probe import Code, ProbeResult, probe
from app.probe.report import Direction
from app.settings import Settings
from tests.servers import Certificates

from .conftest import FakeResolver, make_settings
from .fakes import Peer, scripted_server

DEADLINE = 1.0
MARGIN = 0.5  # closing the connection, scheduling
MEMORY_CAP = 2 * 1024 * 1024  # bytes traced at peak; the big servers send 10 MB
CHUNK = b"x" * 65536
TEN_MB = 10 * 1024 * 1024
GBK_REFUSAL = "请使用授权码登录"  # QQ's "log in with an authorization code", sent in GBK


async def endless_line(peer: Peer) -> None:
    await peer.send(b"+OK ")
    for _ in range(TEN_MB // len(CHUNK)):  # no newline, ever
        await peer.send(CHUNK)


async def ten_mb_greeting(peer: Peer) -> None:
    await peer.send(b"220 ")
    for _ in range(TEN_MB // len(CHUNK)):
        await peer.send(CHUNK)
    await peer.send(b"\r\n")


async def one_byte_per_second(peer: Peer) -> None:
    for byte in b"* OK slow greeting\r\n":
        await peer.send(bytes([byte]))
        await asyncio.sleep(1)
        if peer.reader.at_eof():  # the client has given up
            return


async def close_at_once(peer: Peer) -> None:
    return  # scripted_server closes the connection


async def invalid_utf8(peer: Peer) -> None:
    await peer.send(b"+OK \xff\xfe\xfd ready\r\n")
    await peer.expect(b"CAPA", b"-ERR\r\n")
    await peer.expect(b"USER", b"+OK\r\n")
    await peer.expect(b"PASS", b"-ERR " + GBK_REFUSAL.encode("gbk") + b"\r\n")
    await peer.expect(b"QUIT", b"+OK\r\n")


async def http_server(peer: Peer) -> None:
    """Like a real HTTP server: silent until the client speaks, then 400 to anything odd."""
    if await peer.reader.read(1024):
        await peer.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


async def garbage_for_tls(peer: Peer) -> None:
    await peer.reader.read(1)  # the ClientHello (or nothing) has begun
    await peer.send(b"\x00\xff\x13\x37" * 64)
    await peer.reader.read()


async def garbage_after_starttls(peer: Peer) -> None:
    await peer.send(b"220 mail.test\r\n")
    await peer.expect(b"EHLO", b"250-mail.test\r\n250 STARTTLS\r\n")
    await peer.expect(b"STARTTLS", b"220 go ahead\r\n")
    await garbage_for_tls(peer)


async def never_answers(peer: Peer) -> None:
    await peer.reader.read()


@dataclass(frozen=True)
class Case:
    script: Callable[[Peer], Awaitable[None]]
    protocol: Protocol
    security: Security
    code: Code
    options: dict[str, Any] = field(default_factory=dict)


CASES = {
    "endless-line": Case(endless_line, Protocol.POP3, Security.NONE, Code.SERVER_OVERSIZED),
    "10mb-greeting": Case(ten_mb_greeting, Protocol.SMTP, Security.NONE, Code.SERVER_OVERSIZED),
    "one-byte-per-second": Case(
        one_byte_per_second, Protocol.IMAP, Security.NONE, Code.SERVER_SLOW
    ),
    "close-after-connect": Case(close_at_once, Protocol.POP3, Security.NONE, Code.SERVER_CLOSED),
    "invalid-utf8-and-gbk": Case(
        invalid_utf8,
        Protocol.POP3,
        Security.NONE,
        Code.AUTH_NEEDS_AUTHORIZATION_CODE,
        {"allow_plaintext_auth": True},
    ),
    "http-on-a-mail-port": Case(
        http_server, Protocol.IMAP, Security.NONE, Code.WRONG_PROTOCOL, {"step_timeout": 0.3}
    ),
    "http-on-a-tls-port": Case(
        http_server, Protocol.IMAP, Security.TLS, Code.WRONG_PROTOCOL, {"step_timeout": 0.3}
    ),
    "garbage-instead-of-tls": Case(
        garbage_for_tls, Protocol.IMAP, Security.TLS, Code.TLS_GARBLED, {"step_timeout": 0.3}
    ),
    "garbage-after-starttls": Case(
        garbage_after_starttls, Protocol.SMTP, Security.STARTTLS, Code.TLS_GARBLED
    ),
    "never-answers": Case(never_answers, Protocol.IMAP, Security.NONE, Code.SERVER_SILENT),
    "never-answers-tls": Case(never_answers, Protocol.POP3, Security.TLS, Code.SERVER_SILENT),
}


async def bounded_probe(
    ep: ServerEndpoint, settings: Settings, **options: Any
) -> tuple[ProbeResult, float, int]:
    """Probe ``ep``; returns the result, the wall time and the peak traced memory."""
    resolver = FakeResolver({ep.host: ["127.0.0.1"]})
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = await probe(
            ep, "u@mail.test", "pw", settings=settings, resolver=resolver, **options
        )
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


@pytest.fixture
def hostile_settings(certs: Certificates) -> Settings:
    return make_settings(certs.ca_file, probe_deadline=DEADLINE)


@pytest.mark.parametrize("name", list(CASES))
async def test_hostile_server(name: str, hostile_settings: Settings) -> None:
    case = CASES[name]
    async with scripted_server(case.script) as server:
        ep = ServerEndpoint(
            protocol=case.protocol, host="mail.test", port=server.port, security=case.security
        )
        result, elapsed, peak = await bounded_probe(ep, hostile_settings, **case.options)
    assert result.findings, result
    assert result.findings[0].code is case.code, result.findings
    assert elapsed < DEADLINE + MARGIN
    assert peak < MEMORY_CAP
    assert not result.ok


async def test_invalid_utf8_and_gbk_are_decoded(hostile_settings: Settings) -> None:
    async with scripted_server(invalid_utf8) as server:
        ep = ServerEndpoint(
            protocol=Protocol.POP3, host="mail.test", port=server.port, security=Security.NONE
        )
        result, _elapsed, _peak = await bounded_probe(
            ep, hostile_settings, allow_plaintext_auth=True
        )
    heard = [e.line for e in result.transcript if e.direction is Direction.SERVER]
    assert heard[0] == "+OK \ufffd\ufffd\ufffd ready"  # neither UTF-8 nor GBK: replaced
    assert result.auth.detail == GBK_REFUSAL  # GBK, decoded
    assert result.findings[0].detail == GBK_REFUSAL


async def test_http_is_named(hostile_settings: Settings) -> None:
    async with scripted_server(http_server) as server:
        ep = ServerEndpoint(
            protocol=Protocol.SMTP, host="mail.test", port=server.port, security=Security.NONE
        )
        result, _elapsed, _peak = await bounded_probe(ep, hostile_settings, step_timeout=0.3)
    assert result.error is not None
    assert result.error.speaks == "HTTP"
    assert "speaks HTTP, not SMTP" in result.findings[0].message


async def test_a_mail_server_of_another_protocol_is_named(hostile_settings: Settings) -> None:
    async def pop3(peer: Peer) -> None:
        await peer.send(b"+OK POP3 ready\r\n")
        await peer.reader.read()

    async with scripted_server(pop3) as server:
        ep = ServerEndpoint(
            protocol=Protocol.IMAP, host="mail.test", port=server.port, security=Security.NONE
        )
        result, _elapsed, _peak = await bounded_probe(ep, hostile_settings)
    assert [f.code for f in result.findings] == [Code.WRONG_PROTOCOL]
    assert "speaks POP3, not IMAP" in result.findings[0].message


async def test_blocked_port_times_out_in_connect(hostile_settings: Settings) -> None:
    async def black_hole(ip: str, port: int) -> Any:
        await asyncio.sleep(3600)  # SYN dropped by a firewall: connect never returns

    ep = ServerEndpoint(protocol=Protocol.SMTP, host="mail.test", port=587, security=Security.NONE)
    result, elapsed, _peak = await bounded_probe(
        ep, hostile_settings, connector=black_hole, step_timeout=0.3
    )
    assert [f.code for f in result.findings] == [Code.CONNECTION_TIMEOUT]
    assert "firewall" in result.findings[0].message
    assert elapsed < 0.3 + MARGIN
