"""Helpers shared by every test that runs a real server on loopback."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import httpx
import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"true", "1", "yes"}


def unavailable(reason: str) -> NoReturn:
    """A real server cannot run here: under CI=true that fails the run; elsewhere it skips."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


# Every server a test points the tester at listens on a port in this range, so that the
# app under test allows exactly these (MAILSETUP_PROBE_ALLOW_PORTS) besides the mail ports.
TEST_PORTS = range(20000, 22000)
TEST_PORT_RANGE = f"{TEST_PORTS.start}-{TEST_PORTS.stop - 1}"
# The settings a test's app needs to reach the test servers: loopback, those ports.
PROBE_LOOPBACK = {"probe_allow_networks": "127.0.0.1/32", "probe_allow_ports": TEST_PORT_RANGE}
PROBE_LOOPBACK_ENV = {f"MAILSETUP_{k.upper()}": v for k, v in PROBE_LOOPBACK.items()}


def listen_in_test_range() -> socket.socket:
    """A TCP socket listening on 127.0.0.1 at a free port in :data:`TEST_PORTS`."""
    for port in random.sample(TEST_PORTS, 200):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen(128)
        except OSError:
            sock.close()
            continue
        return sock
    raise RuntimeError(f"no free port in {TEST_PORT_RANGE}")


def free_tcp_port() -> int:
    """A port in :data:`TEST_PORTS` that is free on 127.0.0.1 now."""
    with listen_in_test_range() as sock:
        return int(sock.getsockname()[1])


def free_tcp_ports(names: Iterable[str]) -> dict[str, int]:
    """A free port for each name, all different: each is held until all are chosen."""
    with contextlib.ExitStack() as held:
        return {
            name: int(held.enter_context(listen_in_test_range()).getsockname()[1]) for name in names
        }


def free_udp_port() -> int:
    """A port in :data:`TEST_PORTS` free on 127.0.0.1 for both UDP and TCP now (a
    nameserver takes both). Outside the kernel's ephemeral range (32768–60999 here), so
    no outgoing connection of another test takes it meanwhile as its local port."""
    for port in random.sample(TEST_PORTS, 200):
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
        ):
            try:
                udp.bind(("127.0.0.1", port))
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no port free for UDP and TCP in {TEST_PORT_RANGE}")


@contextlib.contextmanager
def serve_app(
    env: Mapping[str, str],
    log: Path,
    *,
    log_level: str = "warning",
    timeout: float = 30.0,
    command: Sequence[str] = (sys.executable, "-m", "app"),
    cwd: Path | None = None,
) -> Iterator[str]:
    """``<command> serve`` (``python -m app`` by default) on a free port, in ``cwd``,
    output to ``log``; yields its base URL once ``/healthz`` answers, and stops the
    process afterwards."""
    port = free_tcp_port()
    url = f"http://127.0.0.1:{port}"
    argv = [*command, "serve", "--port", str(port), "--log-level", log_level]
    with (
        log.open("wb") as out,
        subprocess.Popen(
            argv, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        ) as proc,
    ):
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    httpx.get(f"{url}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
                    assert time.monotonic() < deadline, (
                        f"the app did not start in {timeout:g} s:\n"
                        + log.read_text(errors="replace")[-2000:]
                    )
                    time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
