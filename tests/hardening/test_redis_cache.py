"""The discovery cache in Redis: the same interface as memory, a miss whenever Redis fails."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import redis
from prometheus_client import REGISTRY
from pydantic import TypeAdapter

from app.discovery.cache import Cache
from app.discovery.findings import DiscoveryFinding
from app.discovery.pipeline import Discovery
from app.discovery.redis_cache import PREFIX, RedisCache, open_redis
from app.discovery.service import PLACEHOLDER, forget_address
from app.models import Attempt, Source, TraceOutcome
from tests.hardening.conftest import MakeClient
from tests.realservers import free_tcp_port

SECRET = "one secret for every instance"  # required with Redis

FOUND = Discovery(
    domain="example.test",
    config=None,
    trace=(
        Attempt(
            source=Source.MX,
            target="example.test",
            ok=False,
            duration_ms=1.5,
            outcome=TraceOutcome.NO_RECORDS,
        ),
    ),
    findings=(DiscoveryFinding.NO_MX,),
)
ADAPTER = TypeAdapter(Discovery)


async def test_values_round_trip_and_expire(redis_url: str) -> None:
    async with open_redis(redis_url) as client:
        cache: Cache[Discovery] = RedisCache(client, ADAPTER)
        assert await cache.get("example.test") is None
        await cache.set("example.test", FOUND, 0.3)
        assert await cache.get("example.test") == FOUND
        assert 0 < await client.pttl(PREFIX + "example.test") <= 300
        await asyncio.sleep(0.4)
        assert await cache.get("example.test") is None
        await cache.set("never.test", FOUND, 0)  # a TTL of 0 stores nothing, as in memory
        assert await client.exists(PREFIX + "never.test") == 0


async def test_an_unreadable_entry_is_a_miss(redis_url: str) -> None:
    async with open_redis(redis_url) as client:
        await client.set(PREFIX + "old.test", b'{"format": "from an older version"}')
        assert await RedisCache(client, ADAPTER).get("old.test") is None


async def test_redis_down_is_a_miss_not_an_error() -> None:
    async with open_redis(f"redis://127.0.0.1:{free_tcp_port()}/0") as client:
        cache = RedisCache(client, ADAPTER)
        await cache.set("example.test", FOUND, 60)
        assert await cache.get("example.test") is None


def test_the_askers_address_is_forgotten() -> None:
    url = "https://autoconfig.gw.test/mail/config-v1.1.xml?emailaddress=al%2Bice@gw.test"
    attempt = Attempt(
        source=Source.AUTOCONFIG,
        target=url,
        ok=False,
        duration_ms=1,
        outcome=TraceOutcome.NOT_FOUND,
        detail=url,
    )
    trace = (attempt,)
    found = forget_address(FOUND.model_copy(update={"trace": trace}), "al+ice@gw.test")
    assert "ice" not in found.model_dump_json()
    assert found.trace[0].target.endswith("emailaddress=" + PLACEHOLDER)


async def test_one_askers_address_never_reaches_the_next(
    make_client: MakeClient, redis_url: str
) -> None:
    c = await make_client(redis_url=redis_url, secret_key=SECRET)
    first = await c.get("/api/v1/lookup?email=alice.private@gw.test")
    assert first.status_code == 200
    second = await c.get("/api/v1/lookup?email=bob@gw.test")
    assert second.status_code == 200
    assert "alice.private" not in second.text
    with redis.Redis.from_url(redis_url) as client:
        stored = client.get(PREFIX + "gw.test")
    assert stored is not None
    assert b"alice.private" not in stored


@pytest.mark.parametrize("path", ["/api/v1/lookup?domain=gw.test", "/setup?email=x@gw.test"])
async def test_instances_share_discoveries(
    make_client: MakeClient, redis_url: str, path: str
) -> None:
    first = await make_client(redis_url=redis_url, secret_key=SECRET)
    second = await make_client(redis_url=redis_url, secret_key=SECRET)
    assert (await first.get(path)).status_code == 200
    with redis.Redis.from_url(redis_url) as client:
        assert client.exists(PREFIX + "gw.test")
    before = cached_answers()
    answer: httpx.Response = await second.get("/api/v1/lookup?domain=gw.test")
    assert answer.json()["source"] == "mx"
    assert cached_answers() == before + 1  # the second instance did not discover again


def cached_answers() -> float:
    labels = {"source": "mx", "cached": "true"}
    return REGISTRY.get_sample_value("mailsetup_discoveries_total", labels) or 0.0
