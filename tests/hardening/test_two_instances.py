"""Two real service processes on one Redis share rate limits, the discovery cache and metrics."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis

from tests.realservers import serve_app


def wait_ready(urls: list[str], logs: list[Path]) -> None:
    deadline = time.monotonic() + 30
    for url, log in zip(urls, logs, strict=True):
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
            time.sleep(0.1)


@pytest.fixture
def two_instances(
    redis_url: str, nameserver: str, tmp_path: Path
) -> Iterator[tuple[list[str], list[Path]]]:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "MAILSETUP_REDIS_URL": redis_url,
        "MAILSETUP_RATE_LIMIT_DISCOVERY": "4/minute",
        "MAILSETUP_TRUSTED_PROXIES": "127.0.0.1/32",
        "MAILSETUP_DNS_SERVERS": nameserver,
        "MAILSETUP_ISPDB_URL": "http://127.0.0.1:9/v1.1/",
        "MAILSETUP_DISCOVERY_DEADLINE": "3",
        "MAILSETUP_MAX_BODY_BYTES": "4096",
        "MAILSETUP_SECRET_KEY": "a shared secret for both instances",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with ExitStack() as stack:
        urls = [stack.enter_context(serve_app(env, log, log_level="info")) for log in logs]
        wait_ready(urls, logs)
        yield urls, logs


def test_two_processes_share_one_redis(
    two_instances: tuple[list[str], list[Path]], redis_url: str
) -> None:
    (a, b), _ = two_instances
    with httpx.Client(timeout=10) as http:
        for url in (a, b):
            assert http.get(f"{url}/readyz").json()["checks"] == {"data": True, "redis": True}

        # One client, four lookups spread over both: the fifth is refused by either.
        one = {"X-Forwarded-For": "203.0.113.1"}
        for url in (a, b, a, b):
            assert http.get(f"{url}/api/v1/lookup?email=x@qq.com", headers=one).status_code == 200
        for url in (a, b):
            refused = http.get(f"{url}/api/v1/lookup?email=x@qq.com", headers=one)
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) >= 1
        other = {"X-Forwarded-For": "203.0.113.2"}
        assert http.get(f"{a}/api/v1/lookup?domain=gw.test", headers=other).status_code == 200

        # A discovers gw.test (its MX is Google's); the answer is in Redis and B reuses it.
        with redis.Redis.from_url(redis_url) as client:
            assert client.exists("mailsetup:discovery:v1:gw.test")
        found = http.get(f"{b}/api/v1/lookup?domain=gw.test", headers=other)
        assert found.json()["source"] == "mx"

        # Metrics add up both processes (PROMETHEUS_MULTIPROC_DIR).
        text = http.get(f"{a}/metrics").text
        assert 'mailsetup_rate_limited_total{limit="discovery"} 2.0' in text
        assert 'mailsetup_discoveries_total{cached="false",source="mx"} 1.0' in text
        assert 'mailsetup_discoveries_total{cached="true",source="mx"} 1.0' in text

        # A real server's body cap, declared or chunked.
        big = b"{" + b" " * 5000 + b"}"
        json_type = {"Content-Type": "application/json"}
        r = http.post(f"{b}/api/v1/test", content=big, headers=json_type)
        assert r.status_code == 413
        chunks = (b" " * 1000 for _ in range(10))
        r = http.post(f"{b}/api/v1/test", content=chunks, headers=json_type)
        assert r.status_code == 413
