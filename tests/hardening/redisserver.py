"""A real redis-server on 127.0.0.1 for the tests of shared state, without persistence."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.realservers import free_tcp_port, unavailable


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def run_redis() -> Iterator[str]:
    """Start ``redis-server`` on a free loopback port; yield its ``redis://`` URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
    port = free_tcp_port()
    command = [
        binary,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--protected-mode", "yes",
        "--loglevel", "warning",
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        try:
            deadline = time.monotonic() + 10
            while not _answers_ping(port):
                if proc.poll() is not None:
                    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                    unavailable(f"redis-server exited: {output[-500:]}")
                if time.monotonic() > deadline:
                    unavailable("redis-server did not answer within 10 s")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
