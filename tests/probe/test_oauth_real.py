"""OAuth2 tokens against real servers: Dovecot 2.3 with its oauth2 passdb (IMAP, POP3 and
submission, each with implicit TLS and STARTTLS) asking a local introspection endpoint,
and aiosmtpd answering XOAUTH2 and OAUTHBEARER as Gmail does. Every result is searched
for every form of the token."""

from __future__ import annotations

import pytest

from app.models import Protocol, Security
from app.probe import Code, ProbeResult
from app.probe.credential import CredentialKind
from app.probe.report import REDACTED, AuthStatus, Mechanism
from app.settings import Settings
from tests.leaks import assert_no_token
from tests.oauthservers import TOKEN_FOR, UNKNOWN_TOKEN, DovecotOAuth, OAuthSmtpServers
from tests.servers import USERS

from .realprobe import ALICE, client_verbs, run

ENDPOINTS = [
    ("imaps", Protocol.IMAP, Security.TLS),
    ("imap", Protocol.IMAP, Security.STARTTLS),
    ("pop3s", Protocol.POP3, Security.TLS),
    ("pop3", Protocol.POP3, Security.STARTTLS),
    ("submissions", Protocol.SMTP, Security.TLS),
    ("submission", Protocol.SMTP, Security.STARTTLS),
]
# A token as long as Microsoft's: too long for a POP3 or SMTP command line.
LONG_TOKEN = "eyJ0eXAiOiJKV1QifQ." + "bG9uZy10b2tlbi1ib2R5" * 100


async def token_probe(
    dovecot: DovecotOAuth,
    settings: Settings,
    listener: str,
    protocol: Protocol,
    security: Security,
    token: str,
    **kwargs: object,
) -> ProbeResult:
    result = await run(
        dovecot.ports,
        settings,
        listener,
        protocol,
        security,
        password=token,
        credential=CredentialKind.OAUTH2,
        **kwargs,
    )
    assert_no_token(result.model_dump_json(), ALICE, token)
    return result


def first_code(result: ProbeResult) -> Code:
    return result.findings[0].code


@pytest.mark.parametrize(("listener", "protocol", "security"), ENDPOINTS)
async def test_a_good_token_logs_in(
    dovecot_oauth: DovecotOAuth,
    probe_settings: Settings,
    listener: str,
    protocol: Protocol,
    security: Security,
) -> None:
    token = TOKEN_FOR[ALICE]
    result = await token_probe(dovecot_oauth, probe_settings, listener, protocol, security, token)
    assert result.ok, result.findings
    assert result.auth.mechanism is Mechanism.XOAUTH2
    assert result.credential is CredentialKind.OAUTH2
    assert any(REDACTED in e.line for e in result.transcript)
    assert dovecot_oauth.introspection.requests == [token]  # the server asked, once


@pytest.mark.parametrize(("listener", "protocol", "security"), ENDPOINTS)
async def test_an_unknown_token_is_invalid(
    dovecot_oauth: DovecotOAuth,
    probe_settings: Settings,
    listener: str,
    protocol: Protocol,
    security: Security,
) -> None:
    result = await token_probe(
        dovecot_oauth, probe_settings, listener, protocol, security, UNKNOWN_TOKEN
    )
    assert result.auth.status is AuthStatus.FAILED
    assert '"status":"401"' in result.auth.challenge  # Dovecot's XOAUTH2 error challenge
    assert first_code(result) is Code.OAUTH_TOKEN_INVALID
    assert ALICE in result.findings[0].message
    # After the error challenge the client sent the empty response, then QUIT or LOGOUT.
    assert not result.error


async def test_another_accounts_token_is_refused(
    dovecot_oauth: DovecotOAuth, probe_settings: Settings, oauth_tokens: dict[str, str]
) -> None:
    bob = next(user for user in USERS if user != ALICE)
    result = await token_probe(
        dovecot_oauth, probe_settings, "imaps", Protocol.IMAP, Security.TLS, TOKEN_FOR[bob]
    )
    assert first_code(result) is Code.OAUTH_TOKEN_INVALID


@pytest.mark.parametrize(("listener", "protocol", "security"), ENDPOINTS[::2])
async def test_oauthbearer_when_asked_for(
    dovecot_oauth: DovecotOAuth,
    probe_settings: Settings,
    listener: str,
    protocol: Protocol,
    security: Security,
) -> None:
    good = await token_probe(
        dovecot_oauth,
        probe_settings,
        listener,
        protocol,
        security,
        TOKEN_FOR[ALICE],
        mechanism=Mechanism.OAUTHBEARER,
    )
    assert good.ok, good.findings
    assert good.auth.mechanism is Mechanism.OAUTHBEARER
    bad = await token_probe(
        dovecot_oauth,
        probe_settings,
        listener,
        protocol,
        security,
        UNKNOWN_TOKEN,
        mechanism=Mechanism.OAUTHBEARER,
    )
    assert '"status":"invalid_token"' in bad.auth.challenge
    assert first_code(bad) is Code.OAUTH_TOKEN_INVALID


@pytest.mark.parametrize(("listener", "protocol", "security"), ENDPOINTS[::2])
async def test_introspection_down_is_a_temporary_failure(
    dovecot_oauth: DovecotOAuth,
    probe_settings: Settings,
    listener: str,
    protocol: Protocol,
    security: Security,
) -> None:
    with dovecot_oauth.introspection.down():
        result = await token_probe(
            dovecot_oauth, probe_settings, listener, protocol, security, TOKEN_FOR[ALICE]
        )
    assert first_code(result) is Code.AUTH_TEMPORARY


@pytest.mark.parametrize(("listener", "protocol", "security"), ENDPOINTS[::2])
async def test_a_token_too_long_for_the_line_follows_the_empty_challenge(
    dovecot_oauth: DovecotOAuth,
    probe_settings: Settings,
    oauth_tokens: dict[str, str],
    listener: str,
    protocol: Protocol,
    security: Security,
) -> None:
    """Dovecot's submission refuses command lines over 1,030 octets: a Microsoft-sized
    token must go in answer to ``334``, not on the AUTH line (RFC 4954 section 4)."""
    oauth_tokens[LONG_TOKEN] = ALICE
    result = await token_probe(
        dovecot_oauth, probe_settings, listener, protocol, security, LONG_TOKEN
    )
    assert result.ok, result.findings


async def test_passwords_still_log_in_beside_tokens(
    dovecot_oauth: DovecotOAuth, probe_settings: Settings
) -> None:
    result = await run(dovecot_oauth.ports, probe_settings, "imaps", Protocol.IMAP, Security.TLS)
    assert result.ok
    assert result.auth.mechanism is Mechanism.PLAIN
    assert dovecot_oauth.introspection.requests == []


async def test_a_token_is_not_sent_to_a_password_only_server(
    dovecot: dict[str, int], probe_settings: Settings
) -> None:
    result = await run(
        dovecot,
        probe_settings,
        "imaps",
        Protocol.IMAP,
        Security.TLS,
        password=TOKEN_FOR[ALICE],
        credential=CredentialKind.OAUTH2,
    )
    assert first_code(result) is Code.OAUTH_NOT_OFFERED
    assert "AUTHENTICATE" not in client_verbs(result)
    assert_no_token(result.model_dump_json(), ALICE, TOKEN_FOR[ALICE])


@pytest.mark.parametrize("port", ["implicit", "starttls"])
@pytest.mark.parametrize("mechanism", [Mechanism.XOAUTH2, Mechanism.OAUTHBEARER])
async def test_aiosmtpd_takes_and_refuses_tokens(
    smtpd_oauth: OAuthSmtpServers, probe_settings: Settings, port: str, mechanism: Mechanism
) -> None:
    ports = {"implicit": smtpd_oauth.implicit, "starttls": smtpd_oauth.starttls}
    security = Security.TLS if port == "implicit" else Security.STARTTLS
    results = []
    for token in (TOKEN_FOR[ALICE], UNKNOWN_TOKEN):
        result = await run(
            ports,
            probe_settings,
            port,
            Protocol.SMTP,
            security,
            password=token,
            credential=CredentialKind.OAUTH2,
            mechanism=mechanism,
        )
        assert_no_token(result.model_dump_json(), ALICE, token)
        results.append(result)
    good, bad = results
    assert good.ok, good.findings
    assert '"scope":"https://mail.google.com/"' in bad.auth.challenge
    assert first_code(bad) is Code.OAUTH_TOKEN_INVALID
    attempts = smtpd_oauth.handler.attempts
    assert [(a.mechanism, a.user, a.success) for a in attempts] == [
        (mechanism.value.upper(), ALICE, True),
        (mechanism.value.upper(), ALICE, False),
    ]


async def test_the_providers_mechanism_goes_first(
    dovecot_oauth: DovecotOAuth, probe_settings: Settings
) -> None:
    """Yahoo documents OAUTHBEARER: where a server offers both, the one the provider file
    names is tried; a server without it still gets the other."""
    preferred = await token_probe(
        dovecot_oauth,
        probe_settings,
        "imaps",
        Protocol.IMAP,
        Security.TLS,
        TOKEN_FOR[ALICE],
        prefer=Mechanism.OAUTHBEARER,
    )
    assert preferred.ok
    assert preferred.auth.mechanism is Mechanism.OAUTHBEARER
    plain = await token_probe(
        dovecot_oauth, probe_settings, "imaps", Protocol.IMAP, Security.TLS, TOKEN_FOR[ALICE]
    )
    assert plain.auth.mechanism is Mechanism.XOAUTH2
