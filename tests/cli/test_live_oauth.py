"""``mailsetup test --oauth-token-stdin``: the token from standard input, never argv;
against Dovecot with its oauth2 passdb; never printed or logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings
from tests.leaks import assert_no_token
from tests.oauthservers import TOKEN_FOR, UNKNOWN_TOKEN, DovecotOAuth
from tests.realservers import PROBE_LOOPBACK_ENV
from tests.servers import Certificates

ALICE = "alice@mail.test"


@pytest.fixture(autouse=True)
def local_servers(
    nameserver: str, certs: Certificates, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("MAILSETUP_DNS_SERVERS", nameserver)
    monkeypatch.setenv("MAILSETUP_ISPDB_URL", "http://127.0.0.1:9/v1.1/")
    for name, value in PROBE_LOOPBACK_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAILSETUP_PROBE_CA_FILE", str(certs.ca_file))
    monkeypatch.setenv("MAILSETUP_PROBE_DEADLINE", "10")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _args(dovecot: DovecotOAuth) -> list[str]:
    return [
        "test", ALICE, "--oauth-token-stdin", "--json",
        "--server", f"imap:mail.test:{dovecot['imaps']}:tls",
        "--server", f"pop3:mail.test:{dovecot['pop3s']}:tls",
        "--server", f"smtp:mail.test:{dovecot['submission']}:starttls",
    ]  # fmt: skip


def test_a_token_from_stdin(dovecot_oauth: DovecotOAuth, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    outputs = []
    for token, exit_code in ((TOKEN_FOR[ALICE], 0), (UNKNOWN_TOKEN, 1)):
        result = CliRunner().invoke(cli, _args(dovecot_oauth), input=token + " \n")
        assert result.exit_code == exit_code, result.output
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert {r["auth"]["mechanism"] for r in report["results"]} == {"xoauth2"}
        outputs.append((token, result.output))
    assert "oauth-token-invalid" in outputs[1][1]
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for token, output in outputs:
        assert_no_token(output + logs, ALICE, token)


@pytest.mark.parametrize(("token", "says"), [("", "no access token"), ("Bearer x", "RFC 6750")])
def test_an_unusable_token_exits_two(token: str, says: str) -> None:
    result = CliRunner().invoke(
        cli, ["test", ALICE, "--oauth-token-stdin", "--server", "imap:mail.test:1:tls"], input=token
    )
    assert result.exit_code == 2
    assert says in result.output
