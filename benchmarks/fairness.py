"""Target 5: one client floods the tester; another client's test still starts at once.

Setup: ``mailsetup serve`` (rate limits off, loopback and two ports allowed, a 20 s
probe deadline). Client A, from 127.0.0.1, sends FLOOD requests at once, each naming
8 servers on a port that accepts TCP and never finishes a TLS handshake. While they
hang, client B, from 127.0.0.2, tests one server that answers at once (a POP3 greeting
in plain text). Both run in this process with httpx; the listeners run in threads.

Measured: how long B waits from sending its request to its first step event (target
< 1 s), B's whole test, and how long each of A's requests takes against its deadline
(target: none later than the deadline plus 1 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from benchmarks.common import PYTHON, cli, free_port, http_server, verdict

FLOOD = 10  # requests from A, each with 8 servers
DEADLINE = 20.0


def _hang(conn: socket.socket) -> None:
    """Accept the TCP connection and never answer (a TLS handshake never finishes)."""
    conn.recv(1)


def _pop3(conn: socket.socket) -> None:
    """A POP3 server that answers at once: a greeting, -ERR to anything but QUIT."""
    conn.sendall(b"+OK fast and ready\r\n")
    for line in conn.makefile("rb"):
        if line.upper().startswith(b"QUIT"):
            conn.sendall(b"+OK bye\r\n")
            return
        conn.sendall(b"-ERR not here\r\n")


@contextmanager
def listener(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP listener on 127.0.0.1, one thread per connection, each held until the
    client closes it (or the listener stops)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)
            threading.Thread(target=_quietly, args=(handle, conn), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def _quietly(handle: Callable[[socket.socket], None], conn: socket.socket) -> None:
    try:
        handle(conn)
    except OSError:
        return  # the client went away


def _server(port: int, security: str) -> dict[str, object]:
    return {"protocol": "pop3", "host": "127.0.0.1", "port": port, "security": security}


async def _flood_one(client: httpx.AsyncClient, hung: list[int]) -> float:
    body = {
        "email": "a@example.test",
        "password": "pw",
        "servers": [_server(port, "tls") for port in hung],
    }
    started = time.monotonic()
    await client.post("/api/v1/test", json=body, timeout=DEADLINE + 30)
    return time.monotonic() - started


async def _b_test(client: httpx.AsyncClient, fast: int) -> tuple[float, float]:
    body = {"email": "b@example.test", "password": "pw", "servers": [_server(fast, "none")]}
    started = time.monotonic()
    first = None
    headers = {"Accept": "application/x-ndjson"}
    async with client.stream(
        "POST", "/api/v1/test", json=body, headers=headers, timeout=DEADLINE + 30
    ) as response:
        async for line in response.aiter_lines():
            event = json.loads(line)
            if first is None and event.get("type") == "step":
                first = time.monotonic() - started
    return first if first is not None else float("inf"), time.monotonic() - started


async def measure(url: str, hung: list[int], fast: int) -> dict[str, object]:
    a = httpx.AsyncClient(
        base_url=url, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.1")
    )
    b = httpx.AsyncClient(
        base_url=url, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    )
    async with a, b:
        flood = [asyncio.create_task(_flood_one(a, hung)) for _ in range(FLOOD)]
        await asyncio.sleep(1.0)  # A's probes now hold every slot A may hold
        first_step, b_total = await _b_test(b, fast)
        a_times = await asyncio.gather(*flood)
    return {"b_first_step": first_step, "b_total": b_total, "a_slowest": max(a_times)}


def main() -> None:
    _args, rows = cli(__doc__)
    port = free_port()
    with contextlib.ExitStack() as stack:
        hung = [stack.enter_context(listener(_hang)) for _ in range(8)]
        fast = stack.enter_context(listener(_pop3))
        env = {
            "MAILSETUP_PROBE_ALLOW_NETWORKS": "127.0.0.1/32",
            "MAILSETUP_PROBE_ALLOW_PORTS": ",".join(str(p) for p in [*hung, fast]),
            "MAILSETUP_PROBE_DEADLINE": str(DEADLINE),
        }
        command = [PYTHON, "-m", "app", "serve", "--port", str(port), "--host", "127.0.0.1"]
        with http_server("mailsetup", command, port, env):
            figures = asyncio.run(measure(f"http://127.0.0.1:{port}", hung, fast))
    b_first, b_total, a_slowest = (
        float(figures["b_first_step"]),  # type: ignore[arg-type]
        float(figures["b_total"]),  # type: ignore[arg-type]
        float(figures["a_slowest"]),  # type: ignore[arg-type]
    )
    rows.add(
        "fairness: B's first step while A floods", "< 1 s", f"{b_first:.2f} s", verdict(b_first < 1)
    )
    rows.add("fairness: B's whole test", "-", f"{b_total:.2f} s", "INFO")
    rows.add(
        f"fairness: A's slowest of {FLOOD} requests (8 hung servers each)",
        f"<= deadline + 1 s ({DEADLINE + 1:.0f} s)",
        f"{a_slowest:.2f} s",
        verdict(a_slowest <= DEADLINE + 1),
    )


if __name__ == "__main__":
    main()
