"""Session limits and defences, against scripted servers (behaviour real servers won't show)."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import pytest

from app.models import Protocol, Security, ServerEndpoint
from app.probe import AuthStatus, Code, Mechanism, ProbeResult, probe
from app.probe.recorder import WITHHELD
from app.probe.report import Direction, NotAttempted
from app.probe.session import MAX_LINE, MAX_RESPONSE
from app.settings import Settings
from tests.servers import Certificates, server_context, unavailable

from .conftest import FakeResolver, make_settings
from .fakes import Peer, scripted_server

PASSWORD = "s3cret pw"


def endpoint(protocol: Protocol, port: int, security: Security = Security.NONE) -> ServerEndpoint:
    return ServerEndpoint(protocol=protocol, host="mail.test", port=port, security=security)


async def run(ep: ServerEndpoint, settings: Settings, **kwargs: Any) -> ProbeResult:
    resolver = FakeResolver({"mail.test": ["127.0.0.1"]})
    return await probe(ep, "u@mail.test", PASSWORD, settings=settings, resolver=resolver, **kwargs)


class TestStarttlsInjection:
    """Bytes the server sends after its STARTTLS go-ahead and before the handshake are
    discarded and counted; the answers that count come through TLS (RFC 3207 section 4.2)."""

    async def test_smtp(self, certs: Certificates, probe_settings: Settings) -> None:
        injected = b"250-mail.test\r\n250-SIZE 1\r\n250 AUTH LOGIN\r\n"
        plain_payload = base64.b64encode(f"\0u@mail.test\0{PASSWORD}".encode())

        async def script(peer: Peer) -> None:
            await peer.send(b"220 mail.test ESMTP\r\n")
            await peer.expect(b"EHLO", b"250-mail.test\r\n250 STARTTLS\r\n")
            await peer.expect(b"STARTTLS", b"220 go ahead\r\n" + injected)
            await peer.start_tls(server_context(certs))
            await peer.expect(b"EHLO", b"250-mail.test\r\n250-SIZE 1000\r\n250 AUTH PLAIN\r\n")
            ok = await peer.line() == b"AUTH PLAIN " + plain_payload
            await peer.send(b"235 ok\r\n" if ok else b"535 no\r\n")
            await peer.expect(b"QUIT", b"221 bye\r\n")

        async with scripted_server(script) as server:
            result = await run(
                endpoint(Protocol.SMTP, server.port, Security.STARTTLS), probe_settings
            )
        assert result.starttls_discarded_bytes == len(injected)
        notes = [e.line for e in result.transcript if e.direction is Direction.NOTE]
        assert any(f"discarded {len(injected)} bytes" in n for n in notes)
        assert result.smtp is not None
        assert result.smtp.size == 1000
        assert result.auth.status is AuthStatus.OK
        assert result.ok  # a warning does not fail the test
        assert [(f.code, f.severity) for f in result.findings] == [
            (Code.STARTTLS_INJECTION, "warning")
        ]

    async def test_pop3(self, certs: Certificates, probe_settings: Settings) -> None:
        async def script(peer: Peer) -> None:
            await peer.send(b"+OK ready\r\n")
            await peer.expect(b"CAPA", b"+OK\r\nSTLS\r\nUSER\r\n.\r\n")
            await peer.expect(b"STLS", b"+OK go\r\n+OK\r\nUSER\r\n.\r\n")
            await peer.start_tls(server_context(certs))
            await peer.expect(b"CAPA", b"+OK\r\nUSER\r\n.\r\n")
            await peer.expect(b"USER", b"+OK\r\n")
            await peer.expect(b"PASS", b"-ERR [AUTH] nope\r\n")
            await peer.expect(b"QUIT", b"+OK bye\r\n")

        async with scripted_server(script) as server:
            result = await run(
                endpoint(Protocol.POP3, server.port, Security.STARTTLS), probe_settings
            )
        assert result.starttls_discarded_bytes == len(b"+OK\r\nUSER\r\n.\r\n")
        assert result.error is None
        assert result.auth.status is AuthStatus.FAILED
        assert result.auth.detail == "[AUTH] nope"
        assert [f.code for f in result.findings] == [Code.AUTH_FAILED, Code.STARTTLS_INJECTION]


class TestCaps:
    async def test_overlong_line(self, probe_settings: Settings) -> None:
        async def script(peer: Peer) -> None:
            await peer.send(b"+OK " + b"x" * MAX_LINE + b"\r\n")
            await peer.reader.read()

        async with scripted_server(script) as server:
            result = await run(endpoint(Protocol.POP3, server.port), probe_settings)
        assert result.error is not None
        assert result.error.type == "ProtocolViolation"
        assert f"longer than {MAX_LINE} bytes" in result.error.message
        assert [(s.name, s.ok) for s in result.steps] == [("connect", True), ("greeting", False)]
        assert [f.code for f in result.findings] == [Code.SERVER_OVERSIZED]

    async def test_oversized_multiline_response(self, probe_settings: Settings) -> None:
        body = b"".join(b"X-CAP-%06d\r\n" % n for n in range(MAX_RESPONSE // 10))

        async def script(peer: Peer) -> None:
            await peer.send(b"+OK ready\r\n")
            await peer.expect(b"CAPA", b"+OK\r\n" + body + b".\r\n")
            await peer.reader.read()

        async with scripted_server(script) as server:
            result = await run(endpoint(Protocol.POP3, server.port), probe_settings)
        assert result.error is not None
        assert result.error.type == "ProtocolViolation"
        assert f"larger than {MAX_RESPONSE} bytes" in result.error.message
        assert [f.code for f in result.findings] == [
            Code.SERVER_OVERSIZED,
            Code.CONNECTION_UNENCRYPTED,
        ]

    async def test_silent_server_hits_the_step_limit(self, probe_settings: Settings) -> None:
        async def script(peer: Peer) -> None:
            await peer.reader.read()

        started = time.monotonic()
        async with scripted_server(script) as server:
            result = await run(
                endpoint(Protocol.IMAP, server.port), probe_settings, step_timeout=0.2
            )
        assert time.monotonic() - started < 2
        assert result.error is not None
        assert result.error.type == "ProbeTimeout"
        assert "greeting: no answer within its 0.2 s limit" in result.error.message
        assert [f.code for f in result.findings] == [Code.SERVER_SILENT]

    async def test_slow_server_hits_the_probe_deadline(self, certs: Certificates) -> None:
        settings = make_settings(certs.ca_file, probe_deadline=0.6)

        async def script(peer: Peer) -> None:  # each answer in time, the whole too slow
            await peer.send(b"+OK slow\r\n")
            while True:
                command = await peer.line()
                await asyncio.sleep(0.25)
                await peer.send(b"-ERR\r\n" if command == b"CAPA" else b"+OK\r\n")

        started = time.monotonic()
        async with scripted_server(script) as server:
            ep = endpoint(Protocol.POP3, server.port)
            result = await run(ep, settings, step_timeout=0.5, allow_plaintext_auth=True)
        assert time.monotonic() - started < 2
        assert result.error is not None
        assert result.error.type == "ProbeTimeout"
        assert "within the probe deadline" in result.error.message
        assert [f.code for f in result.findings] == [
            Code.SERVER_SLOW,
            Code.CONNECTION_UNENCRYPTED,
        ]  # it did answer, slowly


class TestSecretsStayHidden:
    async def test_server_echoing_the_password_is_withheld(self, probe_settings: Settings) -> None:
        async def script(peer: Peer) -> None:
            await peer.send(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
            login = await peer.line()
            tag = login.split()[0]
            await peer.send(tag + b' NO [AUTHENTICATIONFAILED] bad password "s3cret pw"\r\n')
            await peer.expect(b"A2 LOGOUT", b"* BYE\r\na2 OK bye\r\n")

        async with scripted_server(script) as server:
            result = await run(
                endpoint(Protocol.IMAP, server.port), probe_settings, allow_plaintext_auth=True
            )
        assert result.auth.status is AuthStatus.FAILED
        assert PASSWORD not in result.model_dump_json()
        assert result.auth.detail == WITHHELD  # the whole line, not just the echo
        assert [f.code for f in result.findings] == [Code.AUTH_FAILED, Code.CONNECTION_UNENCRYPTED]
        assert result.findings[0].detail == WITHHELD  # withheld there too

    async def test_no_starttls_means_no_password(self, probe_settings: Settings) -> None:
        async def script(peer: Peer) -> None:
            await peer.send(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no TLS here\r\n")
            await peer.reader.read()

        async with scripted_server(script) as server:
            ep = endpoint(Protocol.IMAP, server.port, Security.STARTTLS)
            result = await run(ep, probe_settings)
        assert result.error is not None
        assert result.error.type == "ProbeTLSError"
        assert "does not advertise STARTTLS" in result.error.message
        assert server.received == []  # nothing at all was sent, let alone a password
        assert [f.code for f in result.findings] == [Code.STARTTLS_NOT_OFFERED]

    async def test_endless_sasl_challenges_are_cancelled(self, probe_settings: Settings) -> None:
        async def script(peer: Peer) -> None:
            await peer.send(b"220 hi\r\n")
            await peer.expect(b"EHLO", b"250-hi\r\n250 AUTH LOGIN\r\n")
            for _ in range(3):
                await peer.line()
                await peer.send(b"334 VXNlcm5hbWU6\r\n")
            await peer.expect(b"*", b"501 cancelled\r\n")
            await peer.reader.read()

        async with scripted_server(script) as server:
            result = await run(
                endpoint(Protocol.SMTP, server.port), probe_settings, allow_plaintext_auth=True
            )
        assert result.error is not None
        assert result.error.type == "ProtocolViolation"
        assert server.received[-1] == b"*"
        assert [f.code for f in result.findings] == [
            Code.PROTOCOL_VIOLATION,
            Code.CONNECTION_UNENCRYPTED,
        ]


async def test_server_literal_in_a_response(probe_settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"* OK [CAPABILITY IMAP4rev1 ID AUTH=PLAIN SASL-IR] hi\r\n")
        await peer.expect(b"A1 AUTHENTICATE PLAIN ", b"a1 OK [CAPABILITY IMAP4rev1 ID] in\r\n")
        await peer.expect(b"A2 ID", b'* ID ("name" {7}\r\nDovecot)\r\na2 OK done\r\n')
        await peer.expect(b"A3 EXAMINE INBOX", b"* 3 EXISTS\r\na3 NO [UNAVAILABLE] later\r\n")
        await peer.expect(b"A4 LOGOUT", b"* BYE\r\na4 OK bye\r\n")

    async with scripted_server(script) as server:
        result = await run(
            endpoint(Protocol.IMAP, server.port), probe_settings, allow_plaintext_auth=True
        )
    assert result.auth.status is AuthStatus.OK
    steps = {s.name: s for s in result.steps}
    assert steps["id"].detail == 'ID ("name" {7}\r\nDovecot)'
    assert not steps["examine"].ok
    assert "later" in steps["examine"].detail
    assert not result.ok  # a failed step fails the probe even though login worked
    assert [(f.code, f.detail) for f in result.findings] == [
        (Code.MAILBOX_UNAVAILABLE, steps["examine"].detail),
        (Code.CONNECTION_UNENCRYPTED, ""),
    ]
    assert "examine" in result.findings[0].message


async def test_refused_greeting(probe_settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"554 5.7.1 no service for you\r\n")
        await peer.reader.read()

    async with scripted_server(script) as server:
        result = await run(endpoint(Protocol.SMTP, server.port), probe_settings)
    assert result.error is not None
    assert result.error.type == "ProbeConnectError"
    assert "554 5.7.1 no service for you" in result.error.message
    assert result.error.reply == "554 5.7.1 no service for you"
    assert [f.code for f in result.findings] == [Code.SERVER_REFUSED_SESSION]
    assert result.findings[0].message.endswith(": “554 5.7.1 no service for you”")


async def test_refused_starttls_is_quoted(probe_settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"* OK ready\r\n")
        await peer.expect(b"A1 CAPABILITY", b"* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK\r\n")
        await peer.expect(b"A2 STARTTLS", b"a2 NO [UNAVAILABLE] TLS is down for now\r\n")
        await peer.reader.read()

    async with scripted_server(script) as server:
        ep = endpoint(Protocol.IMAP, server.port, Security.STARTTLS)
        result = await run(ep, probe_settings)
    assert [f.code for f in result.findings] == [Code.STARTTLS_REFUSED]
    (finding,) = result.findings
    assert finding.message.endswith("(STARTTLS): “NO TLS is down for now”")


async def test_helo_fallback(probe_settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"220 old\r\n")
        await peer.expect(b"EHLO", b"502 what\r\n")
        await peer.expect(b"HELO [127.0.0.1]", b"250 old\r\n")
        await peer.expect(b"QUIT", b"221 bye\r\n")

    async with scripted_server(script) as server:
        result = await run(endpoint(Protocol.SMTP, server.port), probe_settings)
    assert result.error is None
    assert result.auth.status is AuthStatus.NOT_ATTEMPTED
    assert "no AUTH" in result.auth.detail
    assert {s.name: s.detail for s in result.steps}["ehlo"] == "no EHLO; HELO accepted"
    assert [f.code for f in result.findings] == [Code.AUTH_NOT_OFFERED, Code.CONNECTION_UNENCRYPTED]


@pytest.mark.parametrize(
    ("protocol", "mechanism"),
    [(Protocol.IMAP, Mechanism.APOP), (Protocol.SMTP, Mechanism.COMMAND)],
)
async def test_mechanism_the_protocol_lacks(
    protocol: Protocol, mechanism: Mechanism, probe_settings: Settings
) -> None:
    with pytest.raises(ValueError, match="has no"):
        await run(endpoint(protocol, 993), probe_settings, mechanism=mechanism)


def test_missing_server_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and dovecot is missing"):
        unavailable("dovecot is missing")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="dovecot is missing"):
        unavailable("dovecot is missing")


async def test_each_step_is_reported_as_it_ends(probe_settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"220 hi\r\n")
        await peer.expect(b"EHLO", b"250 hi\r\n")
        await peer.expect(b"QUIT", b"221 bye\r\n")

    seen: list[str] = []
    async with scripted_server(script) as server:
        result = await run(
            endpoint(Protocol.SMTP, server.port),
            probe_settings,
            on_step=lambda step: seen.append(step.name),
        )
    assert seen == [s.name for s in result.steps] == ["connect", "greeting", "ehlo", "quit"]


async def test_a_preauth_greeting_is_explained(probe_settings: Settings) -> None:
    # Behaviour no public server shows: an IMAP session logged in before any password.
    async def script(peer: Peer) -> None:
        await peer.send(b"* PREAUTH [CAPABILITY IMAP4rev1] welcome back\r\n")
        await peer.expect(b"A1 LOGOUT", b"* BYE\r\na1 OK\r\n")

    async with scripted_server(script) as server:
        result = await run(endpoint(Protocol.IMAP, server.port), probe_settings)
    assert result.auth.not_attempted is NotAttempted.PREAUTH
    assert [f.code for f in result.findings] == [Code.AUTH_PREAUTH, Code.CONNECTION_UNENCRYPTED]
