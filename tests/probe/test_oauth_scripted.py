"""Providers' own refusals of an OAuth2 token, which no server here can produce:
Microsoft's (no challenge, then a bare failure; 535 5.7.139 for SMTP AUTH switched off)
and Google's (a JSON challenge, then the failure). Each script checks what the tester
sent, byte for byte where the mechanism fixes it, and every result is searched for
every form of the token."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from app.models import Protocol, Security, ServerEndpoint
from app.probe import Code, ProbeResult, probe
from app.probe.credential import CredentialKind
from app.probe.report import AuthStatus, Mechanism
from app.settings import Settings
from tests.leaks import assert_no_token
from tests.servers import Certificates

from .conftest import FakeResolver, make_settings
from .fakes import Peer, scripted_server

USER = "alice@contoso.test"
# Microsoft's access tokens are JWTs of 1,500 characters and more: too long for a POP3
# (255) or SMTP (512) command line, so they go after the server's empty challenge.
LONG_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" * 48
SHORT_TOKEN = "ya29.a0AfB_byC" + "x7Qk2pL9mN3vR8sT1uW4yZ6" * 8  # Google's are about 200


def b64(data: bytes | str) -> bytes:
    return base64.b64encode(data.encode() if isinstance(data, str) else data)


def xoauth2(token: str) -> bytes:
    return b64(f"user={USER}\x01auth=Bearer {token}\x01\x01")


def challenge(**fields: str) -> bytes:
    return b64(json.dumps(fields, separators=(",", ":")))


@pytest.fixture
def settings(certs: Certificates) -> Settings:
    return make_settings(certs.ca_file, probe_deadline=5.0)


async def run(
    script: Any, protocol: Protocol, host: str, token: str, settings: Settings
) -> ProbeResult:
    async with scripted_server(script) as server:
        ep = ServerEndpoint(protocol=protocol, host=host, port=server.port, security=Security.NONE)
        result = await probe(
            ep,
            USER,
            token,
            credential=CredentialKind.OAUTH2,
            settings=settings,
            resolver=FakeResolver({host: ["127.0.0.1"]}),
            allow_plaintext_auth=True,  # the scripts speak plain text; TLS is tested elsewhere
        )
    assert_no_token(result.model_dump_json(), USER, token)
    return result


def codes(result: ProbeResult) -> list[Code]:
    return [f.code for f in result.findings]


# --- Microsoft (learn.microsoft.com: "Authenticate an IMAP, POP or SMTP connection
# using OAuth"): XOAUTH2 only, no challenge, the failure at once.


def microsoft_imap(peer: Peer) -> Any:
    async def script(peer: Peer) -> None:
        await peer.send(b"* OK The Microsoft Exchange IMAP4 service is ready.\r\n")
        await peer.expect(
            b"A1 CAPABILITY",
            b"* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT "
            b"CHILDREN IDLE NAMESPACE LITERAL+\r\na1 OK CAPABILITY completed.\r\n",
        )
        sent = await peer.expect(b"A2 AUTHENTICATE XOAUTH2 ", b"a2 NO AUTHENTICATE failed.\r\n")
        assert sent.split()[-1] == xoauth2(LONG_TOKEN)  # SASL-IR: in the command itself
        await peer.expect(
            b"A3 LOGOUT",
            b"* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n"
            b"a3 OK LOGOUT completed.\r\n",
        )

    return script(peer)


def microsoft_pop3(peer: Peer) -> Any:
    async def script(peer: Peer) -> None:
        await peer.send(b"+OK The Microsoft Exchange POP3 service is ready.\r\n")
        await peer.expect(b"CAPA", b"+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nUSER\r\n.\r\n")
        await peer.expect(b"AUTH XOAUTH2", b"+ \r\n")
        assert peer.received[-1] == b"AUTH XOAUTH2"  # too long for the command line
        await peer.expect(
            b"", b"-ERR Authentication failure: unknown user name or bad password.\r\n"
        )
        assert peer.received[-1] == xoauth2(LONG_TOKEN)
        await peer.expect(b"QUIT", b"+OK Microsoft Exchange Server POP3 server signing off.\r\n")

    return script(peer)


def microsoft_smtp(final: bytes) -> Any:
    async def script(peer: Peer) -> None:
        await peer.send(
            b"220 MW4PR03CA0000.outlook.office365.com Microsoft ESMTP MAIL Service ready\r\n"
        )
        await peer.expect(
            b"EHLO",
            b"250-MW4PR03CA0000.outlook.office365.com Hello\r\n250-SIZE 157286400\r\n"
            b"250-PIPELINING\r\n250-AUTH LOGIN XOAUTH2\r\n250 SMTPUTF8\r\n",
        )
        await peer.expect(b"AUTH XOAUTH2", b"334 \r\n")
        assert peer.received[-1] == b"AUTH XOAUTH2"
        await peer.expect(b"", final)
        assert peer.received[-1] == xoauth2(LONG_TOKEN)
        await peer.expect(b"QUIT", b"221 2.0.0 Service closing transmission channel\r\n")

    return script


async def test_microsoft_imap_refusal_lists_the_causes(settings: Settings) -> None:
    result = await run(microsoft_imap, Protocol.IMAP, "outlook.office365.com", LONG_TOKEN, settings)
    assert result.auth.status is AuthStatus.FAILED
    assert result.auth.mechanism is Mechanism.XOAUTH2
    assert codes(result)[0] is Code.OAUTH_REFUSED_MICROSOFT
    fix = result.findings[0].fix
    assert "Let devices and apps use IMAP" in fix
    assert USER in fix


async def test_microsoft_pop3_gets_the_token_after_the_empty_challenge(settings: Settings) -> None:
    result = await run(microsoft_pop3, Protocol.POP3, "outlook.office365.com", LONG_TOKEN, settings)
    assert codes(result)[0] is Code.OAUTH_REFUSED_MICROSOFT
    assert result.auth.detail == "Authentication failure: unknown user name or bad password."


@pytest.mark.parametrize(
    ("final", "code"),
    [
        (
            b"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
            b"the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
            b"[MW4PR03CA0000.namprd03.prod.outlook.com 2026-12-06T08:00:00.000Z]\r\n",
            Code.SMTP_AUTH_OFF_TENANT,
        ),
        (
            b"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
            b"the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.\r\n",
            Code.SMTP_AUTH_OFF_MAILBOX,
        ),
        (b"535 5.7.3 Authentication unsuccessful [MW4PR03CA0000.outlook.com]\r\n",
         Code.OAUTH_REFUSED_MICROSOFT),
    ],
)  # fmt: skip
async def test_microsoft_smtp_refusals(final: bytes, code: Code, settings: Settings) -> None:
    result = await run(
        microsoft_smtp(final), Protocol.SMTP, "smtp.office365.com", LONG_TOKEN, settings
    )
    assert codes(result)[0] is code
    if code is Code.SMTP_AUTH_OFF_MAILBOX:
        assert f"Set-CASMailbox -Identity {USER}" in result.findings[0].fix


# --- Google (developers.google.com/workspace/gmail/imap/xoauth2-protocol): a base64
# JSON challenge, answered with an empty line, then the failure.


def google_imap(status: str) -> Any:
    async def script(peer: Peer) -> None:
        await peer.send(b"* OK Gimap ready for requests from 192.0.2.1 q1mb\r\n")
        await peer.expect(
            b"A1 CAPABILITY",
            b"* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 "
            b"XYZZY SASL-IR AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER\r\n"
            b"a1 OK Thats all she wrote! q1mb\r\n",
        )
        scope = challenge(status=status, schemes="Bearer", scope="https://mail.google.com/")
        await peer.expect(b"A2 AUTHENTICATE XOAUTH2 ", b"+ " + scope + b"\r\n")
        await peer.expect(b"", b"a2 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n")
        assert peer.received[-1] == b""  # the empty response XOAUTH2 asks for
        await peer.expect(
            b"A3 LOGOUT", b"* BYE LOGOUT Requested\r\na3 OK 73 good day (Success) q1mb\r\n"
        )

    return script


@pytest.mark.parametrize(
    ("status", "code"), [("400", Code.OAUTH_SCOPE_MISSING), ("401", Code.OAUTH_TOKEN_INVALID)]
)
async def test_google_challenge_says_why(status: str, code: Code, settings: Settings) -> None:
    result = await run(google_imap(status), Protocol.IMAP, "imap.gmail.com", SHORT_TOKEN, settings)
    assert codes(result)[0] is code
    assert json.loads(result.auth.challenge)["status"] == status
    notes = [t.line for t in result.transcript if t.direction.value == "*"]
    assert any('"scope":"https://mail.google.com/"' in n for n in notes)
    if code is Code.OAUTH_SCOPE_MISSING:
        assert "https://mail.google.com/" in result.findings[0].fix


async def test_google_smtp_initial_response_fits_the_line(settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"220 smtp.gmail.com ESMTP q1mb - gsmtp\r\n")
        await peer.expect(
            b"EHLO",
            b"250-smtp.gmail.com at your service, [192.0.2.1]\r\n250-SIZE 35882577\r\n"
            b"250-8BITMIME\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n"
            b"250 SMTPUTF8\r\n",
        )
        sent = await peer.expect(
            b"AUTH XOAUTH2 ", b"334 " + challenge(status="401", schemes="bearer") + b"\r\n"
        )
        assert sent.split()[-1] == xoauth2(SHORT_TOKEN)
        await peer.expect(
            b"",
            b"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
            b"535 5.7.8  https://support.google.com/mail/?p=BadCredentials q1mb - gsmtp\r\n",
        )
        await peer.expect(b"QUIT", b"221 2.0.0 closing connection q1mb - gsmtp\r\n")

    result = await run(script, Protocol.SMTP, "smtp.gmail.com", SHORT_TOKEN, settings)
    assert codes(result)[0] is Code.OAUTH_TOKEN_INVALID


# --- RFC 7628 itself: OAUTHBEARER, its %x01 after the challenge.


async def test_oauthbearer_when_it_is_the_only_one(settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=OAUTHBEARER] ready\r\n")
        sent = await peer.expect(
            b"A1 AUTHENTICATE OAUTHBEARER ",
            b"+ " + challenge(status="invalid_token") + b"\r\n",
        )
        payload = base64.b64decode(sent.split()[-1])
        host_port = f"host=mail.test\x01port={peer.writer.get_extra_info('sockname')[1]}"
        assert (
            payload == f"n,a={USER},\x01{host_port}\x01auth=Bearer {SHORT_TOKEN}\x01\x01".encode()
        )
        await peer.expect(b"AQ==", b"a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        await peer.expect(b"A2 LOGOUT", b"* BYE\r\na2 OK\r\n")

    result = await run(script, Protocol.IMAP, "mail.test", SHORT_TOKEN, settings)
    assert result.auth.mechanism is Mechanism.OAUTHBEARER
    assert codes(result)[0] is Code.OAUTH_TOKEN_INVALID


async def test_a_server_without_oauth_never_sees_the_token(settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=LOGIN] ready\r\n")
        await peer.expect(b"A1 LOGOUT", b"* BYE\r\na1 OK\r\n")

    result = await run(script, Protocol.IMAP, "mail.test", SHORT_TOKEN, settings)
    assert result.auth.status is AuthStatus.NOT_ATTEMPTED
    assert codes(result)[0] is Code.OAUTH_NOT_OFFERED


async def test_a_temporary_failure_is_not_the_token(settings: Settings) -> None:
    async def script(peer: Peer) -> None:
        await peer.send(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n")
        await peer.expect(
            b"A1 AUTHENTICATE XOAUTH2 ",
            b"a1 NO [UNAVAILABLE] Temporary authentication failure. [mail:2026-12-06]\r\n",
        )
        await peer.expect(b"A2 LOGOUT", b"* BYE\r\na2 OK\r\n")

    result = await run(script, Protocol.IMAP, "mail.test", SHORT_TOKEN, settings)
    assert codes(result)[0] is Code.AUTH_TEMPORARY, result.auth


async def test_a_second_challenge_is_cancelled(settings: Settings) -> None:
    """A server that challenges again after the error answer gets "*" (RFC 3501 6.2.2)."""

    async def script(peer: Peer) -> None:
        await peer.send(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n")
        await peer.expect(b"A1 AUTHENTICATE XOAUTH2 ", b"+ " + challenge(status="401") + b"\r\n")
        await peer.expect(b"", b"+ " + challenge(status="401") + b"\r\n")
        await peer.expect(b"*", b"a1 BAD Authentication aborted by client.\r\n")
        await peer.reader.read()

    result = await run(script, Protocol.IMAP, "mail.test", SHORT_TOKEN, settings)
    assert result.error is not None
    assert codes(result)[0] is Code.PROTOCOL_VIOLATION


async def test_a_challenge_that_repeats_the_token_is_withheld(settings: Settings) -> None:
    """A hostile server puts the token into its error challenge: the decoded challenge is
    withheld from the result and the transcript, like any line that repeats a secret."""

    async def script(peer: Peer) -> None:
        await peer.send(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n")
        echo = challenge(status="401", token=SHORT_TOKEN[20:60])
        await peer.expect(b"A1 AUTHENTICATE XOAUTH2 ", b"+ " + echo + b"\r\n")
        await peer.expect(b"", b"a1 NO [AUTHENTICATIONFAILED] " + SHORT_TOKEN.encode() + b"\r\n")
        await peer.expect(b"A2 LOGOUT", b"* BYE\r\na2 OK\r\n")

    result = await run(script, Protocol.IMAP, "mail.test", SHORT_TOKEN, settings)  # searches
    assert result.auth.challenge.startswith("[line withheld")
    assert result.auth.detail.startswith("[line withheld")
