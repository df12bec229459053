"""Discovery's guess verifier against real Dovecot and aiosmtpd: capabilities, no login."""

from __future__ import annotations

import pytest

from app.discovery.guess import ProbeVerifier, greets, offers_starttls
from app.models import Protocol, Security, ServerEndpoint, TraceOutcome
from app.settings import Settings
from tests.probe.conftest import FakeResolver
from tests.servers import SmtpServers


def _endpoint(
    protocol: Protocol, port: int, security: Security, host: str = "mail.test"
) -> ServerEndpoint:
    return ServerEndpoint(protocol=protocol, host=host, port=port, security=security)


@pytest.mark.parametrize(
    ("protocol", "listener", "security"),
    [
        (Protocol.IMAP, "imaps", Security.TLS),
        (Protocol.IMAP, "imap", Security.STARTTLS),
        (Protocol.POP3, "pop3s", Security.TLS),
        (Protocol.POP3, "pop3", Security.STARTTLS),
    ],
)
async def test_dovecot_guesses_are_confirmed(
    dovecot: dict[str, int],
    probe_settings: Settings,
    resolver: FakeResolver,
    protocol: Protocol,
    listener: str,
    security: Security,
) -> None:
    verifier = ProbeVerifier(probe_settings, resolver)
    assert await verifier.confirm(_endpoint(protocol, dovecot[listener], security)) is None


async def test_smtp_guesses_are_confirmed(
    smtpd: SmtpServers, probe_settings: Settings, resolver: FakeResolver
) -> None:
    verifier = ProbeVerifier(probe_settings, resolver)
    assert await verifier.confirm(_endpoint(Protocol.SMTP, smtpd.implicit, Security.TLS)) is None
    assert (
        await verifier.confirm(_endpoint(Protocol.SMTP, smtpd.starttls, Security.STARTTLS)) is None
    )


async def test_wrong_guesses_are_refused(
    dovecot: dict[str, int], smtpd: SmtpServers, probe_settings: Settings, resolver: FakeResolver
) -> None:
    verifier = ProbeVerifier(probe_settings, resolver)
    # POP3 spoken where IMAP was guessed
    wrong_protocol = await verifier.confirm(
        _endpoint(Protocol.IMAP, dovecot["pop3s"], Security.TLS)
    )
    # described, not quoted
    assert wrong_protocol == (TraceOutcome.NOT_MAIL, "the server answered with POP3, not IMAP")
    # a certificate for another name fails the handshake
    bad_cert = await verifier.confirm(
        _endpoint(Protocol.IMAP, dovecot["imaps"], Security.TLS, host="wrong.test")
    )
    assert bad_cert is not None
    assert bad_cert[0] is TraceOutcome.TLS_FAILED
    assert "certificate" in bad_cert[1]
    # implicit TLS guessed on a plaintext port
    assert await verifier.confirm(_endpoint(Protocol.IMAP, dovecot["imap"], Security.TLS))
    # a name that does not resolve
    nx = await verifier.confirm(_endpoint(Protocol.IMAP, 993, Security.TLS, host="nx.test"))
    assert nx is not None
    assert nx[0] is TraceOutcome.HOST_UNRESOLVED


async def test_guesses_never_log_in(
    dovecot: dict[str, int],
    probe_settings: Settings,
    resolver: FakeResolver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG", logger="app.probe.session")
    verifier = ProbeVerifier(probe_settings, resolver)
    assert (
        await verifier.confirm(_endpoint(Protocol.IMAP, dovecot["imap"], Security.STARTTLS)) is None
    )
    sent = [r.getMessage() for r in caplog.records if " C " in r.getMessage()]
    assert sent
    assert all("LOGIN" not in line and "AUTH" not in line for line in sent)


async def test_loopback_is_refused_without_the_operator_setting(
    dovecot: dict[str, int], resolver: FakeResolver
) -> None:
    verifier = ProbeVerifier(Settings(), resolver)
    reason = await verifier.confirm(_endpoint(Protocol.IMAP, dovecot["imaps"], Security.TLS))
    assert reason is not None
    assert reason[0] is TraceOutcome.BLOCKED
    assert "refused 127.0.0.1" in reason[1]


def test_pure_checks() -> None:
    assert greets(Protocol.IMAP, "* OK [CAPABILITY IMAP4rev1] Dovecot ready.")
    assert not greets(Protocol.IMAP, "+OK Dovecot ready.")
    assert greets(Protocol.SMTP, "220 mail.test ESMTP")
    assert offers_starttls(Protocol.SMTP, ["250-mail.test", "250-STARTTLS", "250 SIZE 100"])
    assert offers_starttls(Protocol.POP3, ["+OK", "STLS", "."])
    assert not offers_starttls(Protocol.POP3, ["+OK", "USER", "."])
