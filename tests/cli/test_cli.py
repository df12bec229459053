"""The command line: lookup, export, and serve as a real process."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.paths import DATA_DIR
from app.settings import get_settings
from tests.realservers import serve_app


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


def test_lookup_names_an_issued_login_name() -> None:
    with (DATA_DIR / "providers" / "docomo.ne.jp.toml").open("rb") as fp:
        text = tomllib.load(fp)["issued_username"]["en"]
    result = CliRunner().invoke(cli, ["lookup", "taro@docomo.ne.jp"])
    assert result.exit_code == 0, result.output
    assert f"user (issued) {text}  auth" in result.output
    assert "user taro@docomo.ne.jp" not in result.output


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


def test_serve_starts_the_service(tmp_path: Path) -> None:
    """`python -m app serve` answers over real HTTP, then stops on SIGTERM."""
    env = {**os.environ, "MAILSETUP_PUBLIC_URL": "http://127.0.0.1"}
    with serve_app(env, tmp_path / "serve.log") as url:
        r = httpx.get(f"{url}/api/v1/lookup?email=a@qq.com", timeout=5)
        assert r.status_code == 200
        assert r.json()["endpoints"][0]["host"] == "imap.qq.com"
        assert httpx.get(f"{url}/healthz", timeout=2).json() == {"status": "ok"}


def test_a_server_listed_twice_or_more_than_eight_are_refused() -> None:
    """As through the API: each server once, at most eight; nothing is read or sent."""
    runner = CliRunner()
    twice = ["test", "a@qq.com", "--server", "imap:imap.qq.com:993:tls"]
    twice += ["--server", "IMAP:IMAP.QQ.COM.:993:TLS"]
    result = runner.invoke(cli, twice, input="x\n")
    assert result.exit_code == 2
    assert "imap:imap.qq.com:993:tls is listed twice" in result.output
    many = ["test", "a@qq.com", *(f"--server=imap:imap{n}.qq.com:993:tls" for n in range(9))]
    result = runner.invoke(cli, many, input="x\n")
    assert result.exit_code == 2
    assert "at most 8" in result.output
