"""Rate limits per client, per target, per account and per login, in memory or in Redis.

Each :class:`Limit` has its ``limits`` expression in the settings, such as
``10/minute`` or ``5/minute;30/hour``, and is counted with a moving window.
:meth:`RateLimiter.hit` counts a request and raises :class:`RateLimited` once it
is over; :meth:`RateLimiter.charge` counts several at once, all or none;
:meth:`RateLimiter.check` only looks; :meth:`RateLimiter.count` counts without
refusing (a failed login, after the fact).

Keys (:class:`Keys`) are HMAC-SHA256 digests, under ``MAILSETUP_SECRET_KEY``, of a
client network, a target's registrable domain, an address or a login name, so
neither Redis nor memory holds them in clear, a dictionary of addresses cannot
reverse them without the key, and no key ever holds a credential. When Redis
fails, the limiter counts in this process's memory until Redis answers again:
the limits keep holding, per instance.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from app import metrics
from app.errors import MailsetupError
from app.hostnames import base_domain
from app.settings import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "mailsetup:rl"
IPV4_CLIENT_PREFIX = 32  # one address
IPV6_CLIENT_PREFIX = 64  # a host usually has a whole /64
IPV4_TARGET_PREFIX = 24  # probing neighbours counts as probing the same target
IPV6_TARGET_PREFIX = 56


class Limit(StrEnum):
    """What is counted, and against what."""

    TEST = "test"  # servers tested per client
    TEST_ACCOUNT = "test-account"  # live tests per address
    TEST_HOST = "test-host"  # servers tested per target, all clients together
    TEST_CLIENT_HOST = "test-client-host"  # servers tested per client and target
    AUTH_FAILURE = "auth-failure"  # logins refused per login name and target
    LOGIN_BUSY = "login-busy"  # a test of the login name at the target is running
    DISCOVERY = "discovery"  # lookups, setup pages, autodiscover, profiles per client
    DISCOVERY_DOMAIN = "discovery-domain"  # discoveries leaving this machine per client, domain
    DISCOVERY_DOMAIN_ALL = "discovery-domain-all"  # the same per domain, all clients together


_SETTING: dict[Limit, str] = {
    Limit.TEST: "rate_limit_test",
    Limit.TEST_ACCOUNT: "rate_limit_test_account",
    Limit.TEST_HOST: "rate_limit_test_host",
    Limit.TEST_CLIENT_HOST: "rate_limit_test_client_host",
    Limit.AUTH_FAILURE: "rate_limit_auth_failure",
    Limit.DISCOVERY: "rate_limit_discovery",
    Limit.DISCOVERY_DOMAIN: "rate_limit_discovery_domain",
    Limit.DISCOVERY_DOMAIN_ALL: "rate_limit_discovery_domain_all",
}
# The client key of the request being served, for limits counted deep inside (discovery).
asking_client: ContextVar[str | None] = ContextVar("mailsetup_asking_client", default=None)


class RateLimited(MailsetupError):
    """A limit is reached; ``retry_after`` is the number of seconds to wait."""

    def __init__(self, limit: Limit, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(f"rate limit {limit.value} reached; retry after {retry_after} s")


def rules_from(settings: Settings) -> dict[Limit, tuple[RateLimitItem, ...]]:
    """Every limit's items, parsed from the settings (already validated there)."""
    return {limit: tuple(parse_many(getattr(settings, name))) for limit, name in _SETTING.items()}


def _network(address: str, v4: int, v6: int) -> str | None:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = v4 if ip.version == 4 else v6
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _site(host: str) -> str:
    """A target as the limits see it: the /24 (IPv4) or /56 (IPv6) of an address, or
    the registrable domain of a name."""
    host = host.strip().lower().rstrip(".")
    return _network(host, IPV4_TARGET_PREFIX, IPV6_TARGET_PREFIX) or base_domain(host) or host


class Keys:
    """Rate-limit keys: HMAC-SHA256 under a key derived from ``secret``, 32 hex digits.

    Every instance that shares a Redis must use the same secret, or their keys differ.
    """

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"mailsetup rate-limit keys", hashlib.sha256).digest()
        self.client = functools.lru_cache(maxsize=4096)(self._client)

    @classmethod
    def from_settings(cls, settings: Settings) -> Keys:
        """Keys under ``MAILSETUP_SECRET_KEY``, or under a random key for this process."""
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(secrets.token_bytes(32))

    def _digest(self, *parts: str) -> str:
        joined = "\x00".join(parts).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, joined, hashlib.sha256).hexdigest()[:32]

    def _client(self, address: str) -> str:
        """The key of a client: its IPv4 address, or its IPv6 /64."""
        network = _network(address, IPV4_CLIENT_PREFIX, IPV6_CLIENT_PREFIX)
        return self._digest("client", network or address)

    def target(self, host: str) -> str:
        """The key of a target: the registrable domain of a name (so ``a.example.com`` and
        ``b.example.com`` count together), or the /24 (IPv4) or /56 (IPv6) of an address."""
        return self._digest("target", _site(host))

    def account(self, address: str) -> str:
        """The key of an account: its normalised address (``EmailAddress.address``)."""
        return self._digest("account", address.strip().lower())

    def login(self, name: str, host: str) -> str:
        """The key of a login name at a target (see :meth:`target`). Case is ignored, and
        so is an ``@domain`` under the target's own domain: at ``imap.qq.com``, ``alice``
        and ``Alice@QQ.com`` are one login."""
        site = _site(host)
        name = name.strip().casefold()
        local, at, domain = name.rpartition("@")
        if at and local and (base_domain(domain) or domain.rstrip(".")) == site:
            name = local
        return self._digest("login", name, site)


@dataclass(frozen=True)
class Charge:
    """``cost`` hits against ``limit`` under ``key``."""

    limit: Limit
    key: tuple[str, ...]
    cost: int = 1


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
        keys: Keys | None = None,
    ) -> None:
        self.rules = dict(rules)
        self.enabled = enabled
        self.keys = keys or Keys(secrets.token_bytes(32))
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
        keys = Keys.from_settings(settings)
        return cls(rules_from(settings), storage, enabled=settings.rate_limits, keys=keys)

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

    async def charge(self, charges: Iterable[Charge]) -> None:
        """Count every charge, or none: raise :class:`RateLimited` for the first that
        would go over before anything is counted. Charges with the same limit and
        key add up."""
        if not self.enabled:
            return
        total: dict[tuple[Limit, tuple[str, ...]], int] = {}
        for c in charges:
            total[c.limit, c.key] = total.get((c.limit, c.key), 0) + c.cost
        for (limit, key), cost in total.items():
            for item in self.rules[limit]:
                if not await self._call("test", item, limit, key, cost):
                    raise RateLimited(limit, await self._retry_after(item, limit, key))
        for (limit, key), cost in total.items():
            for item in self.rules[limit]:
                if not await self._call("hit", item, limit, key, cost):  # taken meanwhile
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

    async def _call(
        self, op: str, item: RateLimitItem, limit: Limit, key: tuple[str, ...], cost: int = 1
    ) -> bool:
        try:
            result: bool = await getattr(self._primary, op)(item, limit.value, *key, cost=cost)
        except StorageError as exc:
            self.storage_errors += 1
            metrics.shared_state_error(metrics.Store.RATE_LIMIT)
            log.warning("rate-limit storage failed (%s); counting in memory", type(exc).__name__)
            result = await getattr(self._fallback, op)(item, limit.value, *key, cost=cost)
        return result

    async def _retry_after(self, item: RateLimitItem, limit: Limit, key: tuple[str, ...]) -> int:
        try:
            stats = await self._primary.get_window_stats(item, limit.value, *key)
        except StorageError:
            stats = await self._fallback.get_window_stats(item, limit.value, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))
