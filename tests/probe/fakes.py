"""Scripted servers on 127.0.0.1, only for behaviour real servers will not show
(STARTTLS injection, oversized lines, silence, echoed secrets)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from tests.realservers import listen_in_test_range

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class ForbiddenConnector:
    """A connector that must never run: refused targets are never connected to."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, ip: str, port: int) -> Streams:
        self.calls.append((ip, port))
        pytest.fail(f"the guard connected to {ip}:{port}")


@dataclass
class Peer:
    """The server side of one connection: what the client sent, and helpers to answer."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    received: list[bytes] = field(default_factory=list)
    hangup: BaseException | None = None

    async def line(self) -> bytes:
        data = await self.reader.readline()
        if not data:
            raise ConnectionResetError("client went away")
        self.received.append(data.rstrip(b"\r\n"))
        return data.rstrip(b"\r\n")

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def expect(self, prefix: bytes, answer: bytes) -> bytes:
        got = await self.line()
        if not got.upper().startswith(prefix):
            await self.send(b"-ERR unexpected\r\n")
            raise AssertionError(f"expected {prefix!r}, got {got!r}")
        await self.send(answer)
        return got

    async def start_tls(self, context: ssl.SSLContext) -> None:
        await self.writer.start_tls(context)


Script = Callable[[Peer], Awaitable[None]]


@dataclass
class Scripted:
    port: int
    peers: list[Peer]
    errors: list[BaseException]

    @property
    def received(self) -> list[bytes]:
        return [line for peer in self.peers for line in peer.received]


@contextlib.asynccontextmanager
async def scripted_server(script: Script) -> AsyncIterator[Scripted]:
    """Run ``script`` for each connection; script errors are re-raised at exit."""
    peers: list[Peer] = []
    errors: list[BaseException] = []
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        peer = Peer(reader, writer)
        peers.append(peer)
        try:
            await script(peer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            peer.hangup = exc  # the client hung up, which many tests intend
        except AssertionError as exc:
            errors.append(exc)
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, sock=listen_in_test_range())
    port = int(server.sockets[0].getsockname()[1])
    try:
        yield Scripted(port, peers, errors)
    finally:
        # Let a connection the client made in its last moment reach its handler first:
        # once the server is closed, 3.11 leaves it accepted but never handled (or closed).
        await asyncio.sleep(0.05)
        server.close()
        await server.wait_closed()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
    if errors:
        raise errors[0]
