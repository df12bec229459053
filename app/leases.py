"""One live test at a time per login name and target, shared by every instance.

A refused login is counted once the server has answered, so tests of one login
that start together would all pass the failed-login check before any of them
is counted. A test therefore holds a lease on each login key it uses (see
:meth:`app.ratelimit.Keys.login`) until its results are counted, and a test
that finds one of its leases held is refused before it connects.

With Redis the leases are Redis keys (``SET NX PX``), seen by every instance;
they expire on their own after ``ttl`` seconds should an instance die mid-test.
When Redis fails, leases are kept in this process's memory.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app import metrics
from app.ratelimit import Limit, RateLimited

log = logging.getLogger(__name__)

PREFIX = "mailsetup:lease:"
MAX_LOCAL = 10_000
# Deletes a lease only if it is still ours (it may have expired and been taken again).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


@dataclass(frozen=True)
class Lease:
    """The keys one test holds: ``shared`` in Redis, ``local`` in this process."""

    token: str
    shared: tuple[str, ...] = ()
    local: tuple[str, ...] = ()


@dataclass
class Leases:
    """Takes and releases leases; with ``enabled`` false every lease is granted."""

    redis: aioredis.Redis | None = None
    ttl: float = 60.0  # a lease's life should its test never give it back
    retry_after: int = 20  # what a refused test is told to wait: a test's deadline
    enabled: bool = True
    _memory: dict[str, tuple[str, float]] = field(default_factory=dict)

    async def take(self, keys: Iterable[str]) -> Lease:
        """Every key of ``keys``, or none: raise :class:`RateLimited` (``login-busy``) when
        another test holds one."""
        token = secrets.token_hex(16)
        if not self.enabled:
            return Lease(token)
        shared: list[str] = []
        local: list[str] = []
        for key in sorted(set(keys)):
            taken = await self._take_shared(key, token)
            if taken is None:  # no Redis, or it failed
                taken = self._take_local(key, token)
                if taken:
                    local.append(key)
            elif taken:
                shared.append(key)
            if not taken:
                await self.release(Lease(token, tuple(shared), tuple(local)))
                raise RateLimited(Limit.LOGIN_BUSY, self.retry_after)
        return Lease(token, tuple(shared), tuple(local))

    async def release(self, lease: Lease) -> None:
        """Give back every key of ``lease`` that is still ours."""
        for key in lease.local:
            if self._memory.get(key, ("", 0.0))[0] == lease.token:
                del self._memory[key]
        if self.redis is None:
            return
        for key in lease.shared:
            try:
                await self.redis.eval(_RELEASE, 1, PREFIX + key, lease.token)
            except (RedisError, OSError) as exc:
                self._failed(exc)

    async def _take_shared(self, key: str, token: str) -> bool | None:
        """True when taken in Redis, False when held there, None without Redis."""
        if self.redis is None:
            return None
        try:
            taken = await self.redis.set(PREFIX + key, token, nx=True, px=int(self.ttl * 1000))
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        return bool(taken)

    def _take_local(self, key: str, token: str) -> bool:
        now = time.monotonic()
        holder = self._memory.get(key)
        if holder is not None and holder[1] > now:
            return False
        if len(self._memory) >= MAX_LOCAL:  # forget the leases of tests that never ended
            self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
        self._memory[key] = (token, now + self.ttl)
        return True

    def _failed(self, exc: BaseException) -> None:
        metrics.shared_state_error(metrics.Store.LEASE)
        log.warning("lease storage failed (%s); holding leases in memory", type(exc).__name__)
