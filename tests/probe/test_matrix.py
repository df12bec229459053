"""One matrix of cases against every real server implementation the suite runs.

IMAP and POP3: Dovecot and GNU Mailutils. SMTP submission: aiosmtpd, Postfix with
Cyrus SASL, and Dovecot's submission service. Each target names its listeners by
role; every case must give the same verdict on every implementation, never
``probe-error``, only read-only commands, and never the password in the result.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from app.models import Protocol, Security
from app.net.guard import Streams
from app.probe import AuthStatus, Code, Mechanism, ProbeResult
from app.probe.report import Direction, Reason
from app.settings import Settings
from tests.leaks import secret_forms
from tests.servers import USERS, WRONG_PASSWORD, Certificates, SmtpServers

from .conftest import make_settings
from .realprobe import ALICE, client_verbs, run

pytestmark = pytest.mark.realserver

READ_ONLY_VERBS = {
    "CAPA", "STLS", "USER", "PASS", "APOP", "AUTH", "STAT", "QUIT",  # POP3
    "CAPABILITY", "STARTTLS", "LOGIN", "AUTHENTICATE", "ID", "EXAMINE", "LOGOUT",  # IMAP
    "EHLO", "HELO",  # SMTP (plus STARTTLS, AUTH, QUIT)
}  # fmt: skip
UNENCRYPTED = Code.CONNECTION_UNENCRYPTED


@dataclass(frozen=True)
class Target:
    """One implementation of one protocol, its listeners named by role."""

    name: str
    protocol: Protocol
    fixture: str  # the session fixture that runs it
    tls: str  # implicit TLS
    starttls: str  # plain, offering STARTTLS, login allowed after it
    refusing: str  # plain, refusing any login before TLS
    refuses_loopback: bool = True  # False: it trusts 127.0.0.1, so come from 127.0.0.2
    apop: tuple[Code, ...] | None = None  # findings of AUTO on the plain port, if APOP is offered


TARGETS = [
    Target("dovecot", Protocol.IMAP, "dovecot", "imaps", "imap", "imap", refuses_loopback=False),
    Target("mailutils", Protocol.IMAP, "mailutils", "imaps", "imap", "imap-tls-required"),
    Target(
        "dovecot", Protocol.POP3, "dovecot", "pop3s", "pop3", "pop3",
        refuses_loopback=False, apop=(UNENCRYPTED,),  # Dovecot keeps the APOP secret
    ),
    Target(
        "mailutils", Protocol.POP3, "mailutils", "pop3s", "pop3", "pop3-tls-required",
        apop=(Code.APOP_REFUSED, UNENCRYPTED),  # a timestamp, but no APOP database
    ),
    Target("aiosmtpd", Protocol.SMTP, "smtpd", "implicit", "starttls", "starttls"),
    Target("postfix", Protocol.SMTP, "postfix", "submissions", "submission", "submission"),
    Target(
        "dovecot", Protocol.SMTP, "dovecot_submission", "submissions", "submission", "submission",
        refuses_loopback=False,
    ),
]  # fmt: skip


def targets(*, apop: bool = False) -> list[Any]:
    return [
        pytest.param(t, id=f"{t.name}-{t.protocol.value}")
        for t in TARGETS
        if t.apop is not None or not apop
    ]


def ports_of(request: pytest.FixtureRequest, target: Target) -> dict[str, int]:
    servers = request.getfixturevalue(target.fixture)
    if isinstance(servers, SmtpServers):
        return {"starttls": servers.starttls, "implicit": servers.implicit}
    return dict(servers)


async def from_127_0_0_2(ip: str, port: int) -> Streams:
    return await asyncio.open_connection(ip, port, local_addr=("127.0.0.2", 0))


async def probe_target(
    request: pytest.FixtureRequest,
    settings: Settings,
    target: Target,
    listener: str,
    security: Security,
    **kwargs: Any,
) -> ProbeResult:
    """Probe one listener, then check what every case must hold."""
    ports = ports_of(request, target)
    result = await run(ports, settings, listener, target.protocol, security, **kwargs)
    codes = [f.code for f in result.findings]
    assert Code.PROBE_ERROR not in codes, result.findings
    assert client_verbs(result) <= READ_ONLY_VERBS, client_verbs(result)
    username = kwargs.get("username", ALICE)
    password = kwargs.get("password") or USERS.get(username, "")
    dumped = result.model_dump_json()
    for form in secret_forms(username, password, result):
        assert form not in dumped, form
    return result


def codes(result: ProbeResult) -> list[Code]:
    return [f.code for f in result.findings]


@pytest.mark.parametrize("target", targets())
@pytest.mark.parametrize("role", ["tls", "starttls"])
async def test_right_password(
    request: pytest.FixtureRequest, probe_settings: Settings, target: Target, role: str
) -> None:
    security = Security.TLS if role == "tls" else Security.STARTTLS
    listener = target.tls if role == "tls" else target.starttls
    result = await probe_target(request, probe_settings, target, listener, security)
    assert result.auth.status is AuthStatus.OK, result.auth
    assert result.ok, result.findings
    assert codes(result) == []
    assert result.steps[-1].name in {"quit", "logout"}


@pytest.mark.parametrize("target", targets())
@pytest.mark.parametrize("who", ["wrong-password", "wrong-user"])
async def test_wrong_credentials(
    request: pytest.FixtureRequest, probe_settings: Settings, target: Target, who: str
) -> None:
    username = ALICE if who == "wrong-password" else "nobody@mail.test"
    result = await probe_target(
        request, probe_settings, target, target.tls, Security.TLS,
        username=username, password=WRONG_PASSWORD,
    )  # fmt: skip
    assert result.auth.status is AuthStatus.FAILED, result.auth
    assert codes(result) == [Code.AUTH_FAILED]
    assert result.findings[0].detail == result.auth.detail  # the server's own words


# A deadline of 3 s leaves no room to wait for a greeting: only the TLS handshake tried
# beside the wait can tell in time. At the default deadline, the error says which of the
# two told. The four probes of a target run at once: each waits about 1.5 s.
@pytest.mark.parametrize("target", targets())
async def test_a_tls_port_tested_without_tls(
    request: pytest.FixtureRequest, certs: Certificates, target: Target
) -> None:
    default = Settings.model_fields["probe_deadline"].default
    variants = [
        (security, make_settings(certs.ca_file, probe_deadline=deadline))
        for security in (Security.STARTTLS, Security.NONE)
        for deadline in (3.0, default)
    ]
    results = await asyncio.gather(
        *(
            probe_target(request, settings, target, target.tls, security)
            for security, settings in variants
        )
    )
    for result in results:
        assert codes(result) == [Code.PORT_NEEDS_TLS], result.endpoint
        assert result.error is not None
        assert result.error.reason is Reason.PORT_NEEDS_TLS
        assert result.error.speaks == "TLS"
        assert "second connection completed" in result.error.message  # not a timeout's verdict
        assert not [e for e in result.transcript if e.direction is Direction.CLIENT]  # nothing


@pytest.mark.parametrize("target", targets())
async def test_a_plain_port_tested_as_tls(
    request: pytest.FixtureRequest, probe_settings: Settings, target: Target
) -> None:
    result = await probe_target(request, probe_settings, target, target.starttls, Security.TLS)
    assert codes(result) == [Code.PORT_PLAINTEXT]
    assert result.auth.status is AuthStatus.NOT_ATTEMPTED


@pytest.mark.parametrize("target", targets())
async def test_login_refused_before_tls(
    request: pytest.FixtureRequest, probe_settings: Settings, target: Target
) -> None:
    # The caller allows a password in clear; the server still refuses before TLS. (POP3
    # asks for USER/PASS here: AUTO would try APOP, which the next test covers.)
    mechanism = Mechanism.COMMAND if target.protocol is Protocol.POP3 else Mechanism.AUTO
    connector = None if target.refuses_loopback else from_127_0_0_2
    result = await probe_target(
        request, probe_settings, target, target.refusing, Security.NONE,
        allow_plaintext_auth=True, mechanism=mechanism, connector=connector,
    )  # fmt: skip
    assert codes(result) == [Code.PLAINTEXT_LOGIN_REFUSED, UNENCRYPTED]
    assert result.auth.status is AuthStatus.NOT_ATTEMPTED
    assert not {"LOGIN", "PASS", "AUTH", "AUTHENTICATE"} & client_verbs(result)


@pytest.mark.parametrize("target", targets(apop=True))
async def test_apop_on_a_plain_port(
    request: pytest.FixtureRequest, probe_settings: Settings, target: Target
) -> None:
    result = await probe_target(request, probe_settings, target, target.starttls, Security.NONE)
    assert result.auth.mechanism is Mechanism.APOP
    assert codes(result) == list(target.apop or ())
    assert not {"USER", "PASS", "AUTH"} & client_verbs(result)  # the password stayed home


@pytest.mark.parametrize(
    "target", [t for t in targets(apop=True) if t.values[0].refuses_loopback]
)  # Dovecot takes APOP before TLS: there nothing refuses it
async def test_apop_refused_behind_stls_is_a_refused_plain_login(
    request: pytest.FixtureRequest, probe_settings: Settings, target: Target
) -> None:
    result = await probe_target(request, probe_settings, target, target.refusing, Security.NONE)
    assert codes(result) == [Code.PLAINTEXT_LOGIN_REFUSED, UNENCRYPTED]


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
async def test_a_server_failure_after_a_good_login(
    dovecot_submission_no_relay: dict[str, int], probe_settings: Settings, security: Security
) -> None:
    # leaky@mail.test: alice's "correct horse" shares "ect " with "connect to relay", and
    # a server line repeating four characters of the password is withheld whole.
    listener = "submissions" if security is Security.TLS else "submission"
    result = await run(
        dovecot_submission_no_relay, probe_settings, listener, Protocol.SMTP, security,
        username="leaky@mail.test",
    )  # fmt: skip
    assert result.auth.status is AuthStatus.OK
    assert codes(result) == [Code.SERVER_ERROR]
    (finding,) = result.findings
    assert finding.message.startswith("The login works.")
    assert "“quit”" in finding.message
    assert "421 4.4.0" in finding.message
    assert "Failed to connect to relay server" in finding.detail
    assert "operator" in finding.fix
