"""Fair, bounded live tests: one client cannot take every probe slot, a test that gets
no slot before its deadline says the service is busy (blaming nobody else), and an
abandoned test closes its connections at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.models import Protocol, Security, ServerEndpoint
from app.probe import Code
from app.probe.report import Severity
from app.probe.runner import ReportEvent, StartEvent, Target, _slots, run_tests
from app.probe.slots import ANYONE, FairSlots
from app.settings import Settings

from .conftest import make_settings
from .fakes import Peer, scripted_server


async def test_a_client_holds_at_most_its_share() -> None:
    slots = FairSlots(total=4, share=2)
    await slots.acquire("a")
    await slots.acquire("a")
    third = asyncio.create_task(slots.acquire("a"))
    await asyncio.sleep(0)
    assert not third.done()  # a is at its share, though two slots are free
    await asyncio.wait_for(slots.acquire("b"), 0.1)  # b is not queued behind a
    slots.release("a")
    await asyncio.wait_for(third, 0.1)
    assert slots.held == {"a": 2, "b": 1}


async def test_waiters_are_served_in_order_within_the_total() -> None:
    slots = FairSlots(total=1, share=1)
    await slots.acquire("a")
    order: list[str] = []

    async def wait(client: str) -> None:
        await slots.acquire(client)
        order.append(client)

    tasks = [asyncio.create_task(wait(c)) for c in ("b", "c", "d")]
    await asyncio.sleep(0)
    for _ in range(3):
        slots.release(order[-1] if order else "a")
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == ["b", "c", "d"]


async def test_a_cancelled_waiter_takes_nothing() -> None:
    slots = FairSlots(total=1, share=1)
    await slots.acquire(ANYONE)
    waiter = asyncio.create_task(slots.acquire("b"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    slots.release(ANYONE)
    assert slots.in_use == 0
    await asyncio.wait_for(slots.acquire("c"), 0.1)


def _endpoint(port: int) -> ServerEndpoint:
    return ServerEndpoint(
        protocol=Protocol.POP3, host="127.0.0.1", port=port, security=Security.TLS
    )


async def test_no_slot_before_the_deadline_is_service_busy() -> None:
    settings = make_settings(None, probe_concurrency=4, probe_deadline=0.4)
    slots = _slots(settings.probe_concurrency)
    for _ in range(4):  # others hold every slot
        await slots.acquire(ANYONE)
    async with scripted_server(lambda peer: peer.reader.read()) as server:
        started = time.monotonic()
        events = [
            e
            async for e in run_tests(
                [Target(_endpoint(server.port), "me")], "pw", settings=settings, client="me"
            )
        ]
        elapsed = time.monotonic() - started
    for _ in range(4):
        slots.release(ANYONE)
    assert elapsed < 0.4 + 0.3
    assert server.peers == []  # never connected
    report = events[-1]
    assert isinstance(report, ReportEvent)
    result = report.results[0]
    assert result.error is not None
    assert result.error.reason == "service-busy"
    assert [f.code for f in result.findings] == [Code.SERVICE_BUSY]
    assert result.findings[0].severity is Severity.ERROR
    assert "Your settings are not in question" in result.findings[0].message


async def test_another_clients_test_starts_while_one_floods(probe_settings: Settings) -> None:
    """Client A's probes hang on servers that never finish TLS; B's starts at once."""
    settings = probe_settings.model_copy(update={"probe_concurrency": 32, "probe_deadline": 5.0})
    hung = asyncio.Event()

    async def never_finishes_tls(peer: Peer) -> None:
        await peer.reader.read(1)  # the ClientHello has begun; never answer
        await hung.wait()

    async with scripted_server(never_finishes_tls) as server:
        flood = [Target(_endpoint(server.port), "a") for _ in range(8)]
        a = [
            asyncio.create_task(_drain(run_tests(flood, "pw", settings=settings, client="a")))
            for _ in range(3)
        ]
        await asyncio.sleep(0.2)  # A holds its share (8 of 32); the rest of its probes queue
        assert len(server.peers) == 8
        started = time.monotonic()
        b = run_tests([Target(_endpoint(server.port), "b")], "pw", settings=settings, client="b")
        first_step = None
        async for event in b:
            if not isinstance(event, StartEvent):
                first_step = time.monotonic() - started
                break
        await b.aclose()
        for task in a:
            task.cancel()
        await asyncio.gather(*a, return_exceptions=True)
        hung.set()
    assert first_step is not None
    assert first_step < 1.0, f"B waited {first_step:.2f} s behind A"


async def _drain(events: object) -> None:
    async for _ in events:  # type: ignore[attr-defined]
        pass


async def test_an_abandoned_test_closes_its_connections_at_once(probe_settings: Settings) -> None:
    closed: list[float] = []
    all_closed, all_connected = asyncio.Event(), asyncio.Event()

    async def hold(peer: Peer) -> None:
        await peer.send(b"+OK ready\r\n")
        if len(server.peers) == 3:
            all_connected.set()
        await peer.reader.read()  # until the client closes
        closed.append(time.monotonic())
        if len(closed) == 3:
            all_closed.set()

    async with scripted_server(hold) as server:
        endpoint = ServerEndpoint(
            protocol=Protocol.POP3, host="127.0.0.1", port=server.port, security=Security.NONE
        )
        events = run_tests([Target(endpoint, "me")] * 3, "pw", settings=probe_settings)
        async for event in events:
            if not isinstance(event, StartEvent):
                break  # a first step: the probes are talking to the server
        await asyncio.wait_for(all_connected.wait(), 2)
        abandoned = time.monotonic()
        await events.aclose()
        await asyncio.wait_for(all_closed.wait(), 2)
    assert max(closed) - abandoned < 0.5
