"""Helpers shared by every test that runs a real server on loopback."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
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


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_app(
    env: Mapping[str, str], log: Path, *, log_level: str = "warning", timeout: float = 30.0
) -> Iterator[str]:
    """``python -m app serve`` on a free port, output to ``log``; yields its base URL
    once ``/healthz`` answers, and stops the process afterwards."""
    port = free_tcp_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", log_level]
    with (
        log.open("wb") as out,
        subprocess.Popen(command, env=dict(env), stdout=out, stderr=subprocess.STDOUT) as proc,
    ):
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    httpx.get(f"{url}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
                    assert time.monotonic() < deadline, f"the app did not start in {timeout:g} s"
                    time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
