"""No peer or user can forge a log record or put a terminal escape into the log.

A real service process at DEBUG, in each log format, tests an account on a scripted
IMAP server whose answer carries an IMAP literal with CRLF, a fake log record, ANSI
escapes, C1 controls and U+2028. Every line of the log must be a record of ours, and
no control character but the line ends may be in it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
from pathlib import Path

import httpx
import pytest

from app.logging_setup import JsonFormatter, SafeTextFormatter, safe_traceback
from app.untrusted import escape_controls
from tests.probe.fakes import Peer, scripted_server
from tests.realservers import PROBE_LOOPBACK_ENV, serve_app

FORGED_TEXT = "2026-01-01 00:00:00,000 CRITICAL app.forged [-] FORGED-RECORD"
FORGED_JSON = '{"time":"2026-01-01T00:00:00+00:00","level":"critical","message":"FORGED-RECORD"}'
NASTY = (
    f"\r\n{FORGED_TEXT}\r\n{FORGED_JSON}\n"
    "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x00nul\x7fdel\u009bc1\u2028ls\u202eevil\r"
)
# What may never be in a log file: C0 but LF, DEL, C1, line/paragraph separators, bidi.
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


async def literal_server(peer: Peer) -> None:
    """IMAP: a greeting without capabilities, then CAPABILITY (and anything else but
    LOGOUT) answered with a literal holding NASTY."""
    await peer.send(b"* OK hello\r\n")
    while line := await peer.line():
        tag = line.split(b" ")[0]
        if b"LOGOUT" in line.upper():
            await peer.send(b"* BYE\r\n" + tag + b" OK bye\r\n")
            return
        data = NASTY.encode()
        await peer.send(b"* BAD {%d}\r\n" % len(data) + data + b" tail\r\n")
        await peer.send(tag + b" NO " + NASTY.replace("\r", "").replace("\n", " ").encode())
        await peer.send(b"\r\n")


def check_log(text: str, log_format: str) -> None:
    lines = text.splitlines()
    assert lines, "the service logged nothing"
    assert not FORBIDDEN.search(text), FORBIDDEN.findall(text)
    assert "\r" not in text
    for line in lines:
        assert not line.startswith(FORGED_TEXT[:23]), line
        if log_format == "json":
            record = json.loads(line)  # every line is one of our JSON records
            assert record["level"] != "critical"
            assert record.get("message") != "FORGED-RECORD"
    # The server's text did reach the log, escaped: the test is not vacuous.
    assert "FORGED-RECORD" in text
    assert "\\x1b]0;pwned" in text or "\\\\x1b]0;pwned" in text


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_hostile_server_cannot_forge_log_lines(
    tmp_path: Path, nameserver: str, log_format: str
) -> None:
    async with scripted_server(literal_server) as server:
        env = {
            **os.environ,
            "MAILSETUP_LOG_FORMAT": log_format,
            "MAILSETUP_LOG_LEVEL": "debug",
            **PROBE_LOOPBACK_ENV,
            "MAILSETUP_DNS_SERVERS": nameserver,
            "MAILSETUP_ISPDB_URL": "http://127.0.0.1:9/v1.1/",
            "MAILSETUP_RATE_LIMITS": "off",
        }
        log = tmp_path / "service.log"
        with serve_app(env, log, log_level="debug") as url:
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                body = {
                    "email": "someone@mail.test",
                    "password": "a-password",
                    "servers": [
                        {
                            "protocol": "imap",
                            "host": "127.0.0.1",
                            "port": server.port,
                            "security": "none",
                        }
                    ],
                }
                r = await http.post("/api/v1/test", json=body)
                assert r.status_code == 200, r.text
                assert "FORGED-RECORD" in r.text  # the literal did arrive
                # A user's own text, too: an address with escapes, in a lookup.
                await http.get("/api/v1/lookup", params={"email": "x\x1b[2J@\u2028mail.test"})
            await asyncio.sleep(0.2)  # let the last lines reach the file
        check_log(log.read_text(encoding="utf-8"), log_format)


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    record = logging.LogRecord("app.test", logging.INFO, __file__, 1, message, args, exc_info)
    record.request_id = "-"
    return record


def _raised(message: str) -> BaseException:
    try:
        try:
            raise ValueError(message)
        except ValueError as inner:
            raise RuntimeError(f"outer {message}") from inner
    except RuntimeError as exc:
        return exc


@pytest.mark.parametrize("formatter", [SafeTextFormatter("%(message)s"), JsonFormatter()])
def test_formatters_escape_messages_arguments_and_exceptions(
    formatter: logging.Formatter,
) -> None:
    record = _record("peer said %s", NASTY, exc=_raised(NASTY))
    line = formatter.format(record)
    assert not FORBIDDEN.search(line)
    assert "\r" not in line
    assert not any(text.startswith(FORGED_TEXT[:23]) for text in line.splitlines())
    if isinstance(formatter, JsonFormatter):
        assert "\n" not in line
        decoded = json.loads(line)
        assert "\\r\\n" + FORGED_TEXT in decoded["message"]
        assert "outer" in decoded["exception"]
    else:
        assert line.startswith("peer said \\r\\n" + FORGED_TEXT)
        assert "Traceback (most recent call last):" in line  # the traceback keeps its shape
        assert "The above exception was the direct cause" in line


def test_safe_traceback_keeps_file_lines_and_escapes_messages() -> None:
    exc = _raised("one\r\ntwo")
    text = safe_traceback((type(exc), exc, exc.__traceback__))
    assert '  File "' in text
    assert "ValueError: one\\r\\ntwo" in text
    assert "RuntimeError: outer one\\r\\ntwo" in text
    assert sys.version_info >= (3, 11)


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        'quote " backslash \\ tab \t newline \n',
        "中文 \u2028 \u202e \x7f \x85",
        0,
        -7,
        0.1,
        1e300,
        float("nan"),
        float("inf"),
        True,
        None,
        ["a", 1],
        {"k": "v"},
        Path("/tmp/x"),
    ],
)
def test_a_json_line_is_what_the_json_encoder_writes(value: object) -> None:
    """The JSON line is written a value at a time: the text is exactly the encoder's,
    text values escaped first."""
    formatter = JsonFormatter()
    line = formatter.line(1.5, "INFO", "app.access", "m\u2028", "rid", {"field": value})
    expected = {
        "time": "1970-01-01T00:00:01.500000+00:00",
        "level": "info",
        "logger": "app.access",
        "message": escape_controls("m\u2028"),
        "request_id": "rid",
        "field": escape_controls(value) if isinstance(value, str) else value,
    }
    assert line == json.JSONEncoder(ensure_ascii=False, default=str).encode(expected)
