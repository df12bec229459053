"""A slow or silent nameserver for tests: a UDP proxy on 127.0.0.1 in front of dnsmasq.

Behaviour no real DNS server shows on demand: for names under a chosen suffix it waits
``delay`` seconds before forwarding the query, or never answers at all (the client
times out). Every other query goes to the upstream server at once. The proxy runs its
own event loop in a thread, so that both sync and async tests can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dns.asyncquery
import dns.exception
import dns.message
import dns.name


@dataclass(frozen=True)
class Rules:
    """Names (and everything under them) answered late, and names never answered."""

    slow: dict[str, float] = field(default_factory=dict)  # suffix -> seconds
    silent: tuple[str, ...] = ()

    def for_name(self, qname: dns.name.Name) -> float | None:
        """Seconds to wait before forwarding, or None to drop the query."""
        if any(qname.is_subdomain(dns.name.from_text(s)) for s in self.silent):
            return None
        delays = [d for s, d in self.slow.items() if qname.is_subdomain(dns.name.from_text(s))]
        return max(delays, default=0.0)


class _Proxy(asyncio.DatagramProtocol):
    def __init__(self, upstream: tuple[str, int], rules: Rules) -> None:
        self.upstream = upstream
        self.rules = rules
        self.transport: Any = None  # the loop's datagram transport
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.ensure_future(self._answer(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return  # not DNS: a real server would drop it too
        delay = self.rules.for_name(query.question[0].name) if query.question else 0.0
        if delay is None:
            return
        await asyncio.sleep(delay)
        host, port = self.upstream
        with contextlib.suppress(dns.exception.Timeout, OSError):
            response = await dns.asyncquery.udp(query, host, port=port, timeout=5)
            if self.transport is not None and not self.transport.is_closing():
                self.transport.sendto(response.to_wire(), addr)


@contextmanager
def slow_nameserver(upstream: str, rules: Rules) -> Iterator[str]:
    """Serve ``rules`` in front of ``upstream`` (``host:port``); yields ``127.0.0.1:port``."""
    host, _, port = upstream.rpartition(":")
    ready = threading.Event()
    state: dict[str, object] = {}

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        transport, proxy = await loop.create_datagram_endpoint(
            lambda: _Proxy((host, int(port)), rules), local_addr=("127.0.0.1", 0)
        )
        stop = asyncio.Event()
        state.update(address=transport.get_extra_info("sockname"), loop=loop, stop=stop)
        ready.set()
        try:
            await stop.wait()
        finally:
            for task in list(proxy.tasks):
                task.cancel()
            transport.close()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="slow-dns", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the slow nameserver did not start")
    address = state["address"]
    assert isinstance(address, tuple)
    try:
        yield f"127.0.0.1:{address[1]}"
    finally:
        loop, stop = state["loop"], state["stop"]
        assert isinstance(loop, asyncio.AbstractEventLoop)
        assert isinstance(stop, asyncio.Event)
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
