"""The command line: lookup, export, and serve as a real process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings


@pytest.fixture(autouse=True)
def local_only(nameserver: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads settings from the environment: point DNS and ISPDB at this machine."""
    monkeypatch.setenv("MAILSETUP_DNS_SERVERS", nameserver)
    monkeypatch.setenv("MAILSETUP_ISPDB_URL", "http://127.0.0.1:9/v1.1/")
    monkeypatch.setenv("MAILSETUP_DISCOVERY_DEADLINE", "3")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_lookup_prints_settings() -> None:
    result = CliRunner().invoke(cli, ["lookup", "someone@qq.com"])
    assert result.exit_code == 0, result.output
    assert "imap.qq.com:993 tls" in result.output
    assert "user someone@qq.com" in result.output
    assert "step 1:" in result.output


def test_lookup_json_and_errors() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["lookup", "QQ.com.", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["provider"] == "qq.com"
    unknown = runner.invoke(cli, ["lookup", "x@nowhere.test"])
    assert unknown.exit_code == 1
    assert "no settings found for nowhere.test" in unknown.output
    assert "finding: domain-not-found" in unknown.output
    assert "trace fail mx" in unknown.output
    invalid = runner.invoke(cli, ["lookup", "a b@qq.com"])
    assert invalid.exit_code == 1
    assert "not a valid email address" in invalid.output


def test_lookup_discovers_and_prints_the_trace() -> None:
    result = CliRunner().invoke(cli, ["lookup", "me@srvonly.test"])
    assert result.exit_code == 0, result.output
    assert "source: srv" in result.output
    assert "imap  mail.srvonly.test:993 tls" in result.output
    assert "trace ok   srv" in result.output


def test_export_is_json_of_every_provider() -> None:
    result = CliRunner().invoke(cli, ["export"])
    assert result.exit_code == 0
    records = json.loads(result.output)
    assert "qq.com" in [r["id"] for r in records]
    assert all("sources" in r and "last_verified" in r for r in records)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_the_service() -> None:
    """`python -m app serve` answers over real HTTP, then stops on SIGTERM."""
    port = _free_port()
    env = {**os.environ, "MAILSETUP_PUBLIC_URL": "http://127.0.0.1"}
    with subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as proc:
        try:
            _check_service(proc, port)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _check_service(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/api/v1/lookup?email=a@qq.com", timeout=2)
            break
        except httpx.TransportError:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the service did not start in 20 s"
            time.sleep(0.1)
    assert r.status_code == 200
    assert r.json()["endpoints"][0]["host"] == "imap.qq.com"
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json() == {"status": "ok"}
