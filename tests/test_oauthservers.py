"""Smoke tests of the OAuth 2.0 test servers (tests/oauthservers.py): the introspection
endpoint, Dovecot's oauth2 passdb and the Gmail-like aiosmtpd, talked to with the standard
library only, so that a failure here points at the server setup rather than at the app."""

from __future__ import annotations

import base64
import contextlib
import http.client
import imaplib
import json
import os
import poplib
import smtplib
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.oauthservers import (
    DOVECOT_OAUTH_LISTENERS,
    DOVECOT_OAUTHBEARER_ERROR,
    DOVECOT_XOAUTH2_ERROR,
    GMAIL_OAUTHBEARER_ERROR,
    GMAIL_XOAUTH2_ERROR,
    OAUTH_TOKENS,
    TOKEN_FOR,
    UNKNOWN_TOKEN,
    DovecotOAuth,
    DownMode,
    IntrospectionServer,
    OAuthAttempt,
    OAuthSmtpServers,
    b64,
    descendants,
    error_challenge,
    oauthbearer,
    run_aiosmtpd_oauth,
    run_dovecot_oauth,
    run_introspection,
    running,
    xoauth2,
)
from tests.servers import USERS, Certificates, run_relay
from tests.test_testservers import IMAP, IMAPS, POP3, POP3S, SMTP, SMTPS

pytestmark = pytest.mark.realserver

HOST = "mail.test"  # the name on the certificates; everything is on loopback
TIMEOUT = 10.0
ALICE = "alice@mail.test"
ASCII = "ascii@mail.test"
ALICE_TOKEN = TOKEN_FOR[ALICE]
DOWN_MODES: list[DownMode] = ["refused", "hangup", "error"]
TEMPFAIL_IMAP = "[UNAVAILABLE] Temporary authentication failure."
TEMPFAIL_POP3 = b"-ERR [SYS/TEMP] Temporary authentication failure."
TEMPFAIL_SMTP = b"4.7.0 Temporary authentication failure."


@pytest.fixture(scope="module")
def tls(certs: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca_file))


@pytest.fixture
def pop3_clients() -> Iterator[list[poplib.POP3]]:
    """Collects POP3 clients and closes them after the test."""
    clients: list[poplib.POP3] = []
    yield clients
    for client in clients:
        client.close()


class Conversation:
    """The client side of one SASL exchange for imaplib.authenticate and smtplib.auth:
    the first call (no challenge, or the empty one) gets ``response``, every later one
    ``answer`` (an empty line by default); the challenges after the first are kept."""

    def __init__(self, response: bytes, answer: bytes = b"") -> None:
        self.response = response
        self.answer = answer
        self.calls = 0
        self.challenges: list[bytes] = []

    def __call__(self, challenge: bytes | None = None) -> bytes:
        self.calls += 1
        if self.calls == 1:
            assert not challenge
            return self.response
        assert challenge is not None
        self.challenges.append(challenge)
        return self.answer

    def smtp(self, challenge: bytes | None = None) -> str:
        """For smtplib, which wants str."""
        return self(challenge).decode("ascii")


def pop3_auth(pop: poplib.POP3, mechanism: str, response: bytes) -> bytes:
    """AUTH with an initial response; poplib reads a ``+ <challenge>`` line as success."""
    return pop._shortcmd(f"AUTH {mechanism} {b64(response)}")  # type: ignore[attr-defined,no-any-return]


def imap_sasl_ir(imap: imaplib.IMAP4, mechanism: str, response: bytes) -> tuple[str, bytes]:
    """AUTHENTICATE with an initial response (SASL-IR), for a response that succeeds or
    fails at once: after a challenge imaplib would wait for the tagged answer until it times out."""
    status, data = imap._simple_command("AUTHENTICATE", mechanism, b64(response))
    return str(status), data[-1]


def decoded(challenge: bytes) -> object:
    return json.loads(challenge)


# --- The introspection endpoint ---------------------------------------------------------


def introspect(
    server: IntrospectionServer, token: str, path: str = "/introspect"
) -> tuple[int, object]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        body = urllib.parse.urlencode({"token": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_introspection_answers_from_the_mapping() -> None:
    tokens = {"t-1": ALICE}
    with run_introspection(tokens) as server:
        assert server.url == f"http://127.0.0.1:{server.port}/introspect"
        assert introspect(server, "t-1") == (200, {"active": True, "username": ALICE})
        assert introspect(server, "t-2") == (200, {"active": False})
        tokens["t-2"] = ASCII
        del tokens["t-1"]
        assert introspect(server, "t-1") == (200, {"active": False})
        assert introspect(server, "t-2") == (200, {"active": True, "username": ASCII})
        assert introspect(server, "t-1", "/elsewhere") == (404, {"error": "not_found"})
        assert server.requests == ["t-1", "t-2", "t-1", "t-2", "t-1"]
        assert server.paths[-1] == "/elsewhere"
        assert server.count == 5
        server.clear()
        assert server.count == 0


def test_introspection_defaults_to_a_copy_of_the_tokens() -> None:
    with run_introspection() as server:
        assert server.tokens == OAUTH_TOKENS
        assert server.tokens is not OAUTH_TOKENS
        assert set(OAUTH_TOKENS.values()) == set(USERS)


def test_introspection_down_and_up_again() -> None:
    with run_introspection() as server:
        port = server.port
        with server.down():
            assert server.mode == "refused"
            with pytest.raises(ConnectionRefusedError):
                introspect(server, ALICE_TOKEN)
            # The port stays bound: nothing else can take it meanwhile.
            with socket.socket() as other, pytest.raises(OSError, match="in use"):
                other.bind(("127.0.0.1", port))
        assert server.mode is None
        assert server.port == port
        assert introspect(server, ALICE_TOKEN) == (200, {"active": True, "username": ALICE})
        with server.down("hangup"), pytest.raises(http.client.RemoteDisconnected):
            introspect(server, ALICE_TOKEN)
        with server.down("error"):
            assert introspect(server, ALICE_TOKEN)[0] == 503
        server.go_down("refused")
        server.go_down("hangup")  # from one mode to another
        with pytest.raises(http.client.RemoteDisconnected):
            introspect(server, ALICE_TOKEN)
        server.go_up()
        assert introspect(server, UNKNOWN_TOKEN) == (200, {"active": False})
        assert server.count == 5  # refused connections never arrive


# --- Dovecot: IMAP ----------------------------------------------------------------------


@contextlib.contextmanager
def dovecot_imap(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, mode: str = "imaps"
) -> Iterator[imaplib.IMAP4]:
    if mode == "imaps":
        with IMAPS(HOST, dovecot_oauth["imaps"], ssl_context=tls, timeout=TIMEOUT) as imap:
            yield imap
    else:
        with IMAP(HOST, dovecot_oauth["imap"], timeout=TIMEOUT) as imap:
            imap.starttls(ssl_context=tls)
            yield imap


def test_dovecot_offers_oauth_everywhere(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, pop3_clients: list[poplib.POP3]
) -> None:
    assert set(dovecot_oauth.ports) == set(DOVECOT_OAUTH_LISTENERS)
    mechanisms = ["AUTH=PLAIN", "AUTH=LOGIN", "AUTH=XOAUTH2", "AUTH=OAUTHBEARER"]
    with IMAP(HOST, dovecot_oauth["imap"], timeout=TIMEOUT) as imap:
        assert [c for c in imap.capabilities if c.startswith("AUTH=")] == mechanisms
        assert {"SASL-IR", "STARTTLS"} <= set(imap.capabilities)
    pop = POP3S(HOST, dovecot_oauth["pop3s"], context=tls, timeout=TIMEOUT)
    pop3_clients.append(pop)
    assert pop.capa()["SASL"] == ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"]
    pop.quit()
    with SMTP(HOST, dovecot_oauth["submission"], timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        assert smtp.esmtp_features["auth"].split() == ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"]
        assert smtp.has_extn("starttls")


@pytest.mark.parametrize("mode", ["imap", "imaps"])
def test_dovecot_imap_xoauth2(dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, mode: str) -> None:
    conversation = Conversation(xoauth2(ALICE, ALICE_TOKEN))
    with dovecot_imap(dovecot_oauth, tls, mode) as imap:
        status, data = imap.authenticate("XOAUTH2", conversation)
        assert status == "OK"
        # imaplib keeps the [CAPABILITY ...] apart (and typeshed calls data a str).
        assert list(data) == [b"Logged in"]  # type: ignore[comparison-overlap]
        assert conversation.challenges == []
        assert imap.select("INBOX")[0] == "OK"
    assert dovecot_oauth.introspection.requests == [ALICE_TOKEN]


def test_dovecot_imap_sasl_ir(dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext) -> None:
    with dovecot_imap(dovecot_oauth, tls) as imap:
        status, message = imap_sasl_ir(imap, "XOAUTH2", xoauth2(ALICE, ALICE_TOKEN))
        assert status == "OK"
        assert message == b"Logged in"
    with dovecot_imap(dovecot_oauth, tls) as imap:
        response = oauthbearer(ASCII, TOKEN_FOR[ASCII], HOST, dovecot_oauth["imaps"])
        assert imap_sasl_ir(imap, "OAUTHBEARER", response)[0] == "OK"


def test_dovecot_imap_oauthbearer(dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext) -> None:
    response = oauthbearer(ALICE, ALICE_TOKEN, HOST, dovecot_oauth["imap"])
    with dovecot_imap(dovecot_oauth, tls, "imap") as imap:
        assert imap.authenticate("OAUTHBEARER", Conversation(response))[0] == "OK"


@pytest.mark.parametrize(
    "token", [pytest.param(UNKNOWN_TOKEN, id="unknown"), pytest.param(TOKEN_FOR[ASCII], id="other")]
)
def test_dovecot_imap_xoauth2_bad_token(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, token: str
) -> None:
    conversation = Conversation(xoauth2(ALICE, token))
    with dovecot_imap(dovecot_oauth, tls) as imap:
        with pytest.raises(imap.error, match=r"^\[AUTHENTICATIONFAILED\] Authentication failed\.$"):
            imap.authenticate("XOAUTH2", conversation)
        assert [decoded(c) for c in conversation.challenges] == [DOVECOT_XOAUTH2_ERROR]
        # The session goes on: the right token still works.
        assert imap.authenticate("XOAUTH2", Conversation(xoauth2(ALICE, ALICE_TOKEN)))[0] == "OK"
    assert dovecot_oauth.introspection.requests == [token, ALICE_TOKEN]


def test_dovecot_imap_bad_token_challenge_on_the_wire(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext
) -> None:
    """The exact lines, SASL-IR: the challenge, the empty answer, the NO."""
    response = b64(xoauth2(ALICE, UNKNOWN_TOKEN)).encode()
    raw = socket.create_connection(("127.0.0.1", dovecot_oauth["imaps"]), TIMEOUT)
    with tls.wrap_socket(raw, server_hostname=HOST) as sock, sock.makefile("rb") as reader:
        assert reader.readline().startswith(b"* OK ")
        sock.sendall(b"a AUTHENTICATE XOAUTH2 " + response + b"\r\n")
        challenge = error_challenge(DOVECOT_XOAUTH2_ERROR)
        assert challenge == "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0="
        assert reader.readline() == f"+ {challenge}\r\n".encode()
        sock.sendall(b"\r\n")
        assert reader.readline() == b"a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"
        sock.sendall(b"b LOGOUT\r\n")
        assert reader.readline().startswith(b"* BYE")


@pytest.mark.parametrize("answer", [b"\x01", b""], ids=["ctrl-a", "empty"])
def test_dovecot_imap_oauthbearer_bad_token(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, answer: bytes
) -> None:
    conversation = Conversation(oauthbearer(ALICE, UNKNOWN_TOKEN), answer)
    failed = r"^\[AUTHENTICATIONFAILED\] Authentication failed\.$"
    with dovecot_imap(dovecot_oauth, tls) as imap, pytest.raises(imap.error, match=failed):
        imap.authenticate("OAUTHBEARER", conversation)
    assert [decoded(c) for c in conversation.challenges] == [DOVECOT_OAUTHBEARER_ERROR]


def test_dovecot_oauthbearer_needs_the_user(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext
) -> None:
    """Without ``a=<user>`` the answer is NO at once, without a challenge or a lookup."""
    with dovecot_imap(dovecot_oauth, tls) as imap:
        status, message = imap_sasl_ir(imap, "OAUTHBEARER", oauthbearer(None, ALICE_TOKEN))
    assert (status, message) == ("NO", b"[AUTHENTICATIONFAILED] Authentication failed.")
    assert dovecot_oauth.introspection.count == 0


@pytest.mark.parametrize("down", DOWN_MODES)
def test_dovecot_imap_introspection_down(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, down: DownMode
) -> None:
    conversation = Conversation(xoauth2(ALICE, ALICE_TOKEN))
    with dovecot_imap(dovecot_oauth, tls) as imap:
        with dovecot_oauth.introspection.down(down), pytest.raises(imap.error) as failure:
            imap.authenticate("XOAUTH2", conversation)
        assert str(failure.value).startswith(TEMPFAIL_IMAP)
        assert conversation.challenges == []
        # Up again, the same session logs in.
        assert imap.authenticate("XOAUTH2", Conversation(xoauth2(ALICE, ALICE_TOKEN)))[0] == "OK"


def test_dovecot_token_changes_count_at_once(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, oauth_tokens: dict[str, str]
) -> None:
    """Nothing is cached: every AUTHENTICATE asks the endpoint."""

    def login(user: str, token: str) -> str:
        with dovecot_imap(dovecot_oauth, tls) as imap:
            try:
                return str(imap.authenticate("XOAUTH2", Conversation(xoauth2(user, token)))[0])
            except imap.error as error:
                return str(error)

    assert oauth_tokens is dovecot_oauth.tokens
    oauth_tokens["fresh"] = ALICE
    assert login(ALICE, "fresh") == "OK"
    oauth_tokens["fresh"] = ASCII  # now another user's
    assert login(ASCII, "fresh") == "OK"
    del oauth_tokens["fresh"]  # revoked
    assert login(ASCII, "fresh") == "[AUTHENTICATIONFAILED] Authentication failed."
    assert dovecot_oauth.introspection.requests == ["fresh", "fresh", "fresh"]


def test_dovecot_passwords_still_work_and_stay_away_from_the_endpoint(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext
) -> None:
    with dovecot_imap(dovecot_oauth, tls) as imap:
        with pytest.raises(imap.error, match="AUTHENTICATIONFAILED"):
            imap.login(ALICE, "wrong password")
        with pytest.raises(imap.error, match="AUTHENTICATIONFAILED"):
            imap.login(ALICE, ALICE_TOKEN)  # a token is no password
        assert imap.login(ALICE, USERS[ALICE])[0] == "OK"
    assert dovecot_oauth.introspection.count == 0


def test_dovecot_imap_long_token(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, oauth_tokens: dict[str, str]
) -> None:
    token = "eyJ" + "x" * 3000  # access tokens (JWTs) run to kilobytes
    oauth_tokens[token] = ALICE
    with dovecot_imap(dovecot_oauth, tls) as imap:
        assert imap_sasl_ir(imap, "XOAUTH2", xoauth2(ALICE, token))[0] == "OK"


# --- Dovecot: POP3 ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["pop3", "pop3s"])
def test_dovecot_pop3_xoauth2(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, pop3_clients: list[poplib.POP3], mode: str
) -> None:
    if mode == "pop3s":
        pop: poplib.POP3 = POP3S(HOST, dovecot_oauth["pop3s"], context=tls, timeout=TIMEOUT)
    else:
        pop = POP3(HOST, dovecot_oauth["pop3"], timeout=TIMEOUT)
        pop.stls(tls)
    pop3_clients.append(pop)
    assert pop3_auth(pop, "XOAUTH2", xoauth2(ALICE, ALICE_TOKEN)) == b"+OK Logged in."
    assert pop.stat() == (0, 0)
    pop.quit()


def test_dovecot_pop3_without_initial_response(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, pop3_clients: list[poplib.POP3]
) -> None:
    pop = POP3S(HOST, dovecot_oauth["pop3s"], context=tls, timeout=TIMEOUT)
    pop3_clients.append(pop)
    assert pop._shortcmd("AUTH OAUTHBEARER") == b"+ "  # type: ignore[attr-defined]
    response = oauthbearer(ALICE, ALICE_TOKEN, HOST, dovecot_oauth["pop3s"])
    assert pop._shortcmd(b64(response)) == b"+OK Logged in."  # type: ignore[attr-defined]
    pop.quit()


@pytest.mark.parametrize(
    "token", [pytest.param(UNKNOWN_TOKEN, id="unknown"), pytest.param(TOKEN_FOR[ASCII], id="other")]
)
def test_dovecot_pop3_bad_token(
    dovecot_oauth: DovecotOAuth,
    tls: ssl.SSLContext,
    pop3_clients: list[poplib.POP3],
    token: str,
) -> None:
    pop = POP3S(HOST, dovecot_oauth["pop3s"], context=tls, timeout=TIMEOUT)
    pop3_clients.append(pop)
    challenge = pop3_auth(pop, "XOAUTH2", xoauth2(ALICE, token))
    assert challenge == f"+ {error_challenge(DOVECOT_XOAUTH2_ERROR)}".encode()
    with pytest.raises(poplib.error_proto) as failure:
        pop._shortcmd("")  # type: ignore[attr-defined]
    assert failure.value.args == (b"-ERR [AUTH] Authentication failed.",)
    pop.quit()


@pytest.mark.parametrize("down", DOWN_MODES)
def test_dovecot_pop3_introspection_down(
    dovecot_oauth: DovecotOAuth,
    tls: ssl.SSLContext,
    pop3_clients: list[poplib.POP3],
    down: DownMode,
) -> None:
    pop = POP3(HOST, dovecot_oauth["pop3"], timeout=TIMEOUT)  # before STLS: loopback
    pop3_clients.append(pop)
    with dovecot_oauth.introspection.down(down), pytest.raises(poplib.error_proto) as failure:
        pop3_auth(pop, "XOAUTH2", xoauth2(ALICE, ALICE_TOKEN))
    assert failure.value.args[0].startswith(TEMPFAIL_POP3)
    pop.quit()


# --- Dovecot: submission ----------------------------------------------------------------


def test_dovecot_submission_xoauth2_starttls(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext
) -> None:
    conversation = Conversation(xoauth2(ALICE, ALICE_TOKEN))
    with SMTP(HOST, dovecot_oauth["submission"], timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        assert smtp.starttls(context=tls)[0] == 220
        smtp.ehlo("client.test")
        assert smtp.auth("XOAUTH2", conversation.smtp) == (235, b"2.7.0 Logged in.")
        # The relay answers, so the session goes on.
        assert smtp.docmd("MAIL", f"FROM:<{ALICE}>")[0] == 250
        assert smtp.docmd("QUIT")[0] == 221
        smtp.close()


def test_dovecot_submissions_oauthbearer_without_initial_response(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext
) -> None:
    response = oauthbearer(ALICE, ALICE_TOKEN, HOST, dovecot_oauth["submissions"])
    with SMTPS(HOST, dovecot_oauth["submissions"], context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        code, message = smtp.auth(
            "OAUTHBEARER", Conversation(response).smtp, initial_response_ok=False
        )
        assert (code, message) == (235, b"2.7.0 Logged in.")


@pytest.mark.parametrize(
    "token", [pytest.param(UNKNOWN_TOKEN, id="unknown"), pytest.param(TOKEN_FOR[ASCII], id="other")]
)
def test_dovecot_submission_bad_token(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, token: str
) -> None:
    conversation = Conversation(xoauth2(ALICE, token))
    with SMTPS(HOST, dovecot_oauth["submissions"], context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            smtp.auth("XOAUTH2", conversation.smtp)
        assert (failure.value.smtp_code, failure.value.smtp_error) == (
            535,
            b"5.7.8 Authentication failed.",
        )
        assert [decoded(c) for c in conversation.challenges] == [DOVECOT_XOAUTH2_ERROR]


@pytest.mark.parametrize("down", DOWN_MODES)
def test_dovecot_submission_introspection_down(dovecot_oauth: DovecotOAuth, down: DownMode) -> None:
    conversation = Conversation(xoauth2(ALICE, ALICE_TOKEN))
    with SMTP(HOST, dovecot_oauth["submission"], timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")  # AUTH before STARTTLS: loopback counts as secured
        with (
            dovecot_oauth.introspection.down(down),
            pytest.raises(smtplib.SMTPAuthenticationError) as failure,
        ):
            smtp.auth("XOAUTH2", conversation.smtp)
        assert failure.value.smtp_code == 454
        assert bytes(failure.value.smtp_error).startswith(TEMPFAIL_SMTP)  # type: ignore[arg-type]
        assert conversation.challenges == []


def test_dovecot_submission_long_initial_response(
    dovecot_oauth: DovecotOAuth, tls: ssl.SSLContext, oauth_tokens: dict[str, str]
) -> None:
    """Submission takes command lines of up to 1030 octets; a longer token must come
    after an empty 334 instead."""
    token = "eyJ" + "x" * 3000
    oauth_tokens[token] = ALICE
    with SMTPS(HOST, dovecot_oauth["submissions"], context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            smtp.auth("XOAUTH2", Conversation(xoauth2(ALICE, token)).smtp)
        assert (failure.value.smtp_code, failure.value.smtp_error) == (
            500,
            b"5.5.2 Line too long",
        )
        conversation = Conversation(xoauth2(ALICE, token))
        code, _ = smtp.auth("XOAUTH2", conversation.smtp, initial_response_ok=False)
        assert code == 235


# --- aiosmtpd with XOAUTH2 and OAUTHBEARER -----------------------------------------------


def test_smtpd_oauth_offers_oauth_after_starttls(
    smtpd_oauth: OAuthSmtpServers, tls: ssl.SSLContext
) -> None:
    with SMTP(HOST, smtpd_oauth.starttls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        assert not smtp.has_extn("auth")
        smtp.starttls(context=tls)
        smtp.ehlo("client.test")
        assert smtp.esmtp_features["auth"].split() == ["LOGIN", "OAUTHBEARER", "PLAIN", "XOAUTH2"]
    with SMTPS(HOST, smtpd_oauth.implicit, context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        assert smtp.esmtp_features["auth"].split() == ["LOGIN", "OAUTHBEARER", "PLAIN", "XOAUTH2"]


@pytest.mark.parametrize("initial", [True, False], ids=["initial-response", "334-first"])
@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_smtpd_oauth_good_token(
    smtpd_oauth: OAuthSmtpServers, tls: ssl.SSLContext, mechanism: str, initial: bool
) -> None:
    response = (
        xoauth2(ALICE, ALICE_TOKEN)
        if mechanism == "XOAUTH2"
        else oauthbearer(ALICE, ALICE_TOKEN, HOST, smtpd_oauth.starttls)
    )
    with SMTP(HOST, smtpd_oauth.starttls, timeout=TIMEOUT) as smtp:
        smtp.starttls(context=tls)
        smtp.ehlo("client.test")
        conversation = Conversation(response)
        code, message = smtp.auth(mechanism, conversation.smtp, initial_response_ok=initial)
        assert (code, message) == (235, b"2.7.0 Authentication successful")
        assert conversation.challenges == []
    assert smtpd_oauth.handler.attempts == [OAuthAttempt(mechanism, ALICE, ALICE_TOKEN, True)]


@pytest.mark.parametrize(
    "token", [pytest.param(UNKNOWN_TOKEN, id="unknown"), pytest.param(TOKEN_FOR[ASCII], id="other")]
)
@pytest.mark.parametrize(
    ("mechanism", "answer", "error"),
    [
        pytest.param("XOAUTH2", b"", GMAIL_XOAUTH2_ERROR, id="XOAUTH2"),
        pytest.param("OAUTHBEARER", b"\x01", GMAIL_OAUTHBEARER_ERROR, id="OAUTHBEARER"),
    ],
)
def test_smtpd_oauth_bad_token(
    smtpd_oauth: OAuthSmtpServers,
    tls: ssl.SSLContext,
    token: str,
    mechanism: str,
    answer: bytes,
    error: dict[str, str],
) -> None:
    response = xoauth2(ALICE, token) if mechanism == "XOAUTH2" else oauthbearer(ALICE, token)
    conversation = Conversation(response, answer)
    with SMTPS(HOST, smtpd_oauth.implicit, context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            smtp.auth(mechanism, conversation.smtp)
        assert (failure.value.smtp_code, failure.value.smtp_error) == (
            535,
            b"5.7.8 Username and Password not accepted",
        )
        assert [decoded(c) for c in conversation.challenges] == [error]
        # The session goes on.
        assert smtp.auth("XOAUTH2", Conversation(xoauth2(ALICE, ALICE_TOKEN)).smtp)[0] == 235
    assert [a.success for a in smtpd_oauth.handler.attempts] == [False, True]


def test_smtpd_oauth_challenge_on_the_wire(
    smtpd_oauth: OAuthSmtpServers, tls: ssl.SSLContext
) -> None:
    """The exact lines of a failure, and ``*`` (abort) and undecodable base64."""
    raw = socket.create_connection(("127.0.0.1", smtpd_oauth.implicit), TIMEOUT)
    with tls.wrap_socket(raw, server_hostname=HOST) as sock, sock.makefile("rb") as reader:

        def send(line: str) -> bytes:
            sock.sendall(line.encode() + b"\r\n")
            return reader.readline()

        assert reader.readline().startswith(b"220 mail.test ")
        sock.sendall(b"EHLO client.test\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        challenge = error_challenge(GMAIL_XOAUTH2_ERROR)
        bad = b64(xoauth2(ALICE, UNKNOWN_TOKEN))
        assert send(f"AUTH XOAUTH2 {bad}") == f"334 {challenge}\r\n".encode()
        assert send("") == b"535 5.7.8 Username and Password not accepted\r\n"
        assert send(f"AUTH XOAUTH2 {bad}") == f"334 {challenge}\r\n".encode()
        assert send("*") == b"501 5.7.0 Auth aborted\r\n"
        assert send("AUTH XOAUTH2 !!") == b"501 5.5.2 Cannot Decode response\r\n"
        assert send("AUTH XOAUTH2") == b"334 \r\n"
        assert send(b64(xoauth2(ALICE, ALICE_TOKEN))) == b"235 2.7.0 Authentication successful\r\n"
        assert send("QUIT").startswith(b"221 ")


def test_smtpd_oauth_oauthbearer_without_user(
    smtpd_oauth: OAuthSmtpServers, tls: ssl.SSLContext
) -> None:
    """Without ``a=`` the token's owner logs in."""
    with SMTPS(HOST, smtpd_oauth.implicit, context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        conversation = Conversation(oauthbearer(None, TOKEN_FOR[ASCII]))
        assert smtp.auth("OAUTHBEARER", conversation.smtp)[0] == 235
    assert smtpd_oauth.handler.attempts == [
        OAuthAttempt("OAUTHBEARER", None, TOKEN_FOR[ASCII], True)
    ]


def test_smtpd_oauth_long_token_and_passwords(
    smtpd_oauth: OAuthSmtpServers, tls: ssl.SSLContext, oauth_tokens: dict[str, str]
) -> None:
    token = "eyJ" + "x" * 3000
    oauth_tokens[token] = ALICE
    assert smtpd_oauth.tokens is oauth_tokens
    with SMTPS(HOST, smtpd_oauth.implicit, context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        assert smtp.auth("XOAUTH2", Conversation(xoauth2(ALICE, token)).smtp)[0] == 235
    with SMTPS(HOST, smtpd_oauth.implicit, context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        user, password = "leaky@mail.test", USERS["leaky@mail.test"]
        plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        assert smtp.docmd("AUTH", f"PLAIN {plain}")[0] == 235


# --- Nothing left behind ----------------------------------------------------------------


def test_servers_leave_nothing_behind(certs: Certificates, tls: ssl.SSLContext) -> None:
    """Private instances, stopped while a client is still logged in: afterwards no
    Dovecot process, no server thread and no listening port is left."""
    threads_before = set(threading.enumerate())
    with (
        run_relay() as relay_port,
        run_dovecot_oauth(certs, relay_port) as dovecot,
        run_aiosmtpd_oauth(certs) as smtpd,
    ):
        assert dovecot.pid
        ports = [*dovecot.ports.values(), dovecot.introspection.port, smtpd.implicit]
        imap = IMAPS(HOST, dovecot["imaps"], ssl_context=tls, timeout=TIMEOUT)
        assert imap.authenticate("XOAUTH2", Conversation(xoauth2(ALICE, ALICE_TOKEN)))[0] == "OK"
        with dovecot.introspection.down():
            pass
        processes = descendants(dovecot.pid) | {dovecot.pid}
        assert set(ports) <= listening_ports() | set(dovecot.ports.values())
        assert len(processes) > 4  # master, log, config, anvil, logins, auth, imap ...
        with SMTPS(HOST, smtpd.implicit, context=tls, timeout=TIMEOUT) as smtp:
            smtp.ehlo("client.test")
            assert smtp.auth("XOAUTH2", Conversation(xoauth2(ALICE, ALICE_TOKEN)).smtp)[0] == 235
    try:
        assert not running(processes)
        assert set(threading.enumerate()) <= threads_before
        assert not listening_ports() & set(ports)
    finally:
        with contextlib.suppress(OSError):
            imap.shutdown()


def listening_ports() -> set[int]:
    """The TCP ports this process listens on (not another test run's, meanwhile)."""
    inodes: set[str] = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports: set[int] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
