"""``mailsetup test --oauth-token-stdin``: the token from standard input, never argv;
against Dovecot with its oauth2 passdb; never printed or logged."""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.leaks import assert_no_token
from tests.oauthservers import TOKEN_FOR, UNKNOWN_TOKEN, DovecotOAuth

ALICE = "alice@mail.test"
pytestmark = pytest.mark.usefixtures("local_servers")


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
