"""Probe slots shared fairly: a client's probes queue behind its own, not everyone's.

At most ``total`` probes talk at once in an event loop (TLS handshakes and parsing
must not pile up on it), and one client holds at most ``share`` of them, so a
client that floods the tester waits for itself while another client's test
starts at once. Waiters are served first come, first served among those whose
client is under its share.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

ANYONE = ""  # a caller with no client to tell apart (the CLI): only the total applies


class FairSlots:
    """``total`` slots in all, at most ``share`` for one client."""

    def __init__(self, total: int, share: int) -> None:
        if total < 1 or share < 1:
            raise ValueError("a slot pool needs at least one slot and a share of one")
        self.total, self.share = total, share
        self.in_use = 0
        self.held: Counter[str] = Counter()
        self._waiting: deque[tuple[str, asyncio.Future[None]]] = deque()

    def _may_take(self, client: str) -> bool:
        return self.in_use < self.total and (client == ANYONE or self.held[client] < self.share)

    def _take(self, client: str) -> None:
        self.in_use += 1
        self.held[client] += 1

    def _serve_waiting(self) -> None:
        for entry in list(self._waiting):
            if self.in_use >= self.total:
                return
            client, future = entry
            if future.done():  # cancelled while waiting
                self._waiting.remove(entry)
            elif self._may_take(client):
                self._waiting.remove(entry)
                self._take(client)
                future.set_result(None)

    async def acquire(self, client: str = ANYONE) -> None:
        """Wait for a slot that ``client`` may take, and take it."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (client, future)
        self._waiting.append(entry)
        self._serve_waiting()
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                self.release(client)  # granted as the waiter was cancelled: give it back
            elif entry in self._waiting:
                self._waiting.remove(entry)
            raise

    def release(self, client: str = ANYONE) -> None:
        self.in_use -= 1
        self.held[client] -= 1
        if self.held[client] <= 0:
            del self.held[client]
        self._serve_waiting()

    @asynccontextmanager
    async def slot(self, client: str = ANYONE) -> AsyncIterator[None]:
        await self.acquire(client)
        try:
            yield
        finally:
            self.release(client)
