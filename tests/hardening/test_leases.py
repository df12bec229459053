"""Login leases alone: one test at a time per key, all or none, shared through Redis."""

from __future__ import annotations

import asyncio

import pytest

from app.discovery.redis_cache import open_redis
from app.leases import Leases
from app.ratelimit import Limit, RateLimited
from tests.realservers import free_tcp_port


async def test_a_held_key_refuses_and_nothing_else_is_kept() -> None:
    leases = Leases(retry_after=7)
    first = await leases.take(["a", "b"])
    with pytest.raises(RateLimited) as busy:
        await leases.take(["c", "b"])
    assert (busy.value.limit, busy.value.retry_after) == (Limit.LOGIN_BUSY, 7)
    await leases.take(["c"])  # the refused take gave "c" back
    await leases.release(first)
    await leases.take(["a", "b"])


async def test_a_lease_expires_if_never_given_back() -> None:
    leases = Leases(ttl=0.05)
    await leases.take(["a"])
    with pytest.raises(RateLimited):
        await leases.take(["a"])
    await asyncio.sleep(0.1)
    await leases.take(["a"])


async def test_an_expired_lease_cannot_release_its_successor() -> None:
    leases = Leases(ttl=0.05)
    old = await leases.take(["a"])
    await asyncio.sleep(0.1)
    new = await leases.take(["a"])
    await leases.release(old)
    with pytest.raises(RateLimited):
        await leases.take(["a"])
    await leases.release(new)
    await leases.take(["a"])


async def test_disabled_grants_everything() -> None:
    leases = Leases(enabled=False)
    await leases.take(["a"])
    await leases.take(["a"])


async def test_instances_share_leases_through_redis(redis_url: str) -> None:
    async with open_redis(redis_url) as one, open_redis(redis_url) as two:
        first, second = Leases(one, ttl=5), Leases(two, ttl=5)
        held = await first.take(["k"])
        with pytest.raises(RateLimited):
            await second.take(["k"])
        assert await one.pttl("mailsetup:lease:k") > 0  # it expires on its own
        await first.release(held)
        assert await one.keys("mailsetup:lease:*") == []
        await second.take(["k"])


async def test_leases_hold_in_memory_while_redis_is_down() -> None:
    url = f"redis://127.0.0.1:{free_tcp_port()}/0"  # nothing listens there
    async with open_redis(url) as client:
        leases = Leases(client, ttl=5)
        held = await leases.take(["k"])
        with pytest.raises(RateLimited):
            await leases.take(["k"])
        await leases.release(held)
        await leases.take(["k"])
