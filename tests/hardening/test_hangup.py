"""Bounded, fair live tests in a real service process.

- A client that hangs up (JSON or NDJSON) has its probes stopped and their connections
  closed at once.
- No request answers later than its deadline plus one second, waiting for a probe slot
  included; a test that gets no slot in time says the service is busy.
- While one client floods the tester with servers that never answer, another client's
  test starts probing at once.

The servers are scripted listeners on 127.0.0.1 that accept TCP and never say a word.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.probe.fakes import Peer, scripted_server
from tests.realservers import PROBE_LOOPBACK_ENV, serve_app

# Distinct servers on one port: the same listener, spoken to in different ways.
WAYS = [(p, s) for p in ("imap", "pop3", "smtp") for s in ("tls", "starttls", "none")][:8]


class Silent:
    """Accepts connections and never answers; notes when each one closes."""

    def __init__(self) -> None:
        self.open = 0
        self.closed: list[float] = []
        self.opened = asyncio.Event()

    async def __call__(self, peer: Peer) -> None:
        self.open += 1
        self.opened.set()
        await peer.reader.read()  # until the client closes
        self.closed.append(time.monotonic())


def servers(port: int, count: int) -> list[dict[str, object]]:
    return [
        {"protocol": p, "host": "127.0.0.1", "port": port, "security": s} for p, s in WAYS[:count]
    ]


def service_env(nameserver: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **PROBE_LOOPBACK_ENV,
        "MAILSETUP_DNS_SERVERS": nameserver,
        "MAILSETUP_ISPDB_URL": "http://127.0.0.1:9/v1.1/",
        "MAILSETUP_RATE_LIMITS": "off",
        **extra,
    }


@pytest.fixture
def service(tmp_path: Path, nameserver: str) -> Iterator[str]:
    env = service_env(nameserver, MAILSETUP_PROBE_DEADLINE="30")
    with serve_app(env, tmp_path / "service.log") as url:
        yield url


async def _all_closed(silent: Silent, count: int, within: float) -> float:
    started = time.monotonic()
    while len(silent.closed) < count:
        assert time.monotonic() - started < within, f"{len(silent.closed)} of {count} closed"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


@pytest.mark.parametrize("accept", ["application/json", "application/x-ndjson"])
async def test_a_client_that_hangs_up_stops_its_probes(service: str, accept: str) -> None:
    silent = Silent()
    async with scripted_server(silent) as server:
        body = {"email": "a@example.test", "password": "pw", "servers": servers(server.port, 4)}
        async with httpx.AsyncClient(base_url=service, timeout=30) as client:
            request = asyncio.create_task(
                client.post("/api/v1/test", json=body, headers={"Accept": accept})
            )
            await asyncio.wait_for(silent.opened.wait(), 5)
            await asyncio.sleep(0.3)  # every probe is waiting on its server
            assert silent.open == 4
            request.cancel()  # closes the connection: the client has gone
            with pytest.raises(asyncio.CancelledError):
                await request
        took = await _all_closed(silent, 4, within=2.0)
    assert took < 1.0, f"the probes went on for {took:.2f} s after the client left"


async def test_no_request_outlives_its_deadline(tmp_path: Path, nameserver: str) -> None:
    """Four probe slots and a 2 s deadline: three requests of four silent servers each all
    answer by 3 s, the probes that never got a slot as busy."""
    env = service_env(nameserver, MAILSETUP_PROBE_DEADLINE="2", MAILSETUP_PROBE_CONCURRENCY="4")
    silent = Silent()
    async with scripted_server(silent) as server:
        with serve_app(env, tmp_path / "service.log") as url:
            body = {"email": "a@example.test", "password": "pw", "servers": servers(server.port, 4)}
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:

                async def one() -> tuple[float, dict[str, object]]:
                    started = time.monotonic()
                    r = await client.post("/api/v1/test", json=body)
                    assert r.status_code == 200, r.text
                    return time.monotonic() - started, r.json()

                answers = await asyncio.gather(*(one() for _ in range(3)))
    assert max(took for took, _ in answers) < 2 + 1
    codes = [
        f["code"]
        for _, report in answers
        for result in report["results"]  # type: ignore[attr-defined]
        for f in result["findings"]
    ]
    assert "service-busy" in codes  # 12 probes, 4 slots: most waited in vain
    assert "probe-error" not in codes


async def test_another_client_starts_at_once_while_one_floods(service: str) -> None:
    silent = Silent()

    async def fast_pop3(peer: Peer) -> None:
        await peer.send(b"+OK ready\r\n")
        while line := await peer.line():
            await peer.send(b"+OK bye\r\n" if line.upper() == b"QUIT" else b"-ERR no\r\n")

    async with scripted_server(silent) as hung, scripted_server(fast_pop3) as fast:
        flood = {"email": "a@example.test", "password": "pw", "servers": servers(hung.port, 8)}
        b_body = {
            "email": "b@example.test",
            "password": "pw",
            "servers": [
                {"protocol": "pop3", "host": "127.0.0.1", "port": fast.port, "security": "none"}
            ],
        }
        a = httpx.AsyncClient(
            base_url=service,
            timeout=60,
            transport=httpx.AsyncHTTPTransport(local_address="127.0.0.1"),
        )
        b = httpx.AsyncClient(
            base_url=service,
            timeout=60,
            transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2"),
        )
        async with a, b:
            requests = [asyncio.create_task(a.post("/api/v1/test", json=flood)) for _ in range(6)]
            await asyncio.sleep(1.0)
            assert silent.open == 8  # A holds every slot it may: a quarter of 32
            started = time.monotonic()
            first_step = None
            headers = {"Accept": "application/x-ndjson"}
            async with b.stream("POST", "/api/v1/test", json=b_body, headers=headers) as r:
                async for line in r.aiter_lines():
                    if json.loads(line)["type"] == "step":
                        first_step = time.monotonic() - started
                        break
            for request in requests:
                request.cancel()
            await asyncio.gather(*requests, return_exceptions=True)
    assert first_step is not None
    assert first_step < 1.0, f"B waited {first_step:.2f} s behind A"
