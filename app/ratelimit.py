"""Rate limits per client, per target and per account, in memory or in Redis.

Each :class:`Limit` has its ``limits`` expression in the settings, such as
``10/minute`` or ``5/minute;30/hour``, and is counted with a moving window.
:meth:`RateLimiter.hit` counts a request and raises :class:`RateLimited` once it
is over; :meth:`RateLimiter.check` only looks; :meth:`RateLimiter.count` counts
without refusing (a failed login, after the fact).

Keys are SHA-256 digests of a client network, a target's registrable domain or
an address, so neither Redis nor memory holds them in clear, and no key ever
holds a credential. When Redis fails, the limiter counts in this process's
memory until Redis answers again: the limits keep holding, per instance.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from app import metrics
from app.discovery.plan import base_domain
from app.errors import MailsetupError
from app.settings import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "mailsetup:rl"
IPV4_CLIENT_PREFIX = 32  # one address
IPV6_CLIENT_PREFIX = 64  # a host usually has a whole /64
IPV4_TARGET_PREFIX = 24  # probing neighbours counts as probing the same target
IPV6_TARGET_PREFIX = 56


class Limit(StrEnum):
    """What is counted, and against what."""

    TEST = "test"  # live tests per client
    TEST_ACCOUNT = "test-account"  # live tests per address
    TEST_HOST = "test-host"  # live tests per target
    AUTH_FAILURE = "auth-failure"  # failed logins per address and target
    DISCOVERY = "discovery"  # lookups, setup pages, autodiscover, profiles per client
    DISCOVERY_DOMAIN = "discovery-domain"  # discoveries leaving this machine per domain


_SETTING: dict[Limit, str] = {
    Limit.TEST: "rate_limit_test",
    Limit.TEST_ACCOUNT: "rate_limit_test_account",
    Limit.TEST_HOST: "rate_limit_test_host",
    Limit.AUTH_FAILURE: "rate_limit_auth_failure",
    Limit.DISCOVERY: "rate_limit_discovery",
    Limit.DISCOVERY_DOMAIN: "rate_limit_discovery_domain",
}


class RateLimited(MailsetupError):
    """A limit is reached; ``retry_after`` is the number of seconds to wait."""

    def __init__(self, limit: Limit, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(f"rate limit {limit.value} reached; retry after {retry_after} s")


def rules_from(settings: Settings) -> dict[Limit, tuple[RateLimitItem, ...]]:
    """Every limit's items, parsed from the settings (already validated there)."""
    return {limit: tuple(parse_many(getattr(settings, name))) for limit, name in _SETTING.items()}


def _digest(*parts: str) -> str:
    joined = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()[:32]


def _network(address: str, v4: int, v6: int) -> str | None:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = v4 if ip.version == 4 else v6
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@functools.lru_cache(maxsize=4096)
def client_key(address: str) -> str:
    """The key of a client: its IPv4 address, or its IPv6 /64."""
    return _digest("client", _network(address, IPV4_CLIENT_PREFIX, IPV6_CLIENT_PREFIX) or address)


def target_key(host: str) -> str:
    """The key of a target: the registrable domain of a name (so ``a.example.com`` and
    ``b.example.com`` count together), or the /24 (IPv4) or /56 (IPv6) of an address."""
    host = host.strip().lower().rstrip(".")
    network = _network(host, IPV4_TARGET_PREFIX, IPV6_TARGET_PREFIX)
    return _digest("target", network or base_domain(host) or host)


def account_key(address: str) -> str:
    """The key of an account: its normalised address (``EmailAddress.address``)."""
    return _digest("account", address.strip().lower())


class RateLimiter:
    """Counts hits per limit and key in ``storage`` (Redis or memory).

    A storage error is logged and the same count is made in a memory fallback.
    With ``enabled`` false nothing is counted and nothing is refused.
    """

    def __init__(
        self,
        rules: Mapping[Limit, tuple[RateLimitItem, ...]],
        storage: Storage | None = None,
        *,
        enabled: bool = True,
    ) -> None:
        self.rules = dict(rules)
        self.enabled = enabled
        self._memory = MemoryStorage()
        self._storage = storage or self._memory
        self._primary = MovingWindowRateLimiter(self._storage)
        self._fallback = MovingWindowRateLimiter(self._memory)
        self.storage_errors = 0

    @classmethod
    def from_settings(cls, settings: Settings, redis: aioredis.Redis | None = None) -> RateLimiter:
        """The limiter the settings ask for, counting in ``redis`` when given."""
        storage: Storage | None = None
        if redis is not None and settings.redis_url and settings.rate_limits:
            url = settings.redis_url
            uri = ("async+redis+" if url.startswith("unix://") else "async+") + url
            shared: dict[str, Any] = {"connection_pool": redis.connection_pool}
            storage = RedisStorage(
                uri, implementation="redispy", key_prefix=KEY_PREFIX, wrap_exceptions=True, **shared
            )
        return cls(rules_from(settings), storage, enabled=settings.rate_limits)

    @property
    def shared(self) -> bool:
        """True when the counts live in Redis, shared by every instance."""
        return self._storage is not self._memory

    async def hit(self, limit: Limit, *key: str) -> None:
        """Count one request; raise :class:`RateLimited` if any item of ``limit`` is over."""
        if not self.enabled:
            return
        for item in self.rules[limit]:
            if not await self._call("hit", item, limit, key):
                raise RateLimited(limit, await self._retry_after(item, limit, key))

    async def check(self, limit: Limit, *key: str) -> None:
        """Raise :class:`RateLimited` if a hit would be refused now; count nothing."""
        if not self.enabled:
            return
        for item in self.rules[limit]:
            if not await self._call("test", item, limit, key):
                raise RateLimited(limit, await self._retry_after(item, limit, key))

    async def count(self, limit: Limit, *key: str) -> None:
        """Count one event against ``limit`` without refusing anything."""
        if not self.enabled:
            return
        for item in self.rules[limit]:
            await self._call("hit", item, limit, key)

    async def aclose(self) -> None:
        """Stop the memory storage's expiry task (the Redis pool is closed by its owner)."""
        timer = self._memory.timer
        if timer is not None and not timer.done():
            timer.cancel()

    async def _call(self, op: str, item: RateLimitItem, limit: Limit, key: tuple[str, ...]) -> bool:
        try:
            result: bool = await getattr(self._primary, op)(item, limit.value, *key)
        except StorageError as exc:
            self.storage_errors += 1
            metrics.shared_state_error("rate-limit")
            log.warning("rate-limit storage failed (%s); counting in memory", type(exc).__name__)
            result = await getattr(self._fallback, op)(item, limit.value, *key)
        return result

    async def _retry_after(self, item: RateLimitItem, limit: Limit, key: tuple[str, ...]) -> int:
        try:
            stats = await self._primary.get_window_stats(item, limit.value, *key)
        except StorageError:
            stats = await self._fallback.get_window_stats(item, limit.value, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))
