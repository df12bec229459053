"""Smoke tests of the extra test servers (GNU Mailutils, Postfix, Dovecot submission),
talked to with the standard library only, so that a failure here points at the server
setup rather than at the app."""

from __future__ import annotations

import base64
import imaplib
import poplib
import smtplib
import socket
import ssl
from collections.abc import Iterator

import pytest

from tests.servers import USERS, WRONG_PASSWORD, Certificates

pytestmark = pytest.mark.realserver

HOST = "mail.test"  # the name the certificates are checked against; everything is on loopback
TIMEOUT = 10.0
USER_PARAMS = [pytest.param(user, password, id=user) for user, password in USERS.items()]


# The standard clients take the TLS server name from the host they connect to; these
# connect to 127.0.0.1 whatever the host name is.
class IMAP(imaplib.IMAP4):
    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout)


class IMAPS(imaplib.IMAP4_SSL):
    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout)
        context: ssl.SSLContext = self.ssl_context
        return context.wrap_socket(sock, server_hostname=self.host)


class POP3(poplib.POP3):
    def _create_socket(self, timeout: float) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout)


class POP3S(poplib.POP3_SSL):
    def _create_socket(self, timeout: float) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout)
        context: ssl.SSLContext = self.context  # type: ignore[attr-defined]
        return context.wrap_socket(sock, server_hostname=self.host)


class SMTP(smtplib.SMTP):
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection(("127.0.0.1", port), timeout)


class SMTPS(smtplib.SMTP_SSL, SMTP):
    pass


@pytest.fixture(scope="module")
def tls(certs: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca_file))


def imap_login(imap: imaplib.IMAP4, user: str, password: str) -> str:
    """LOGIN with the password sent as a literal, returning the status ("OK", "NO").
    imaplib.login() sends a quoted string, and only ASCII."""
    imap.literal = password.encode("utf-8")  # type: ignore[assignment]
    status, _ = imap._simple_command("LOGIN", user)
    return str(status)


def auth_plain(smtp: smtplib.SMTP, user: str, password: str) -> tuple[int, bytes]:
    """AUTH PLAIN by hand: smtplib.login() cannot send a non-ASCII password."""
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    return smtp.docmd("AUTH", f"PLAIN {token}")


@pytest.fixture
def pop3_clients() -> Iterator[list[poplib.POP3]]:
    """Collects POP3 clients and closes them after the test."""
    clients: list[poplib.POP3] = []
    yield clients
    for client in clients:
        client.close()


# --- GNU Mailutils: imap4d -------------------------------------------------------------


def test_mailutils_imap_starttls(mailutils: dict[str, int], tls: ssl.SSLContext) -> None:
    with IMAP(HOST, mailutils["imap"], timeout=TIMEOUT) as imap:
        assert imap.welcome == b"* OK IMAP4rev1"
        assert "STARTTLS" in imap.capabilities
        assert "AUTH=PLAIN" in imap.capabilities
        imap.starttls(ssl_context=tls)
        assert "STARTTLS" not in imap.capabilities
        assert imap.login("alice@mail.test", USERS["alice@mail.test"])[0] == "OK"


def test_mailutils_imap_plain_login_before_starttls(mailutils: dict[str, int]) -> None:
    with IMAP(HOST, mailutils["imap"], timeout=TIMEOUT) as imap:
        assert imap.login("alice@mail.test", USERS["alice@mail.test"])[0] == "OK"


@pytest.mark.parametrize(("user", "password"), USER_PARAMS)
def test_mailutils_imaps_login(
    mailutils: dict[str, int], tls: ssl.SSLContext, user: str, password: str
) -> None:
    with IMAPS(HOST, mailutils["imaps"], ssl_context=tls, timeout=TIMEOUT) as imap:
        assert imap.welcome == b"* OK IMAP4rev1"
        assert "STARTTLS" not in imap.capabilities
        assert imap_login(imap, user, WRONG_PASSWORD) == "NO"
        assert imap_login(imap, user, password) == "OK"
        if password.isascii():  # quoted string
            with IMAPS(HOST, mailutils["imaps"], ssl_context=tls, timeout=TIMEOUT) as other:
                assert other.login(user, password)[0] == "OK"


@pytest.mark.parametrize(("user", "password"), USER_PARAMS)
def test_mailutils_imap_authenticate_plain_ends_in_bare_lf(
    mailutils: dict[str, int], tls: ssl.SSLContext, user: str, password: str
) -> None:
    """Mailutils' tagged OK after AUTHENTICATE ends in LF, not CRLF (a server bug that
    imaplib cannot read); a failure ends in CRLF. Raw socket, hence."""
    token = base64.b64encode(f"\0{user}\0{password}".encode())
    wrong = base64.b64encode(f"\0{user}\0{WRONG_PASSWORD}".encode())
    raw = socket.create_connection(("127.0.0.1", mailutils["imaps"]), TIMEOUT)
    with tls.wrap_socket(raw, server_hostname=HOST) as sock, sock.makefile("rb") as reader:
        assert reader.readline() == b"* OK IMAP4rev1\r\n"
        sock.sendall(b"a AUTHENTICATE PLAIN\r\n")
        assert reader.readline() == b"+ \r\n"
        sock.sendall(wrong + b"\r\n")
        assert reader.readline() == b"a NO AUTHENTICATE PLAIN authentication failed\r\n"
        sock.sendall(b"b AUTHENTICATE PLAIN\r\n")
        assert reader.readline() == b"+ \r\n"
        sock.sendall(token + b"\r\n")
        assert reader.readline() == b"b OK AUTHENTICATE PLAIN authentication successful\n"


def test_mailutils_imap_tls_required(mailutils: dict[str, int], tls: ssl.SSLContext) -> None:
    with IMAP(HOST, mailutils["imap-tls-required"], timeout=TIMEOUT) as imap:
        assert {"XTLSREQUIRED", "STARTTLS"} <= set(imap.capabilities)
        assert not any(c.startswith("AUTH=") for c in imap.capabilities)
        with pytest.raises(imap.error, match="LOGIN Command disabled"):
            imap.login("alice@mail.test", USERS["alice@mail.test"])
        imap.starttls(ssl_context=tls)
        assert imap.login("alice@mail.test", USERS["alice@mail.test"])[0] == "OK"


# --- GNU Mailutils: pop3d --------------------------------------------------------------


def test_mailutils_pop3_stls(
    mailutils: dict[str, int], tls: ssl.SSLContext, pop3_clients: list[poplib.POP3]
) -> None:
    pop = POP3(HOST, mailutils["pop3"], timeout=TIMEOUT)
    pop3_clients.append(pop)
    assert pop.getwelcome().startswith(b"+OK POP3 Ready <")
    assert {"USER", "STLS"} <= set(pop.capa())
    pop.stls(tls)
    assert "STLS" not in pop.capa()
    pop.user("alice@mail.test")
    assert pop.pass_(USERS["alice@mail.test"]).startswith(b"+OK opened mailbox for alice")
    pop.quit()


def test_mailutils_pop3_login_before_stls(
    mailutils: dict[str, int], pop3_clients: list[poplib.POP3]
) -> None:
    pop = POP3(HOST, mailutils["pop3"], timeout=TIMEOUT)
    pop3_clients.append(pop)
    pop.user("alice@mail.test")
    assert pop.pass_(USERS["alice@mail.test"]).startswith(b"+OK")
    pop.quit()


@pytest.mark.parametrize(("user", "password"), USER_PARAMS)
def test_mailutils_pop3s_login(
    mailutils: dict[str, int],
    tls: ssl.SSLContext,
    pop3_clients: list[poplib.POP3],
    user: str,
    password: str,
) -> None:
    wrong = POP3S(HOST, mailutils["pop3s"], context=tls, timeout=TIMEOUT)
    pop3_clients.append(wrong)
    wrong.user(user)
    with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\] Bad login"):
        wrong.pass_(WRONG_PASSWORD)
    wrong.quit()
    pop = POP3S(HOST, mailutils["pop3s"], context=tls, timeout=TIMEOUT)
    pop3_clients.append(pop)
    assert pop.getwelcome().startswith(b"+OK POP3 Ready <")
    pop.user(user)
    assert pop.pass_(password).startswith(b"+OK opened mailbox for ")
    assert pop.stat() == (0, 0)
    pop.quit()


def test_mailutils_pop3_has_no_sasl(
    mailutils: dict[str, int], tls: ssl.SSLContext, pop3_clients: list[poplib.POP3]
) -> None:
    pop = POP3S(HOST, mailutils["pop3s"], context=tls, timeout=TIMEOUT)
    pop3_clients.append(pop)
    assert "SASL" not in pop.capa()
    with pytest.raises(poplib.error_proto, match="-ERR Not implemented"):
        pop._shortcmd("AUTH PLAIN")  # type: ignore[attr-defined]
    pop.quit()


def test_mailutils_pop3_tls_required(
    mailutils: dict[str, int], tls: ssl.SSLContext, pop3_clients: list[poplib.POP3]
) -> None:
    pop = POP3(HOST, mailutils["pop3-tls-required"], timeout=TIMEOUT)
    pop3_clients.append(pop)
    capabilities = pop.capa()
    assert {"XTLSREQUIRED", "STLS"} <= set(capabilities)
    assert "USER" not in capabilities
    with pytest.raises(poplib.error_proto, match="-ERR Incorrect state"):
        pop.user("alice@mail.test")
    pop.stls(tls)
    pop.user("alice@mail.test")
    assert pop.pass_(USERS["alice@mail.test"]).startswith(b"+OK")
    pop.quit()


# --- Postfix submission ----------------------------------------------------------------


def test_postfix_hides_auth_before_starttls(postfix: dict[str, int], tls: ssl.SSLContext) -> None:
    with SMTP(HOST, postfix["submission"], timeout=TIMEOUT) as smtp:
        code, banner = smtp.ehlo("client.test")
        assert code == 250
        assert banner.startswith(b"mail.test\n")
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")
        code, message = auth_plain(smtp, "alice@mail.test", USERS["alice@mail.test"])
        assert (code, message) == (530, b"5.7.0 Must issue a STARTTLS command first")
        assert smtp.starttls(context=tls)[0] == 220
        smtp.ehlo("client.test")
        assert smtp.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert not smtp.has_extn("starttls")
        assert auth_plain(smtp, "alice@mail.test", USERS["alice@mail.test"])[0] == 235


@pytest.mark.parametrize(("user", "password"), USER_PARAMS)
def test_postfix_submissions_auth(
    postfix: dict[str, int], tls: ssl.SSLContext, user: str, password: str
) -> None:
    with SMTPS(HOST, postfix["submissions"], context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        assert smtp.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert auth_plain(smtp, user, WRONG_PASSWORD) == (
            535,
            b"5.7.8 Error: authentication failed: authentication failure",
        )
        assert auth_plain(smtp, user, password) == (235, b"2.7.0 Authentication successful")
        # Nothing can leave: every transport is the error transport.
        assert smtp.docmd("MAIL", "FROM:<alice@mail.test>")[0] == 250
        code, message = smtp.docmd("RCPT", "TO:<someone@example.com>")
        assert code == 550
        assert b"outbound delivery disabled" in message


def test_postfix_auth_login(postfix: dict[str, int], tls: ssl.SSLContext) -> None:
    with SMTPS(HOST, postfix["submissions"], context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        smtp.user, smtp.password = "alice@mail.test", USERS["alice@mail.test"]
        code, _ = smtp.auth("LOGIN", smtp.auth_login, initial_response_ok=False)
        assert code == 235


# --- Dovecot submission ----------------------------------------------------------------


def test_dovecot_submission_relay_up(
    dovecot_submission: dict[str, int], tls: ssl.SSLContext
) -> None:
    with SMTP(HOST, dovecot_submission["submission"], timeout=TIMEOUT) as smtp:
        assert smtp.ehlo("client.test")[0] == 250
        assert smtp.has_extn("starttls")
        assert smtp.starttls(context=tls)[0] == 220
        smtp.ehlo("client.test")
        assert "PLAIN" in smtp.esmtp_features["auth"].split()
        user, password = "leaky@mail.test", USERS["leaky@mail.test"]
        assert auth_plain(smtp, user, password) == (235, b"2.7.0 Logged in.")
        assert smtp.docmd("QUIT") == (221, b"2.0.0 Bye")
        smtp.close()


@pytest.mark.parametrize(("user", "password"), USER_PARAMS)
def test_dovecot_submissions_relay_down(
    dovecot_submission_no_relay: dict[str, int], tls: ssl.SSLContext, user: str, password: str
) -> None:
    port = dovecot_submission_no_relay["submissions"]
    with SMTPS(HOST, port, context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        assert auth_plain(smtp, user, password) == (235, b"2.7.0 Logged in.")
        # Dovecot says 421 by itself once the relay refuses, and closes: a QUIT sent now
        # could meet a reset that discards the reply, so read it without sending anything.
        code, message = smtp.getreply()
        smtp.close()
        assert code == 421
        assert message == b"4.4.0 mail.test Failed to connect to relay server (connect)"


def test_dovecot_submission_wrong_password(
    dovecot_submission_no_relay: dict[str, int], tls: ssl.SSLContext
) -> None:
    port = dovecot_submission_no_relay["submissions"]
    with SMTPS(HOST, port, context=tls, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.test")
        assert auth_plain(smtp, "alice@mail.test", WRONG_PASSWORD) == (
            535,
            b"5.7.8 Authentication failed.",
        )
        assert smtp.docmd("QUIT") == (221, b"2.0.0 Bye")
        smtp.close()


def test_dnsmasq_takes_another_port_when_its_port_is_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A port chosen free can be taken before dnsmasq binds it, on a busy machine: the
    nameserver starts on another port instead of failing (or, without CI, skipping)."""
    import tests.dnsmasq as dnsmasq
    from tests.realservers import listen_in_test_range

    monkeypatch.setenv("CI", "true")  # a dnsmasq that cannot start fails here, never skips
    with listen_in_test_range() as taken:  # TCP: dnsmasq binds TCP as well as UDP
        busy = int(taken.getsockname()[1])
        ports = iter([busy, dnsmasq.free_udp_port()])
        monkeypatch.setattr(dnsmasq, "free_udp_port", lambda: next(ports))
        with dnsmasq.run_dnsmasq(dnsmasq.ZONE) as nameserver:
            assert nameserver != f"127.0.0.1:{busy}"
