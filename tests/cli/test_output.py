"""Outside text reaches the terminal only with its control characters escaped.

A hostile server's greeting and replies (ESC sequences, an 8-bit CSI, BEL, CR,
a right-to-left override), provider data and file names: the readable output
shows them as ``\\x1b`` and the like, and ``--json`` as ``\\uXXXX``, on stdout
and stderr alike.
"""

from __future__ import annotations

import contextlib
import json
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

import app.cli
from app.cli import cli
from app.settings import get_settings
from tests.realservers import PROBE_LOOPBACK_ENV, free_tcp_port
from tests.sample_data import provider_toml

# OSC "set the window title", CSI "clear the screen", a C1 CSI (U+009B, sent as UTF-8),
# BEL, a lone CR, DEL, a right-to-left override and a line separator.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J \x9b31m x\ry \u202e \x7f \u2028"
VISIBLE = ("\\x1b]0;pwned\\x07\\x1b[2J", "\\x9b31m", "x\\ry", "\\u202e", "\\x7f", "\\u2028")
JSON_VISIBLE = (
    "\\u001b]0;pwned\\u0007\\u001b[2J",
    "\\u009b31m",
    "x\\ry",
    "\\u202e",
    "\\u007f",
    "\\u2028",
)
PASSWORD = "Xq7zv9k-not-sent"
RAW = frozenset(
    [chr(c) for c in range(0x20) if chr(c) != "\n"]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + [chr(c) for c in (0x2028, 0x2029, *range(0x202A, 0x202F))]
)


def raw_controls(text: str) -> list[str]:
    """The raw control, line-separator and bidi-override characters in ``text``."""
    return [c for c in text if c in RAW]


def assert_escaped(result: Result, visible: tuple[str, ...]) -> None:
    for where, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert raw_controls(text) == [], (where, text)
    for escape in visible:
        assert escape in result.output, (escape, result.output)


class HostileSmtp(socketserver.StreamRequestHandler):
    """An SMTP server whose greeting and every reply carry ``HOSTILE``."""

    def handle(self) -> None:
        self.wfile.write(f"220 mail.test {HOSTILE} hello\r\n".encode())
        for line in self.rfile:
            command = line.upper()
            if command.startswith(b"EHLO"):
                self.wfile.write(f"250-mail.test {HOSTILE}\r\n250 AUTH PLAIN\r\n".encode())
            elif command.startswith(b"QUIT"):
                self.wfile.write(f"221 bye {HOSTILE}\r\n".encode())
                return
            else:
                self.wfile.write(f"502 no {HOSTILE}\r\n".encode())


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False


@contextlib.contextmanager
def hostile_smtp() -> Iterator[int]:
    """``HostileSmtp`` on 127.0.0.1 in a thread (the CLI runs its own event loop)."""
    with Server(("127.0.0.1", free_tcp_port()), HostileSmtp) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(server.server_address[1])
        finally:
            server.shutdown()
            thread.join(5)


@pytest.fixture(autouse=True)
def local_only(nameserver: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MAILSETUP_DNS_SERVERS", nameserver)
    monkeypatch.setenv("MAILSETUP_ISPDB_URL", "http://127.0.0.1:9/v1.1/")
    monkeypatch.setenv("MAILSETUP_DISCOVERY_DEADLINE", "3")
    for name, value in PROBE_LOOPBACK_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAILSETUP_PROBE_DEADLINE", "10")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run_test(*options: str) -> Result:
    with hostile_smtp() as port:
        args = ["test", "someone@hostile.test", "--server", f"smtp:127.0.0.1:{port}:none"]
        return CliRunner().invoke(cli, [*args, *options], input=PASSWORD + "\n")


def test_readable_report_escapes_the_server_text() -> None:
    result = run_test()
    assert result.exit_code == 1, result.output  # the password is not sent in clear text
    assert "FAIL smtp 127.0.0.1:" in result.stdout
    assert_escaped(result, VISIBLE)
    assert f"S 220 mail.test {VISIBLE[0]}" in result.stdout  # the greeting, one line
    assert "greeting ok" in result.stderr  # the step lines went to stderr


def test_json_report_escapes_the_server_text_and_keeps_it() -> None:
    result = run_test("--json")
    assert result.exit_code == 1, result.output
    assert_escaped(result, JSON_VISIBLE)
    [server] = json.loads(result.stdout)["results"]
    lines = [t["line"] for t in server["transcript"] if t["direction"] == "S"]
    assert lines[0] == f"220 mail.test {HOSTILE} hello"
    assert f"250-mail.test {HOSTILE}" in lines
    assert lines[-1] == f"221 bye {HOSTILE}"


def hostile_data(data_dir_factory: Any) -> Path:
    name = "Evil \\u001b]0;pwned\\u0007\\u001b[2J \\u009b31m \\u202e \\u007f \\U000e0001 Mail"
    path: Path = data_dir_factory({"example.org.toml": provider_toml(name=name)})
    return path


def test_lookup_escapes_provider_text(data_dir_factory: Any) -> None:
    data = str(hostile_data(data_dir_factory))
    readable = CliRunner().invoke(cli, ["lookup", "someone@example.org", "--data-dir", data])
    assert readable.exit_code == 0, readable.output
    assert_escaped(readable, ("Evil \\x1b]0;pwned\\x07\\x1b[2J \\x9b31m \\u202e \\x7f",))
    as_json = CliRunner().invoke(
        cli, ["lookup", "someone@example.org", "--data-dir", data, "--json"]
    )
    assert as_json.exit_code == 0, as_json.output
    assert_escaped(as_json, ("\\u009b31m", "\\u202e", "\\u007f", "\\udb40\\udc01"))
    name = json.loads(as_json.stdout)["name"]["en"]
    assert name == "Evil \x1b]0;pwned\x07\x1b[2J \x9b31m \u202e \x7f \U000e0001 Mail"


def test_export_escapes_like_json(data_dir_factory: Any) -> None:
    result = CliRunner().invoke(cli, ["export", "--data-dir", str(hostile_data(data_dir_factory))])
    assert result.exit_code == 0, result.output
    assert_escaped(result, ("\\u009b31m", "\\u202e", "\\udb40\\udc01"))
    [record] = json.loads(result.stdout)
    assert record["name"]["en"].startswith("Evil \x1b]0;pwned\x07\x1b[2J \x9b31m \u202e")
    assert result.stdout.startswith("[\n {\n")  # still indented


def test_errors_on_stderr_are_escaped(data_dir_factory: Any) -> None:
    data = data_dir_factory({f"evil{HOSTILE}.toml": "not toml ["})
    result = CliRunner().invoke(cli, ["validate-data", "--data-dir", str(data)])
    assert result.exit_code == 1
    assert_escaped(result, VISIBLE)
    assert f"error: evil{VISIBLE[0]}" in result.stderr


def test_every_line_goes_through_the_escaping_helpers() -> None:
    """Only ``say`` and ``say_json`` write; a new direct print would skip the escaping."""
    package = Path(app.cli.__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in sorted(package.glob("*.py")))
    assert source.count("typer.echo(") == 2
    for writer in ("print(", "sys.stdout.write", "sys.stderr.write", "json.dump(", "secho("):
        assert writer not in source, writer
