"""Findings against real servers: the provider's own fix for a refused password, and
plain-text login refused by Dovecot and aiosmtpd."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.models import AccountConfig, Protocol, Security
from app.net.guard import Streams
from app.paths import DATA_DIR
from app.probe import Code, Finding, Mechanism, ProbeResult, diagnose
from app.providers.db import ProviderDB, to_account_config
from app.providers.schema import ProviderRecord
from app.settings import Settings
from tests.servers import WRONG_PASSWORD, SmtpServers

from .realprobe import run

pytestmark = pytest.mark.realserver

# (listener, protocol, security): one of each protocol.
WRONG_PASSWORD_AT = [
    ("imaps", Protocol.IMAP, Security.TLS),
    ("pop3s", Protocol.POP3, Security.TLS),
    ("implicit", Protocol.SMTP, Security.TLS),
]


@pytest.fixture(scope="module")
def providers() -> ProviderDB:
    return ProviderDB.from_dir(DATA_DIR)


@pytest.fixture
def ports(dovecot: dict[str, int], smtpd: SmtpServers) -> dict[str, int]:
    return {**dovecot, "starttls": smtpd.starttls, "implicit": smtpd.implicit}


def the(code: Code, result: ProbeResult | tuple[Finding, ...]) -> Finding:
    findings = result.findings if isinstance(result, ProbeResult) else result
    matching = [f for f in findings if f.code is code]
    assert len(matching) == 1, findings
    return matching[0]


def assert_steps_in_fix(finding: Finding, account: AccountConfig, lang: str) -> None:
    assert account.steps
    assert any(step.path for step in account.steps)
    for step in account.steps:
        assert step.text.get(lang) in finding.fix
        if step.path is not None:  # a step without a sourced menu path has none
            assert step.path.get(lang) in finding.fix


@pytest.mark.parametrize(("listener", "protocol", "security"), WRONG_PASSWORD_AT)
async def test_wrong_password_at_qq_names_qq_steps(
    ports: dict[str, int],
    probe_settings: Settings,
    providers: ProviderDB,
    listener: str,
    protocol: Protocol,
    security: Security,
) -> None:
    record = providers.get("qq.com")
    assert record is not None
    account = to_account_config(record, "qq.com")
    result = await run(
        ports, probe_settings, listener, protocol, security,
        password=WRONG_PASSWORD, account=account,
    )  # fmt: skip
    english = the(Code.AUTH_NEEDS_AUTHORIZATION_CODE, result)
    assert english.severity == "error"
    assert "QQ Mail" in english.message
    assert_steps_in_fix(english, account, "en")
    assert english.detail == result.auth.detail  # the server's own words, untranslated

    chinese = the(Code.AUTH_NEEDS_AUTHORIZATION_CODE, diagnose(result, account, lang="zh-Hans"))
    assert "QQ邮箱" in chinese.message
    assert "授权码" in chinese.message
    assert_steps_in_fix(chinese, account, "zh-Hans")


async def test_findings_come_in_the_language_asked_for(
    ports: dict[str, int], probe_settings: Settings, providers: ProviderDB
) -> None:
    record = providers.get("qq.com")
    assert record is not None
    account = to_account_config(record, "qq.com")
    result = await run(
        ports, probe_settings, "imaps", Protocol.IMAP, Security.TLS,
        password=WRONG_PASSWORD, account=account, lang="zh-Hans",
    )  # fmt: skip
    assert_steps_in_fix(the(Code.AUTH_NEEDS_AUTHORIZATION_CODE, result), account, "zh-Hans")


async def test_a_provider_record_works_as_the_account(
    ports: dict[str, int], probe_settings: Settings, providers: ProviderDB
) -> None:
    record = providers.get("163.com")
    assert isinstance(record, ProviderRecord)
    result = await run(
        ports, probe_settings, "implicit", Protocol.SMTP, Security.TLS,
        password=WRONG_PASSWORD, account=record,
    )  # fmt: skip
    finding = the(Code.AUTH_NEEDS_AUTHORIZATION_CODE, result)
    assert "NetEase 163 Mail" in finding.message
    for step in record.steps:
        assert step.text.en in finding.fix


async def test_without_a_provider_the_fix_is_generic(
    ports: dict[str, int], probe_settings: Settings
) -> None:
    result = await run(
        ports, probe_settings, "imaps", Protocol.IMAP, Security.TLS, password=WRONG_PASSWORD
    )
    assert "full email address" in the(Code.AUTH_FAILED, result).fix


async def test_wrong_secret_never_reaches_the_findings(
    ports: dict[str, int], probe_settings: Settings, providers: ProviderDB
) -> None:
    record = providers.get("qq.com")
    assert record is not None
    secret = 'wrong "pässwörd" 授权码 {1}'  # quotes, non-ASCII, a brace a formatter might eat
    result = await run(
        ports, probe_settings, "imaps", Protocol.IMAP, Security.TLS,
        password=secret, account=record, mechanism=Mechanism.COMMAND,
    )  # fmt: skip
    assert result.findings
    for lang in ("en", "zh-Hans"):
        dumped = json.dumps(
            [f.model_dump() for f in diagnose(result, record, lang=lang)], ensure_ascii=False
        )
        assert secret not in dumped
        assert "pässwörd" not in dumped
    assert "pässwörd" not in result.model_dump_json()


# -- plain-text login refused (Dovecot sees 127.0.0.2 as insecure) -----------------------


async def from_127_0_0_2(ip: str, port: int) -> Streams:
    return await asyncio.open_connection(ip, port, local_addr=("127.0.0.2", 0))


@pytest.mark.parametrize(
    ("listener", "protocol", "mechanism"),
    [
        ("imap", Protocol.IMAP, Mechanism.AUTO),
        ("imap", Protocol.IMAP, Mechanism.COMMAND),
        ("pop3", Protocol.POP3, Mechanism.COMMAND),
        ("pop3", Protocol.POP3, Mechanism.PLAIN),
    ],
)
async def test_dovecot_refuses_plaintext_login(
    ports: dict[str, int],
    probe_settings: Settings,
    listener: str,
    protocol: Protocol,
    mechanism: Mechanism,
) -> None:
    result = await run(
        ports, probe_settings, listener, protocol, Security.NONE,
        mechanism=mechanism, allow_plaintext_auth=True, connector=from_127_0_0_2,
    )  # fmt: skip
    assert [f.code for f in result.findings] == [
        Code.PLAINTEXT_LOGIN_REFUSED,
        Code.CONNECTION_UNENCRYPTED,
    ]
    assert "SSL/TLS" in result.findings[0].fix


async def test_smtp_without_starttls_offers_no_login(
    ports: dict[str, int], probe_settings: Settings
) -> None:
    # aiosmtpd with require_starttls hides AUTH until STARTTLS, like most submission servers.
    result = await run(
        ports, probe_settings, "starttls", Protocol.SMTP, Security.NONE, allow_plaintext_auth=True
    )
    assert [f.code for f in result.findings] == [
        Code.PLAINTEXT_LOGIN_REFUSED,
        Code.CONNECTION_UNENCRYPTED,
    ]
