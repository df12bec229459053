"""The discovery cache: answers kept for a TTL, failures only briefly.

In memory by default, bounded in entries. The interface is async so that a
shared backend (Redis, for several instances) can stand behind it unchanged.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

V = TypeVar("V")


class Cache(Protocol[V]):
    async def get(self, key: str) -> V | None: ...

    async def set(self, key: str, value: V, ttl: float) -> None: ...


class MemoryCache(Generic[V]):  # PEP 695 generics need Python 3.12
    """A TTL cache holding at most ``max_entries``, evicting the least recently used."""

    def __init__(
        self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._data: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    async def get(self, key: str) -> V | None:
        found = self._data.get(key)
        if found is None:
            return None
        expires, value = found
        if expires <= self._clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: V, ttl: float) -> None:
        if ttl <= 0:
            return
        self._data[key] = (self._clock() + ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
