"""Rate-limit keys in a shared Redis: HMACs under MAILSETUP_SECRET_KEY that a dictionary
of addresses cannot reverse, the same on every instance, and no start without the key."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
import redis

from app.errors import ConfigError
from app.main import create_app
from app.ratelimit import Keys
from app.settings import Settings
from tests.hardening.conftest import MakeClient

SECRET = "the secret every instance shares"
ALICE = "alice@mail.test"
NOWHERE = [{"protocol": "imap", "host": "192.0.2.1", "port": 993, "security": "tls"}]


def bare_sha256(*parts: str) -> str:
    """A key as it used to be made: anyone can compute it for a list of addresses."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def stored_keys(url: str) -> str:
    with redis.Redis.from_url(url) as client:
        return "\n".join(k.decode() for k in client.keys("*"))


async def test_no_stored_key_is_a_digest_anyone_can_make(
    make_client: MakeClient, redis_url: str
) -> None:
    c = await make_client(redis_url=redis_url, secret_key=SECRET)
    assert (await c.get("/api/v1/lookup?domain=s1.nowhere.test")).status_code == 404
    body = {"email": ALICE, "password": "x", "servers": NOWHERE}  # the guard refuses it
    assert (await c.post("/api/v1/test", json=body)).status_code == 200
    stored = stored_keys(redis_url)
    dictionary = [
        bare_sha256("client", "127.0.0.1/32"),
        bare_sha256("client", "127.0.0.1"),
        bare_sha256("account", ALICE),
        bare_sha256("target", "nowhere.test"),
        bare_sha256("target", "192.0.2.0/24"),
        hashlib.sha256(ALICE.encode()).hexdigest(),
        hashlib.sha256(b"127.0.0.1").hexdigest(),
    ]
    assert [d for d in dictionary if d in stored] == []
    assert "alice" not in stored
    assert "127.0.0.1" not in stored
    # Every key is one the secret makes: an instance with it finds its counts.
    keys = Keys(SECRET.encode())
    made = [keys.client("127.0.0.1"), keys.account(ALICE), keys.target("nowhere.test")]
    assert [k for k in made if k not in stored] == []


async def test_instances_with_the_same_secret_count_together(
    make_client: MakeClient, redis_url: str
) -> None:
    shared = {"redis_url": redis_url, "secret_key": SECRET, "rate_limit_discovery": "3/minute"}
    one, two = await make_client(**shared), await make_client(**shared)
    for c in (one, two, one):
        assert (await c.get("/api/v1/lookup?domain=qq.com")).status_code == 200
    assert (await two.get("/api/v1/lookup?domain=qq.com")).status_code == 429


def test_with_redis_the_service_refuses_to_start_without_the_secret(
    settings: Settings, redis_url: str
) -> None:
    values = {**settings.model_dump(), "redis_url": redis_url}
    with pytest.raises(ConfigError, match="MAILSETUP_SECRET_KEY must be set"):
        create_app(Settings.model_validate(values))
    create_app(Settings.model_validate({**values, "secret_key": SECRET}))  # starts with it
    create_app(settings)  # and without Redis, a random key per process will do

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSETUP_")}
    command = [sys.executable, "-m", "app", "serve", "--port", "9"]
    served = subprocess.run(
        command,
        env={**env, "MAILSETUP_REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert served.returncode == 2
    assert "MAILSETUP_SECRET_KEY must be set when MAILSETUP_REDIS_URL is" in served.stderr
