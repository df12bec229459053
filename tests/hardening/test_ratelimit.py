"""The rate limiter alone: counting, keys, Redis sharing and the memory fallback."""

from __future__ import annotations

import hashlib

import pytest
import redis.asyncio as aioredis
from limits import parse_many

from app.discovery.redis_cache import open_redis
from app.ratelimit import Charge, Keys, Limit, RateLimited, RateLimiter, rules_from
from app.settings import Settings
from tests.realservers import free_tcp_port


def limiter(rule: str = "3/minute", **kwargs: object) -> RateLimiter:
    rules = {limit: tuple(parse_many(rule)) for limit in Limit}
    return RateLimiter(rules, **kwargs)  # type: ignore[arg-type]


async def test_hits_until_the_limit_then_refuses_with_retry_after() -> None:
    rl = limiter()
    for _ in range(3):
        await rl.hit(Limit.TEST, "k")
    with pytest.raises(RateLimited) as refused:
        await rl.hit(Limit.TEST, "k")
    assert refused.value.limit is Limit.TEST
    assert 1 <= refused.value.retry_after <= 60
    await rl.hit(Limit.TEST, "other key")  # keys are counted apart
    await rl.hit(Limit.DISCOVERY, "k")  # and limits too
    await rl.aclose()


async def test_every_item_of_a_rule_counts() -> None:
    rl = limiter("5/minute;2/hour")
    await rl.hit(Limit.TEST, "k")
    await rl.hit(Limit.TEST, "k")
    with pytest.raises(RateLimited) as refused:
        await rl.hit(Limit.TEST, "k")
    assert refused.value.retry_after > 60  # the hourly window is the one that is full


async def test_check_counts_nothing_and_count_never_refuses() -> None:
    rl = limiter("2/minute")
    for _ in range(5):
        await rl.check(Limit.AUTH_FAILURE, "a", "t")
    for _ in range(5):
        await rl.count(Limit.AUTH_FAILURE, "a", "t")
    with pytest.raises(RateLimited):
        await rl.check(Limit.AUTH_FAILURE, "a", "t")


async def test_disabled_refuses_nothing() -> None:
    rl = limiter("1/minute", enabled=False)
    for _ in range(5):
        await rl.hit(Limit.TEST, "k")
        await rl.check(Limit.TEST, "k")


def test_rules_come_from_the_settings() -> None:
    rules = rules_from(Settings(rate_limit_test="7/second;9/day"))
    assert [(i.amount, i.GRANULARITY.name) for i in rules[Limit.TEST]] == [
        (7, "second"),
        (9, "day"),
    ]
    assert set(rules) == set(Limit) - {Limit.LOGIN_BUSY}  # a lease, not a count
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(rate_limit_auth_failure="often")
    assert Settings.model_validate({"rate_limits": "off"}).rate_limits is False


KEYS = Keys(b"a secret of this instance")


def test_client_keys_group_an_ipv6_host_and_unwrap_mapped_ipv4() -> None:
    client = KEYS.client
    assert client("2001:db8:1:2::1") == client("2001:db8:1:2:ffff::9")
    assert client("2001:db8:1:2::1") != client("2001:db8:1:3::1")
    assert client("::ffff:192.0.2.7") == client("192.0.2.7")
    assert client("192.0.2.7") != client("192.0.2.8")


def test_target_keys_group_a_registrable_domain_and_a_network() -> None:
    target = KEYS.target
    assert target("imap.victim.example") == target("a.b.victim.example.")
    assert target("imap.victim.example") != target("imap.other.example")
    assert target("Imap.QQ.com") == target("smtp.qq.com")
    assert target("192.0.2.1") == target("192.0.2.254")
    assert target("192.0.2.1") != target("192.0.3.1")
    assert target("[2001:db8::1]") == target("2001:db8:0:ff::1")


def test_account_keys_ignore_case_and_hold_no_address() -> None:
    assert KEYS.account("Alice@Mail.Test") == KEYS.account("alice@mail.test")
    assert "alice" not in KEYS.account("alice@mail.test")
    assert len(KEYS.account("alice@mail.test")) == 32


def test_a_login_key_is_the_name_sent_at_the_targets_domain() -> None:
    login = KEYS.login
    # The name a server sees, whatever address asked: case, and its own domain, aside.
    assert login("alice", "imap.qq.com") == login("Alice@QQ.com", "smtp.qq.com")
    assert login("alice", "imap.qq.com") == login(" ALICE ", "pop.qq.com.")
    assert login("alice", "imap.qq.com") != login("bob", "imap.qq.com")
    assert login("alice", "imap.qq.com") != login("alice", "imap.163.com")
    assert login("alice@example.com", "imap.qq.com") != login("alice", "imap.qq.com")
    assert login("alice", "192.0.2.1") == login("alice", "192.0.2.200")
    assert login("alice", "imap.qq.com") != KEYS.account("alice@qq.com")


def test_keys_are_hmacs_that_a_dictionary_cannot_reverse() -> None:
    """Without the secret, hashing every candidate address gives none of the keys."""
    address = "alice@qq.com"
    guesses = {
        hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
        for parts in (("account", address), ("client", "203.0.113.7/32"), ("login", "alice"))
    }
    keys = {KEYS.account(address), KEYS.client("203.0.113.7"), KEYS.login("alice", "qq.com")}
    assert not keys & guesses
    # Instances that share the secret agree on every key; another secret agrees on none.
    same, other = Keys(b"a secret of this instance"), Keys(b"another secret")
    assert same.account(address) == KEYS.account(address)
    assert other.account(address) != KEYS.account(address)
    assert other.client("203.0.113.7") != KEYS.client("203.0.113.7")
    settings = Settings(secret_key="a secret of this instance")
    assert Keys.from_settings(settings).target("qq.com") == KEYS.target("qq.com")
    assert Keys.from_settings(Settings()).target("qq.com") != KEYS.target("qq.com")


async def test_a_charge_counts_all_or_nothing() -> None:
    rl = limiter("3/minute")
    await rl.charge([Charge(Limit.TEST, ("c",), 2), Charge(Limit.TEST_HOST, ("t",), 2)])
    # Two more for the client do not fit: refused, and the target's count is untouched.
    with pytest.raises(RateLimited) as refused:
        await rl.charge([Charge(Limit.TEST_HOST, ("t",), 1), Charge(Limit.TEST, ("c",), 2)])
    assert refused.value.limit is Limit.TEST
    await rl.charge([Charge(Limit.TEST_HOST, ("t",), 1)])
    # Charges under one limit and key add up.
    with pytest.raises(RateLimited):
        await rl.charge([Charge(Limit.TEST, ("c",)), Charge(Limit.TEST, ("c",))])
    await rl.charge([Charge(Limit.TEST, ("c",))])
    with pytest.raises(RateLimited):
        await rl.hit(Limit.TEST, "c")


async def test_two_limiters_on_one_redis_share_counts(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url, rate_limit_test="3/minute")
    async with open_redis(redis_url) as one, open_redis(redis_url) as two:
        first = RateLimiter.from_settings(settings, one)
        second = RateLimiter.from_settings(settings, two)
        assert first.shared
        assert second.shared
        await first.hit(Limit.TEST, "k")
        await second.hit(Limit.TEST, "k")
        await first.hit(Limit.TEST, "k")
        with pytest.raises(RateLimited):
            await second.hit(Limit.TEST, "k")
        keys = [k.decode() for k in await one.keys("*")]
        assert keys
        assert all(k.startswith("mailsetup:rl") for k in keys)
        assert not any("127.0.0.1" in k or "@" in k for k in keys)


async def test_limits_hold_in_memory_while_redis_is_down() -> None:
    url = f"redis://127.0.0.1:{free_tcp_port()}/0"  # nothing listens there
    settings = Settings(redis_url=url, rate_limit_test="2/minute")
    async with open_redis(url) as client:
        rl = RateLimiter.from_settings(settings, client)
        await rl.hit(Limit.TEST, "k")
        await rl.hit(Limit.TEST, "k")
        with pytest.raises(RateLimited):
            await rl.hit(Limit.TEST, "k")
        assert rl.storage_errors >= 3
        await rl.aclose()


async def test_without_redis_the_counts_are_local() -> None:
    rl = RateLimiter.from_settings(Settings(rate_limit_test="1/minute"))
    assert not rl.shared
    await rl.hit(Limit.TEST, "k")
    with pytest.raises(RateLimited):
        await rl.hit(Limit.TEST, "k")
    await rl.aclose()


async def test_off_means_no_storage_is_used(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url, rate_limits=False)
    async with open_redis(redis_url) as client:
        rl = RateLimiter.from_settings(settings, client)
        for _ in range(50):
            await rl.hit(Limit.TEST, "k")
        assert await client.keys("*") == []
        assert isinstance(client, aioredis.Redis)
