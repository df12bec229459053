"""The pure half of ``mailsetup verify-data``: endpoints, mechanisms, and the verdicts."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from app.livetest.recheck_compare import (
    IMAP_LOGIN_COMMAND,
    POP3_USER_COMMAND,
    Check,
    Observed,
    Result,
    Target,
    judge,
    mechanisms,
    missing_auth,
    offline,
    targets,
)
from app.models import AuthMethod, Protocol, Security
from app.probe.report import Reason
from app.providers.schema import ProviderRecord
from app.providers.snapshot import IspdbSnapshot, SnapshotData, SnapshotOrigin
from tests.sample_data import provider_toml

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def target(auth: tuple[AuthMethod, ...] = (AuthMethod.PASSWORD,), curated: bool = True) -> Target:
    return Target(
        Protocol.IMAP, "imap.example.org", 993, Security.TLS, frozenset(auth), ("x",), curated
    )


def test_mechanisms_of_each_protocol() -> None:
    imap = ["* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2", "v1 OK done"]
    assert mechanisms(Protocol.IMAP, imap) == ("PLAIN", "XOAUTH2", IMAP_LOGIN_COMMAND)
    disabled = ["* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED", "v1 OK"]
    assert mechanisms(Protocol.IMAP, disabled) == ()
    pop3 = ["+OK", "USER", "SASL PLAIN OAUTHBEARER", "."]
    assert mechanisms(Protocol.POP3, pop3) == (POP3_USER_COMMAND, "PLAIN", "OAUTHBEARER")
    smtp = ["250-mail.example.org", "250-AUTH LOGIN PLAIN", "250-AUTH=LOGIN", "250 SIZE 1"]
    assert mechanisms(Protocol.SMTP, smtp) == ("LOGIN", "PLAIN")


@pytest.mark.parametrize(
    ("auth", "offered", "missing"),
    [
        ((AuthMethod.PASSWORD,), ("PLAIN",), []),
        ((AuthMethod.APP_PASSWORD,), (IMAP_LOGIN_COMMAND,), []),
        ((AuthMethod.AUTHORIZATION_CODE,), ("XOAUTH2",), ["password (PLAIN or LOGIN)"]),
        ((AuthMethod.OAUTH2,), ("PLAIN", "LOGIN"), ["oauth2 (XOAUTH2 or OAUTHBEARER)"]),
        ((AuthMethod.OAUTH2, AuthMethod.PASSWORD), ("OAUTHBEARER", "LOGIN"), []),
        ((AuthMethod.CLIENT_CERT,), (), []),
    ],
)
def test_missing_auth(
    auth: tuple[AuthMethod, ...], offered: tuple[str, ...], missing: list[str]
) -> None:
    assert missing_auth(auth, offered) == missing


def test_judge_orders_problems() -> None:
    later = NOW + dt.timedelta(days=90)
    fine = Observed(not_after=later, mechanisms=("PLAIN",), capabilities_read=True)
    assert judge(target(), fine, NOW).check is Check.OK
    soon = Observed(not_after=NOW + dt.timedelta(days=3), capabilities_read=True)
    result = judge(target(), soon, NOW)
    assert result.check is Check.CERT_EXPIRING
    assert "2026-12-04" in result.detail
    oauth_only = Observed(not_after=later, mechanisms=("XOAUTH2",), capabilities_read=True)
    assert judge(target(), oauth_only, NOW).check is Check.AUTH_DIFFERS
    name = Observed(reason=Reason.TLS_CERTIFICATE, verify_code=62, message="x")
    assert judge(target(), name, NOW).check is Check.CERT_NAME
    expired = Observed(reason=Reason.TLS_CERTIFICATE, verify_code=10, message="expired")
    assert judge(target(), expired, NOW).check is Check.CERT_INVALID
    assert judge(target(), Observed(reason=Reason.PORT_PLAINTEXT), NOW).check is Check.TLS_MODE
    assert judge(target(), Observed(reason=Reason.DNS_NOT_FOUND), NOW).check is Check.UNRESOLVED
    assert judge(target(), Observed(reason=Reason.TLS_VERSION), NOW).check is Check.FAILED


def test_only_curated_records_are_contradicted() -> None:
    seen = Observed(reason=Reason.CONNECT_REFUSED)
    assert judge(target(), seen, NOW).contradicts_record
    assert not judge(target(curated=False), seen, NOW).contradicts_record
    assert not judge(
        target(), Observed(capabilities_read=True, mechanisms=("PLAIN",)), NOW
    ).contradicts_record


def test_offline_only_when_every_endpoint_failed_at_the_network() -> None:
    dead = [Result(target(), Check.UNRESOLVED, ""), Result(target(), Check.TIMEOUT, "")]
    assert offline(dead)
    assert not offline([*dead, Result(target(), Check.CERT_NAME, "")])
    assert not offline([])


def test_targets_merge_records_and_the_snapshot() -> None:
    servers = (("imap", "IMAP.example.org", 993, "tls"), ("smtp", "smtp.example.org", 465, "tls"))
    one = ProviderRecord.model_validate(tomllib.loads(provider_toml(servers=servers)))
    other = ProviderRecord.model_validate(
        tomllib.loads(provider_toml("other.org", domains=("other.org",), servers=servers))
    )
    snapshot = IspdbSnapshot(
        SnapshotOrigin.model_validate(
            {
                "origin": "https://example.org/ispdb",
                "date": "2026-11-01",
                "license": "MPL-2.0",
                "files": 1,
                "files_skipped": 0,
                "providers": 1,
                "domains": 1,
                "servers": 2,
                "servers_dropped": 0,
                "servers_ignored": 0,
            }
        ),
        SnapshotData.model_validate(
            {
                "format": 1,
                "providers": [
                    {
                        "id": "snap",
                        "domains": ["snap.org"],
                        "servers": [
                            {
                                "protocol": "imap",
                                "host": "imap.%EMAILDOMAIN%",
                                "port": 993,
                                "security": "tls",
                                "username": "%EMAILADDRESS%",
                                "auth": ["password"],
                            },
                            {
                                "protocol": "smtp",
                                "host": "smtp.example.org",
                                "port": 465,
                                "security": "tls",
                                "username": "%EMAILADDRESS%",
                                "auth": ["oauth2"],
                            },
                        ],
                    }
                ],
            }
        ),
    )
    found = {(t.protocol.value, t.host, t.port): t for t in targets([one, other], snapshot)}
    assert set(found) == {
        ("imap", "imap.example.org", 993),
        ("smtp", "smtp.example.org", 465),
        ("imap", "imap.snap.org", 993),
    }
    smtp = found[("smtp", "smtp.example.org", 465)]
    assert smtp.providers == ("example.org", "other.org", "ispdb:snap")
    assert smtp.curated
    assert smtp.auth == {AuthMethod.PASSWORD, AuthMethod.OAUTH2}
    assert not found[("imap", "imap.snap.org", 993)].curated
