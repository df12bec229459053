"""The dialogues against real Dovecot (IMAP, POP3, APOP) and aiosmtpd (SMTP) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import pytest

from app.models import Protocol, Security
from app.net.guard import Streams
from app.probe import AuthStatus, Code, Mechanism, diagnose
from app.probe.report import NotAttempted
from app.settings import Settings
from tests.leaks import secret_forms
from tests.servers import USERS, WRONG_PASSWORD, Certificates, SmtpServers, free_port

from .conftest import make_settings
from .fakes import ForbiddenConnector
from .realprobe import client_verbs, run

pytestmark = pytest.mark.realserver

# (name, protocol, listener, security, mechanisms the server offers there)
ENDPOINTS = [
    ("imap-starttls", Protocol.IMAP, "imap", Security.STARTTLS, ("command", "plain", "login")),
    ("imaps", Protocol.IMAP, "imaps", Security.TLS, ("command", "plain", "login")),
    ("pop3-stls", Protocol.POP3, "pop3", Security.STARTTLS, ("command", "plain", "login", "apop")),
    ("pop3s", Protocol.POP3, "pop3s", Security.TLS, ("command", "plain", "login", "apop")),
    ("pop3-apop", Protocol.POP3, "pop3", Security.NONE, ("apop",)),
    ("smtp-starttls", Protocol.SMTP, "starttls", Security.STARTTLS, ("plain", "login")),
    ("smtps", Protocol.SMTP, "implicit", Security.TLS, ("plain", "login")),
]
CASES = [
    pytest.param(name, protocol, listener, security, Mechanism(m), id=f"{name}-{m}")
    for name, protocol, listener, security, mechanisms in ENDPOINTS
    for m in mechanisms
]
READ_ONLY_VERBS = {
    "CAPA", "STLS", "USER", "PASS", "APOP", "AUTH", "STAT", "QUIT",  # POP3
    "CAPABILITY", "STARTTLS", "LOGIN", "AUTHENTICATE", "ID", "EXAMINE", "LOGOUT",  # IMAP
    "EHLO", "HELO",  # SMTP (plus STARTTLS, AUTH, QUIT)
}  # fmt: skip


@pytest.fixture
def ports(dovecot: dict[str, int], smtpd: SmtpServers) -> dict[str, int]:
    return {**dovecot, "starttls": smtpd.starttls, "implicit": smtpd.implicit}


@pytest.mark.parametrize(("name", "protocol", "listener", "security", "mechanism"), CASES)
async def test_right_password_logs_in(
    ports: dict[str, int],
    probe_settings: Settings,
    name: str,
    protocol: Protocol,
    listener: str,
    security: Security,
    mechanism: Mechanism,
) -> None:
    result = await run(ports, probe_settings, listener, protocol, security, mechanism=mechanism)
    assert result.error is None, result.error
    assert result.auth.status is AuthStatus.OK, result.auth
    assert result.auth.mechanism is mechanism
    assert result.ok
    assert result.address == "127.0.0.1"
    assert (result.tls is not None) == (security is not Security.NONE)
    if result.tls:
        assert result.tls.via == ("implicit" if security is Security.TLS else "starttls")
        assert result.tls.version in {"TLSv1.2", "TLSv1.3"}
    assert client_verbs(result) <= READ_ONLY_VERBS
    plain = [Code.CONNECTION_UNENCRYPTED] if security is Security.NONE else []
    assert [f.code for f in result.findings] == plain
    last_step = result.steps[-1]
    assert last_step.name in {"quit", "logout"}
    assert last_step.ok


@pytest.mark.parametrize(("name", "protocol", "listener", "security", "mechanism"), CASES)
async def test_wrong_password_is_refused(
    ports: dict[str, int],
    probe_settings: Settings,
    name: str,
    protocol: Protocol,
    listener: str,
    security: Security,
    mechanism: Mechanism,
) -> None:
    result = await run(
        ports, probe_settings, listener, protocol, security,
        password=WRONG_PASSWORD, mechanism=mechanism,
    )  # fmt: skip
    assert result.error is None, result.error
    assert result.auth.status is AuthStatus.FAILED
    assert result.auth.mechanism is mechanism
    assert re.search(r"(?i)auth|fail|535", result.auth.detail), result.auth.detail
    if security is Security.NONE:  # APOP, the only login tried in clear, proves nothing
        assert [f.code for f in result.findings] == [
            Code.APOP_REFUSED,
            Code.CONNECTION_UNENCRYPTED,
        ]
    else:
        assert [f.code for f in result.findings] == [Code.AUTH_FAILED]
    assert result.findings[0].detail == result.auth.detail
    assert not result.ok
    assert result.steps[-1].name in {"quit", "logout"}


class TestObservations:
    async def test_imap_capabilities_id_and_examine(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        result = await run(ports, probe_settings, "imaps", Protocol.IMAP, Security.TLS)
        assert result.auth.mechanism is Mechanism.PLAIN  # AUTO prefers SASL PLAIN
        assert "MOVE" in result.capabilities  # post-login capabilities replace pre-login ones
        assert set(result.auth_mechanisms) >= {"PLAIN", "LOGIN"}
        steps = {s.name: s for s in result.steps}
        assert steps["id"].detail == 'ID ("name" "Dovecot")'
        assert steps["examine"].detail == "0 messages"

    async def test_pop3(self, ports: dict[str, int], probe_settings: Settings) -> None:
        result = await run(ports, probe_settings, "pop3s", Protocol.POP3, Security.TLS)
        assert result.apop_timestamp
        assert result.auth.mechanism is Mechanism.PLAIN
        assert {s.name: s.detail for s in result.steps}["stat"] == "0 messages, 0 octets"

    async def test_pop3_capa_after_stls_drops_stls(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        result = await run(ports, probe_settings, "pop3", Protocol.POP3, Security.STARTTLS)
        assert "STLS" not in result.capabilities
        assert "USER" in result.capabilities

    async def test_smtp_features(self, ports: dict[str, int], probe_settings: Settings) -> None:
        result = await run(ports, probe_settings, "starttls", Protocol.SMTP, Security.STARTTLS)
        assert result.smtp is not None
        assert result.smtp.size == 33554432
        assert result.smtp.eightbitmime
        assert result.smtp.smtputf8
        assert not result.smtp.pipelining  # aiosmtpd 1.4 does not offer it
        assert result.auth_mechanisms == ("LOGIN", "PLAIN")
        assert [s.name for s in result.steps] == [
            "connect", "greeting", "ehlo", "starttls", "ehlo-tls", "login", "quit",
        ]  # fmt: skip


class TestPlaintext:
    async def test_auto_uses_apop_without_tls(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        result = await run(ports, probe_settings, "pop3", Protocol.POP3, Security.NONE)
        assert result.auth.status is AuthStatus.OK
        assert result.auth.mechanism is Mechanism.APOP

    async def test_password_is_not_sent_without_tls(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        result = await run(
            ports, probe_settings, "pop3", Protocol.POP3, Security.NONE, mechanism=Mechanism.COMMAND
        )
        assert result.auth.status is AuthStatus.NOT_ATTEMPTED
        assert "not encrypted" in result.auth.detail
        assert not {"USER", "PASS"} & client_verbs(result)
        assert [f.code for f in result.findings] == [
            Code.PASSWORD_NOT_SENT_PLAINTEXT,
            Code.CONNECTION_UNENCRYPTED,
        ]

    async def test_caller_may_allow_plaintext(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        result = await run(
            ports, probe_settings, "pop3", Protocol.POP3, Security.NONE,
            mechanism=Mechanism.COMMAND, allow_plaintext_auth=True,
        )  # fmt: skip
        assert result.auth.status is AuthStatus.OK

    async def test_imap_logindisabled_is_honoured(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        # Dovecot trusts connections whose source IP equals its own; come from 127.0.0.2.
        async def from_127_0_0_2(ip: str, port: int) -> Streams:
            return await asyncio.open_connection(ip, port, local_addr=("127.0.0.2", 0))

        result = await run(
            ports, probe_settings, "imap", Protocol.IMAP, Security.NONE,
            mechanism=Mechanism.COMMAND, allow_plaintext_auth=True, connector=from_127_0_0_2,
        )  # fmt: skip
        assert "LOGINDISABLED" in result.capabilities
        assert result.auth.status is AuthStatus.NOT_ATTEMPTED
        assert result.auth.detail == (
            "the server refuses logins before encryption (it advertises LOGINDISABLED)"
        )
        assert "LOGIN" not in client_verbs(result)
        assert [f.code for f in result.findings] == [
            Code.PLAINTEXT_LOGIN_REFUSED,
            Code.CONNECTION_UNENCRYPTED,
        ]


class TestFailures:
    async def test_certificate_for_another_name(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        # Same IP, but the certificate is checked against the host name, not the IP.
        result = await run(
            ports, probe_settings, "imaps", Protocol.IMAP, Security.TLS, host="wrong.test"
        )
        assert result.error is not None
        assert result.error.type == "ProbeTLSError"
        assert "code 62" in result.error.message  # hostname mismatch
        assert result.auth.status is AuthStatus.NOT_ATTEMPTED
        assert result.findings[0].code is Code.CERT_HOSTNAME_MISMATCH

    async def test_unknown_ca(self, ports: dict[str, int]) -> None:
        settings = make_settings(None)
        result = await run(ports, settings, "pop3", Protocol.POP3, Security.STARTTLS)
        assert result.error is not None
        assert result.error.type == "ProbeTLSError"
        assert "code 20" in result.error.message  # unable to get local issuer certificate
        # A second connection read the chain; neither sent a password.
        assert client_verbs(result) == {"CAPA", "STLS", "QUIT"}
        assert result.auth.not_attempted is NotAttempted.INSECURE_TLS
        assert [f.code for f in result.findings] == [
            Code.CERT_UNKNOWN_ISSUER,
            Code.PASSWORD_NOT_SENT_TLS,
        ]

    async def test_guard_refuses_loopback_by_default(
        self, ports: dict[str, int], certs: Certificates
    ) -> None:
        settings = make_settings(certs.ca_file, probe_allow_networks=())
        result = await run(
            ports, settings, "imaps", Protocol.IMAP, Security.TLS, connector=ForbiddenConnector()
        )
        assert result.error is not None
        assert result.error.type == "GuardRefused"
        assert result.address is None
        assert [(s.name, s.ok) for s in result.steps] == [("connect", False)]
        assert [f.code for f in result.findings] == [Code.GUARD_REFUSED]

    async def test_implicit_tls_on_a_plaintext_port(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        result = await run(ports, probe_settings, "imap", Protocol.IMAP, Security.TLS)
        assert result.error is not None
        assert result.error.type == "ProbeTLSError"
        assert result.error.speaks == "IMAP"  # a second, plain connection heard "* OK"
        assert [(s.name, s.ok) for s in result.steps] == [
            ("connect", True),
            ("tls", False),
            ("peek", True),
        ]
        assert [f.code for f in result.findings] == [Code.PORT_PLAINTEXT]

    async def test_starttls_on_an_implicit_tls_port(
        self, ports: dict[str, int], probe_settings: Settings
    ) -> None:
        result = await run(
            ports, probe_settings, "imaps", Protocol.IMAP, Security.STARTTLS, step_timeout=0.3
        )
        assert result.error is not None
        assert result.error.speaks == "TLS"  # a TLS handshake worked on a second connection
        assert [f.code for f in result.findings] == [Code.PORT_NEEDS_TLS]

    async def test_nothing_listening(self, probe_settings: Settings) -> None:
        result = await run({"x": free_port()}, probe_settings, "x", Protocol.SMTP, Security.TLS)
        assert result.error is not None
        assert result.error.type == "ProbeConnectError"
        assert "refused" in result.error.message.lower()
        assert [f.code for f in result.findings] == [Code.CONNECTION_REFUSED]


# -- credentials never leak ------------------------------------------------------------------


def leak_cases() -> list[Any]:
    return [
        pytest.param(*case.values, user, id=f"{case.id}-{user.split('@')[0]}")
        for case in CASES
        for user in ("leaky@mail.test", "ascii@mail.test")
    ]


@pytest.mark.parametrize(
    ("name", "protocol", "listener", "security", "mechanism", "user"), leak_cases()
)
async def test_password_never_leaks(
    ports: dict[str, int],
    probe_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    name: str,
    protocol: Protocol,
    listener: str,
    security: Security,
    mechanism: Mechanism,
    user: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="asyncio")
    asyncio.get_running_loop().set_debug(True)
    result = await run(
        ports, probe_settings, listener, protocol, security, username=user, mechanism=mechanism
    )
    # The secret really went over the wire in this form, so the checks below mean something.
    assert result.auth.status is AuthStatus.OK, result.auth
    assert result.auth.mechanism is mechanism
    password = USERS[user]
    dumped = result.model_dump_json()
    chinese = diagnose(result, lang="zh-Hans")
    texts = {
        "findings": repr(result.findings) + repr(chinese),
        "logs": caplog.text,
        "log args": repr([r.args for r in caplog.records]),
        "result json": dumped,
        "result strings": json.dumps(json.loads(dumped), ensure_ascii=False),
        "result repr": repr(result),
    }
    assert any(e.line.endswith("********") for e in result.transcript)
    for form in secret_forms(user, password, result):
        escaped = json.dumps(form, ensure_ascii=False)[1:-1]
        for where, text in texts.items():
            assert form not in text, f"{form!r} in {where}"
            assert escaped not in text, f"{escaped!r} in {where}"
