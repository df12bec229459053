"""Fixtures for the hardening tests: a real Redis, and apps with chosen settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from app.main import create_app
from app.providers.db import ProviderDB
from app.settings import Settings
from tests.hardening.redisserver import run_redis

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    with run_redis() as url:
        yield url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return redis_server


@pytest.fixture
async def make_client(settings: Settings, db: ProviderDB) -> AsyncIterator[MakeClient]:
    """Start an app with ``settings`` plus overrides; yield a client factory."""
    stack: list[Any] = []

    async def make(
        *,
        base_url: str = "http://mailsetup.test",
        client: tuple[str, int] = ("127.0.0.1", 5000),
        **overrides: object,
    ) -> httpx.AsyncClient:
        values = {**settings.model_dump(), **overrides}
        app = create_app(Settings.model_validate(values), db=db)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        transport = httpx.ASGITransport(app=app, client=client)
        http = httpx.AsyncClient(transport=transport, base_url=base_url)
        stack.append((lifespan, http))
        return http

    yield make
    for lifespan, http in reversed(stack):
        await http.aclose()
        await lifespan.__aexit__(None, None, None)
