"""Nothing a user types becomes a mail command: credentials with control characters
are refused by the API and the form (422, the field named, the value never echoed),
and, below them, the line session refuses any command line holding CR, LF or NUL.

The hostile account is tested against a scripted POP3/IMAP/SMTP server that answers
everything with success and records what it receives: with the old code a password
``secret\\r\\nDELE 1\\r\\nDELE 2`` reached it as three commands.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from app.errors import UnsafeCommand
from app.models import Protocol, Security, ServerEndpoint
from app.net.guard import Guard
from app.net.tls import tls_context
from app.paths import DATA_DIR
from app.probe import imap, pop3, probe, smtp
from app.probe.dialogue import Login, Observations
from app.probe.session import LineSession
from app.settings import Settings
from tests.hardening.forms import post_form
from tests.probe.conftest import make_settings
from tests.probe.fakes import Peer, Scripted, scripted_server
from tests.realservers import PROBE_LOOPBACK

INJECTED = "secret\r\nDELE 1\r\nDELE 2"
# Every C0 control and DEL: each would cut, split or smuggle into a command.
CONTROLS = [chr(c) for c in [*range(0x20), 0x7F]]


async def yes_to_everything(peer: Peer) -> None:
    """A POP3 server that says +OK to every line until QUIT (and so obeys DELE)."""
    await peer.send(b"+OK ready\r\n")
    while True:
        line = await peer.line()
        if line.upper() == b"CAPA":
            await peer.send(b"+OK\r\nUSER\r\n.\r\n")
        elif line.upper() == b"QUIT":
            await peer.send(b"+OK bye\r\n")
            return
        else:
            await peer.send(b"+OK\r\n")


@pytest.fixture
async def pop3_server() -> AsyncIterator[Scripted]:
    async with scripted_server(yes_to_everything) as server:
        yield server


@pytest.fixture
async def app(client_for) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient = await client_for(
        DATA_DIR, **PROBE_LOOPBACK, probe_deadline=5.0, rate_limits=False
    )
    return client


def pop3_spec(port: int) -> dict[str, object]:
    return {"protocol": "pop3", "host": "127.0.0.1", "port": port, "security": "none"}


def assert_refused(response: httpx.Response, field: str, value: str) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert [e["loc"][-1] for e in detail] == [field], detail
    assert "control characters" in detail[0]["msg"] or "Unicode" in detail[0]["msg"]
    assert value not in response.text
    assert json.dumps(value)[1:-1] not in response.text  # not even escaped
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("accept", ["application/json", "application/x-ndjson"])
async def test_a_password_with_crlf_never_reaches_the_server(
    app: httpx.AsyncClient, pop3_server: Scripted, accept: str
) -> None:
    body = {
        "email": "someone@mail.test",
        "password": INJECTED,
        "servers": [pop3_spec(pop3_server.port)],
    }
    r = await app.post("/api/v1/test", json=body, headers={"Accept": accept})
    assert_refused(r, "password", INJECTED)
    assert pop3_server.peers == []  # not even a connection


@pytest.mark.parametrize("field", ["email", "username", "password"])
async def test_every_control_character_in_every_field_is_refused(
    app: httpx.AsyncClient, pop3_server: Scripted, field: str
) -> None:
    for control in CONTROLS:
        body: dict[str, object] = {
            "email": "someone@mail.test",
            "password": "a-password",
            "username": "someone",
            "servers": [pop3_spec(pop3_server.port)],
        }
        value = f"{body[field]}{control}DELE 1"
        body[field] = value
        r = await app.post("/api/v1/test", json=body)
        assert_refused(r, field, value)
    assert pop3_server.peers == []


@pytest.mark.parametrize("field", ["email", "username", "password"])
async def test_a_lone_surrogate_is_a_422_not_a_500(
    app: httpx.AsyncClient, pop3_server: Scripted, field: str
) -> None:
    body = {
        "email": "someone@mail.test",
        "password": "a-password",
        "username": "someone",
        "servers": [pop3_spec(pop3_server.port)],
    }
    raw = json.dumps(body).replace(
        json.dumps(body[field]), json.dumps(body[field])[:-1] + '\\ud800"'
    )
    for accept in ("application/json", "application/x-ndjson"):
        r = await app.post(
            "/api/v1/test",
            content=raw,
            headers={"Content-Type": "application/json", "Accept": accept},
        )
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert [e["loc"][-1] for e in detail] == [field]
        assert detail[0]["type"] == "unicode_text"
    assert pop3_server.peers == []


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "The password contains a line break"),
        ("zh-Hans", "密码中有换行符"),
        ("zh-Hant", "密碼中有換行字元"),
    ],
)
async def test_the_form_says_which_field_in_the_visitors_language(
    app: httpx.AsyncClient, pop3_server: Scripted, lang: str, words: str
) -> None:
    form = {
        "email": "someone@mail.test",
        "password": INJECTED,
        "servers": f"pop3:127.0.0.1:{pop3_server.port}:none",
    }
    r = await post_form(app, form, path=f"/test?lang={lang}")
    assert r.status_code == 422
    assert words in r.text
    assert "DELE" not in r.text
    assert pop3_server.peers == []


async def test_the_form_does_not_show_a_bad_address_back(
    app: httpx.AsyncClient, pop3_server: Scripted
) -> None:
    form = {
        "email": "some\x1b[2Jone@mail.test",
        "password": "a-password",
        "servers": f"pop3:127.0.0.1:{pop3_server.port}:none",
    }
    r = await post_form(app, form)
    assert r.status_code == 422
    assert "The email address contains a line break" in r.text
    assert "[2J" not in r.text
    assert pop3_server.peers == []


# -- below the API: the tester and the line session refuse on their own -------------------


async def test_probe_refuses_credentials_with_controls(pop3_server: Scripted) -> None:
    endpoint = ServerEndpoint(
        protocol=Protocol.POP3, host="127.0.0.1", port=pop3_server.port, security=Security.NONE
    )
    settings = make_settings(None)
    for username, password in (("someone", INJECTED), ("some\r\none", "pw"), ("a", "b\0c")):
        with pytest.raises(ValueError, match="control character"):
            await probe(endpoint, username, password, settings=settings)
    assert pop3_server.peers == []


async def _session(port: int, settings: Settings) -> LineSession:
    loop_time = asyncio.get_running_loop().time()
    return LineSession(
        "127.0.0.1",
        port,
        guard=Guard.from_settings(settings),
        context=tls_context(None),
        deadline=loop_time + 5,
        secrets=("pw",),
    )


@pytest.mark.parametrize("line", ["NOOP\r\nDELE 1", "NOOP\nDELE 1", "NOOP\rDELE 1", "NO\0OP"])
async def test_the_session_refuses_a_command_line_with_cr_lf_or_nul(
    pop3_server: Scripted, line: str
) -> None:
    session = await _session(pop3_server.port, make_settings(None))
    try:
        async with session.step("connect"):
            await session.connect()
        async with session.step("greeting"):
            await session.read_line()
        with pytest.raises(UnsafeCommand):
            async with session.step("inject"):
                await session.send(line)
        async with session.step("quit"):
            await session.send("QUIT")
            await session.read_line()
    finally:
        await session.close()
    assert pop3_server.received == [b"QUIT"]
    assert all("DELE" not in entry.line for entry in session.transcript)


@pytest.mark.parametrize(
    ("protocol", "login"),
    [
        # USER/PASS, with the password and then the username carrying the injection
        (Protocol.POP3, Login("someone", INJECTED, allow_plaintext=True)),
        (Protocol.POP3, Login("someone\r\nDELE 1", "pw", allow_plaintext=True)),
        # IMAP LOGIN would put these in a literal; SASL PLAIN in its payload
        (Protocol.IMAP, Login("someone", "pw\r\na9 DELETE INBOX", allow_plaintext=True)),
        (Protocol.IMAP, Login("some\0one", "pw", allow_plaintext=True)),
        (Protocol.SMTP, Login("someone", "pw\0admin", allow_plaintext=True)),
    ],
)
async def test_the_dialogues_never_send_an_injected_credential(
    protocol: Protocol, login: Login
) -> None:
    """Straight to the dialogues, past the tester's own check: nothing of the
    credential's second half is ever written."""

    async def imap_server(peer: Peer) -> None:
        await peer.send(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
        while line := await peer.line():
            await peer.send(line.split(b" ")[0] + b" OK done\r\n")

    async def smtp_server(peer: Peer) -> None:
        await peer.send(b"220 ready\r\n")
        while line := await peer.line():
            reply = (
                b"250-hi\r\n250 AUTH PLAIN LOGIN\r\n" if line.startswith(b"EHLO") else b"250 ok\r\n"
            )
            await peer.send(reply)

    script = {Protocol.POP3: yes_to_everything, Protocol.IMAP: imap_server}.get(
        protocol, smtp_server
    )
    run = {Protocol.POP3: pop3.run, Protocol.IMAP: imap.run, Protocol.SMTP: smtp.run}[protocol]
    async with scripted_server(script) as server:
        session = await _session(server.port, make_settings(None))
        try:
            with pytest.raises((UnsafeCommand, ValueError)):
                await run(session, Security.NONE, login, Observations())
        finally:
            await session.close()
    sent = b"\n".join(server.received)
    assert b"DELE" not in sent
    assert b"DELETE" not in sent
    assert b"admin" not in sent
    assert b"\0" not in sent
