"""`mailsetup test`: the password from stdin, never argv; readable report or JSON; exit codes."""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.leaks import secret_forms_plain
from tests.servers import USERS, WRONG_PASSWORD, SmtpServers

ALICE = "alice@mail.test"
pytestmark = pytest.mark.usefixtures("local_servers")


def _args(dovecot: dict[str, int], smtpd: SmtpServers) -> list[str]:
    return [
        "test", ALICE,
        "--server", f"imap:mail.test:{dovecot['imaps']}:tls",
        "--server", f"pop3:mail.test:{dovecot['pop3']}:starttls",
        "--server", f"smtp:mail.test:{smtpd.starttls}:starttls",
    ]  # fmt: skip


def test_right_password_exits_zero(dovecot: dict[str, int], smtpd: SmtpServers) -> None:
    result = CliRunner().invoke(cli, _args(dovecot, smtpd), input=USERS[ALICE] + "\n")
    assert result.exit_code == 0, result.output
    assert "all servers work" in result.output
    assert result.output.count("OK   ") == 3


def test_wrong_password_exits_one_with_findings(
    dovecot: dict[str, int], smtpd: SmtpServers
) -> None:
    result = CliRunner().invoke(cli, [*_args(dovecot, smtpd), "--json"], input=WRONG_PASSWORD)
    assert result.exit_code == 1
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert [r["ok"] for r in report["results"]] == [False] * 3
    assert all(r["findings"] for r in report["results"])


def test_password_never_printed_or_logged(
    dovecot: dict[str, int], smtpd: SmtpServers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = "leaky@mail.test"
    args = [a.replace(ALICE, user) for a in _args(dovecot, smtpd)]
    for password in (USERS[user], USERS[user] + "x"):
        result = CliRunner().invoke(cli, [*args, "--json"], input=password)
        text = result.output + "\n".join(r.getMessage() for r in caplog.records)
        for form in secret_forms_plain(user, password):
            assert form not in text


def test_bad_server_spec_and_no_password() -> None:
    bad = CliRunner().invoke(cli, ["test", ALICE, "--server", "imap:mail.test:x:tls"], input="p")
    assert bad.exit_code == 2
    assert "port must be a number" in bad.output
    empty = CliRunner().invoke(cli, ["test", ALICE, "--server", "imap:mail.test:1:tls"], input="")
    assert empty.exit_code == 2
    assert "no password given" in empty.output


def test_credentials_with_control_characters_are_refused() -> None:
    spec = ["--server", "pop3:192.0.2.1:995:tls"]  # never reached: refused before
    tabbed = CliRunner().invoke(cli, ["test", ALICE, *spec], input="pass\tword\n")
    assert tabbed.exit_code == 2
    assert "the password must not contain control characters" in tabbed.output
    assert "pass" not in tabbed.output.replace("password", "")
    user = CliRunner().invoke(cli, ["test", ALICE, *spec, "--username", "a\rDELE 1"], input="pw\n")
    assert user.exit_code == 2
    assert "the username must not contain control characters" in user.output
    assert "DELE" not in user.output


def test_password_is_not_an_option() -> None:
    result = CliRunner().invoke(cli, ["test", ALICE, "--password", "secret"])
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_an_issued_user_name_must_be_given() -> None:
    """docomo logs in with an ID it issues: without --username the test stops before
    connecting, and says what to give."""
    result = CliRunner().invoke(cli, ["test", "taro@docomo.ne.jp"], input="secret-1\n")
    assert result.exit_code == 2
    assert "--username" in result.output
    assert "secret-1" not in result.output
