"""Redis behind the discovery cache's interface, shared by every instance.

Values are stored as JSON under ``mailsetup:discovery:v1:<key>`` with the TTL
the caller gives. Redis is an accelerator here, never a dependency: when it
fails, or an entry cannot be read back (an older format), the cache answers
"miss" and discovery runs as it would without it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

import redis.asyncio as aioredis
from pydantic import TypeAdapter, ValidationError
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from app import metrics

log = logging.getLogger(__name__)

V = TypeVar("V")

PREFIX = "mailsetup:discovery:v1:"
TIMEOUT = 1.0  # seconds for a connect or a command: a slow Redis must not stall requests
MAX_VALUE_BYTES = 512 * 1024


@asynccontextmanager
async def open_redis(url: str) -> AsyncIterator[aioredis.Redis]:
    """A pooled client for ``url`` with short timeouts and one quick retry; closed on exit.

    Nothing connects until the first command, so a Redis that is down does not
    stop the service from starting (``/readyz`` reports it).
    """
    client = aioredis.Redis.from_url(
        url,
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), retries=1),
        health_check_interval=30,
    )
    try:
        yield client
    finally:
        await client.aclose()


class RedisCache(Generic[V]):  # PEP 695 generics need Python 3.12
    """A TTL cache in Redis; ``adapter`` turns values into JSON and back."""

    def __init__(
        self, client: aioredis.Redis, adapter: TypeAdapter[V], prefix: str = PREFIX
    ) -> None:
        self._client = client
        self._adapter = adapter
        self._prefix = prefix

    async def get(self, key: str) -> V | None:
        try:
            raw = await self._client.get(self._prefix + key)
        except RedisError as exc:
            metrics.shared_state_error(metrics.Store.CACHE)
            log.warning("discovery cache read failed (%s); treating it as a miss", exc)
            return None
        if raw is None:
            return None
        try:
            return self._adapter.validate_json(raw)
        except ValidationError:
            log.warning("discovery cache entry for %s is unreadable; treating it as a miss", key)
            return None

    async def set(self, key: str, value: V, ttl: float) -> None:
        if ttl <= 0:
            return
        data = self._adapter.dump_json(value)
        if len(data) > MAX_VALUE_BYTES:
            log.info("not caching %s: %d bytes", key, len(data))
            return
        try:
            await self._client.set(self._prefix + key, data, px=max(1, round(ttl * 1000)))
        except RedisError as exc:
            metrics.shared_state_error(metrics.Store.CACHE)
            log.warning("discovery cache write failed (%s)", exc)
