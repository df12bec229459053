"""A server that repeats the password, or any piece of it 4 characters long, has that
whole line withheld, everywhere the line could show: the transcript, the step and
login details, the findings, the NDJSON stream and the debug log. Nothing is masked
inside server text, since a mask shows where the secret was ("try ******** later").

The servers are scripted (no real server echoes passwords): POP3 with STARTTLS and
the test certificate, through the real HTTP app.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable

import httpx
import pytest

from app.paths import DATA_DIR
from app.probe.recorder import WITHHELD
from tests.probe.fakes import Peer, scripted_server
from tests.realservers import PROBE_LOOPBACK
from tests.servers import Certificates, server_context

EchoFor = Callable[[str], bytes]


def pop3_echo(certs: Certificates, after_pass: EchoFor, password: str) -> Callable[[Peer], object]:
    """POP3 with STLS; the answer to PASS is ``after_pass(password)``; a harmless
    informational line comes back on CAPA (it must be shown as sent)."""

    async def script(peer: Peer) -> None:
        await peer.send(b"+OK POP3 ready\r\n")
        await peer.expect(b"CAPA", b"+OK\r\nSTLS\r\nUSER\r\n.\r\n")
        await peer.expect(b"STLS", b"+OK go ahead\r\n")
        await peer.start_tls(server_context(certs))
        await peer.expect(b"CAPA", b"+OK\r\nUSER\r\nIMPLEMENTATION Scripted-Echo\r\n.\r\n")
        await peer.expect(b"USER", b"+OK send PASS\r\n")
        await peer.expect(b"PASS", after_pass(password) + b"\r\n")
        await peer.expect(b"QUIT", b"+OK bye\r\n")

    return script


@pytest.fixture
async def app(client_for, certs: Certificates) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient = await client_for(
        DATA_DIR,
        **PROBE_LOOPBACK,
        probe_ca_file=certs.ca_file,
        probe_deadline=5.0,
        rate_limits=False,
    )
    return client


CASES = [
    # (password, what the server answers to PASS, a piece that must not be seen)
    ("abc", lambda p: b"-ERR wrong password abc, sorry", "abc, sorry"),  # short: whole
    ("again", lambda p: b"-ERR [IN-USE] try again later", "again later"),  # a common word
    (
        "correct-horse-battery-staple",
        lambda p: b"-ERR [AUTH] bad: horse-batt?",  # 10 characters of 28
        "horse-batt",
    ),
    ("correct-horse-battery-staple", lambda p: b"-ERR no such thing as staplers", "staplers"),
    ("s3cret pw", lambda p: b"-ERR " + base64.b64encode(p.encode()) + b" rejected", "rejected"),
    ("密码很长很长", lambda p: "-ERR 很长很长 no".encode(), "很长很长 no"),  # 4 characters
]


@pytest.mark.parametrize(("password", "answer", "piece"), CASES)
async def test_an_echoed_piece_withholds_the_whole_line(
    app: httpx.AsyncClient,
    certs: Certificates,
    caplog: pytest.LogCaptureFixture,
    password: str,
    answer: EchoFor,
    piece: str,
) -> None:
    caplog.set_level(logging.DEBUG, logger="app")
    async with scripted_server(pop3_echo(certs, answer, password)) as server:
        spec = {"protocol": "pop3", "host": "mail.test", "port": server.port}
        body = {
            "email": "someone@mail.test",
            "password": password,
            "servers": [{**spec, "security": "starttls"}],
        }
        report = await app.post("/api/v1/test", json=body)
        streamed = await app.post(
            "/api/v1/test", json=body, headers={"Accept": "application/x-ndjson"}
        )
    assert report.status_code == 200, report.text
    result = report.json()["results"][0]
    assert result["auth"]["status"] == "failed"
    assert result["auth"]["detail"] == WITHHELD
    server_lines = [t["line"] for t in result["transcript"] if t["direction"] == "S"]
    assert server_lines[-2] == WITHHELD  # the answer to PASS
    assert "+OK POP3 ready" in server_lines  # other lines are shown as sent
    assert "IMPLEMENTATION Scripted-Echo" in server_lines
    login = next(s for s in result["steps"] if s["name"] == "login")
    assert login["detail"] == WITHHELD
    # Nowhere: not in the report, not in the stream, not in any log record.
    for text in (report.text, streamed.text, caplog.text):
        assert piece not in text
        assert "********" + piece[len(piece) // 2 :] not in text
        assert password not in text
    step_events = [json.loads(line) for line in streamed.text.splitlines()]
    assert any(e.get("step", {}).get("detail") == WITHHELD for e in step_events)


async def test_text_without_a_piece_is_shown_whole(
    app: httpx.AsyncClient, certs: Certificates
) -> None:
    """3 characters in a row of the password are not a piece; and nothing is masked
    inside a line that is shown."""
    password = "wrong-horse"
    answer: EchoFor = lambda p: b"-ERR [AUTH] wro hor: authentication failed"  # noqa: E731
    async with scripted_server(pop3_echo(certs, answer, password)) as server:
        body = {
            "email": "someone@mail.test",
            "password": password,
            "servers": [
                {
                    "protocol": "pop3",
                    "host": "mail.test",
                    "port": server.port,
                    "security": "starttls",
                }
            ],
        }
        report = await app.post("/api/v1/test", json=body)
    result = report.json()["results"][0]
    assert result["auth"]["detail"] == "[AUTH] wro hor: authentication failed"
    assert [f["code"] for f in result["findings"]] == ["auth-failed"]
