"""The diagnosis without sockets: the catalogue in both languages, the providers' own
error strings, the certificate-chain rule, and what each kind of failure becomes."""

from __future__ import annotations

import datetime as dt
import re
import string
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir

from app.models import Protocol, Security, ServerEndpoint
from app.paths import DATA_DIR
from app.probe import Code, ProbeResult, Severity, diagnose, wire
from app.probe.catalogue import CATALOGUE
from app.probe.report import (
    AuthOutcome,
    AuthStatus,
    CertificateInfo,
    ErrorInfo,
    Mechanism,
    NotAttempted,
    Reason,
    StepResult,
    TLSInfo,
    TLSPolicy,
)
from app.probe.serverwords import server_says
from app.probe.tls import certificate_problem
from app.probe.wording import render
from app.providers.db import ProviderDB

from .results import EP, make

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def providers() -> ProviderDB:
    return ProviderDB.from_dir(DATA_DIR)


def failed(text: str) -> ProbeResult:
    return make(auth=AuthOutcome(status=AuthStatus.FAILED, detail=text))


def codes(result: ProbeResult, account: Any = None) -> list[Code]:
    return [f.code for f in diagnose(result, account)]


def names(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


# -- the catalogue ---------------------------------------------------------------------------


def test_every_code_has_an_entry() -> None:
    assert set(CATALOGUE) == set(Code)


def test_babel_extracts_every_english_text() -> None:
    catalogue_dir = DATA_DIR.parent / "app" / "probe" / "catalogue"
    extracted = extract_from_dir(str(catalogue_dir), [("**.py", "python")], keywords={"N_": None})
    ids = {message for _file, _line, message, *_rest in extracted}
    for entry in CATALOGUE.values():
        assert entry.message in ids
        assert entry.fix in ids


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-CN", "zh-Hant", "fr"])
def test_every_code_renders_in_any_language(lang: str) -> None:
    chinese = lang.startswith("zh")
    tls = TLSInfo(via="implicit", version="TLSv1", cipher=None, verify_code=10, chain=(LEAF,))
    result = make(tls=tls, error=ErrorInfo(type="X", message="m", speaks="HTTP"))
    for code in Code:
        entry = CATALOGUE[code]
        finding = render(code, result, lang=lang)
        assert finding.severity is entry.severity
        outside_brackets = re.sub(r"\([^)]*\)", "", finding.message)  # "(授权码)" may stay
        assert bool(CJK.search(outside_brackets)) == chinese
        assert "{" not in finding.message
        assert "{" not in finding.fix


# -- providers' own words -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("NO SELECT Unsafe Login. Please contact kefu@188.com for help", Code.UNSAFE_LOGIN),
        ("NO LOGIN Login error or password error", None),  # Coremail: the record decides
        ("535 Error: authentication failed", None),  # NetEase SMTP: the record decides
        (
            "535 Login Fail. Please enter your authorization code to login. More information in "
            "https://service.mail.qq.com/detail/0/53",
            Code.AUTH_NEEDS_AUTHORIZATION_CODE,
        ),
        (
            wire.decode("535 Error: 请使用授权码登录".encode("gbk")),
            Code.AUTH_NEEDS_AUTHORIZATION_CODE,
        ),
        (
            "535 Login fail. Account is abnormal, service is not open, password is incorrect, "
            "login frequency limited, or system is busy.",
            Code.SERVICE_DISABLED,
        ),
        ("NO Please using authorized code to login.", Code.AUTH_NEEDS_AUTHORIZATION_CODE),
        ("NO Authorized code is incorrect", Code.AUTH_NEEDS_AUTHORIZATION_CODE),
        ("NO Login fail. Please using weixin token to login", Code.AUTH_WECHAT_SECURE_LOGIN),
        ("530 Error: A secure connection is requiered(such as ssl).",
         Code.PLAINTEXT_LOGIN_REFUSED),
        ("-ERR Login fail. A secure connection is requiered(such as ssl)",
         Code.PLAINTEXT_LOGIN_REFUSED),
        ("NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) "
         "connections.", Code.PLAINTEXT_LOGIN_REFUSED),
        ("NO ERR.LOGIN.IPDENY", Code.LOGIN_IP_DENIED),
        ("NO [ALERT] Application-specific password required: "
         "https://support.google.com/accounts/answer/185833 (Failure)",
         Code.AUTH_NEEDS_APP_PASSWORD),
        ("-ERR [SYS/PERM] Your account is not enabled for POP access. Please visit your Gmail "
         "settings page and enable your account for POP access.", Code.SERVICE_DISABLED),
        ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
         Code.AUTH_NEEDS_OAUTH2),
        ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
         "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
         "[MW4PR03CA0000.namprd03.prod.outlook.com]", Code.SMTP_AUTH_OFF_TENANT),
        ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
         "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.",
         Code.SMTP_AUTH_OFF_MAILBOX),
        ("535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
         "security defaults policy. Contact your administrator.", Code.AUTH_NEEDS_OAUTH2),
        ("535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
         "authenticated successfully. Contact your administrator.", Code.AUTH_NEEDS_OAUTH2),
        ("NO [AUTHENTICATIONFAILED] Authentication failed.", None),
    ],
)  # fmt: skip
def test_server_strings(text: str, code: Code | None) -> None:
    assert server_says(text) is code


@pytest.mark.parametrize(
    ("provider", "text", "code"),
    [
        ("163.com", "NO LOGIN Login error or password error",
         Code.AUTH_NEEDS_AUTHORIZATION_CODE),
        ("qq.com", "535 Login fail. Account is abnormal, service is not open",
         Code.SERVICE_DISABLED),
        ("outlook.com", "NO AUTHENTICATE failed.", Code.AUTH_NEEDS_OAUTH2),
        ("gmail.com", "NO [AUTHENTICATIONFAILED] Invalid credentials",
         Code.AUTH_NEEDS_APP_PASSWORD),
        ("gmx.net", "NO [AUTHENTICATIONFAILED] Authentication failed.", Code.AUTH_FAILED),
    ],
)  # fmt: skip
def test_the_provider_reads_a_refusal(
    providers: ProviderDB, provider: str, text: str, code: Code
) -> None:
    record = providers.get(provider)
    assert record is not None
    finding = diagnose(failed(text), record)[0]
    assert finding.code is code
    assert finding.detail == text
    if record.steps:
        assert record.steps[0].text.en in finding.fix


def test_exmail_wechat_login_has_its_own_fix(providers: ProviderDB) -> None:
    record = providers.get("exmail.qq.com")
    result = failed("NO Login fail. Please using weixin token to login")
    (finding,) = diagnose(result, record, lang="zh-Hans")
    assert finding.code is Code.AUTH_WECHAT_SECURE_LOGIN
    assert "客户端专用密码" in finding.fix


# -- the certificate chain -------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
LEAF = CertificateInfo(
    subject="CN=mail.example.com",
    issuer="CN=Example Intermediate",
    sans=("mail.example.com",),
    not_before=NOW - dt.timedelta(days=10),
    not_after=NOW + dt.timedelta(days=80),
    serial="1",
    sha256="0" * 64,
    self_signed=False,
    ca=False,
)
AIA_LEAF = LEAF.model_copy(update={"ca_issuers": ("http://ca.example/i.der",)})
INTERMEDIATE = LEAF.model_copy(
    update={"subject": "CN=Example Intermediate", "issuer": "CN=Example Root", "ca": True}
)
ROOT = INTERMEDIATE.model_copy(update={"subject": "CN=Example Root", "self_signed": True})


@pytest.mark.parametrize(
    ("verify_code", "chain", "code"),
    [
        (10, (LEAF,), Code.CERT_EXPIRED),
        (9, (LEAF,), Code.CERT_NOT_YET_VALID),
        (18, (LEAF,), Code.CERT_SELF_SIGNED),
        (62, (LEAF,), Code.CERT_HOSTNAME_MISMATCH),
        (64, (LEAF,), Code.CERT_HOSTNAME_MISMATCH),
        (19, (LEAF, INTERMEDIATE, ROOT), Code.CERT_UNKNOWN_ISSUER),
        (20, (AIA_LEAF,), Code.CERT_MISSING_INTERMEDIATE),
        (21, (AIA_LEAF,), Code.CERT_MISSING_INTERMEDIATE),
        (20, (LEAF,), Code.CERT_UNKNOWN_ISSUER),  # no AIA: a private CA issues leaves like this
        (20, (AIA_LEAF, INTERMEDIATE), Code.CERT_UNKNOWN_ISSUER),  # intermediates were sent
        (20, (), Code.CERT_UNKNOWN_ISSUER),  # the second handshake did not happen
        (26, (LEAF,), Code.CERT_INVALID),  # unsuitable purpose
    ],
)
def test_certificate_problem(
    verify_code: int, chain: tuple[CertificateInfo, ...], code: Code
) -> None:
    tls = TLSInfo(
        via="implicit", policy=TLSPolicy.INSPECT, version="TLSv1.3", cipher="x",
        verify_code=verify_code, verify_message="m", chain=chain,
    )  # fmt: skip
    assert certificate_problem(tls) is code
    assert certificate_problem(tls.model_copy(update={"verified": True})) is None


def test_hostname_mismatch_names_the_certificate_names() -> None:
    tls = TLSInfo(via="implicit", version=None, cipher=None, verify_code=62, chain=(LEAF,))
    (finding, *_rest) = diagnose(make(tls=tls))
    assert finding.message == (
        "The certificate of imap.example.com is for other names: mail.example.com."
    )


# -- every way to fail -----------------------------------------------------------------------

REASONS = {
    Reason.GUARD_REFUSED: Code.GUARD_REFUSED,
    Reason.DNS_NOT_FOUND: Code.DNS_NOT_FOUND,
    Reason.DNS_TIMEOUT: Code.DNS_TIMEOUT,
    Reason.CONNECT_REFUSED: Code.CONNECTION_REFUSED,
    Reason.CONNECT_TIMEOUT: Code.CONNECTION_TIMEOUT,
    Reason.CONNECT_FAILED: Code.CONNECTION_FAILED,
    Reason.CLOSED: Code.SERVER_CLOSED,
    Reason.SILENT: Code.SERVER_SILENT,
    Reason.SLOW: Code.SERVER_SLOW,
    Reason.OVERSIZED: Code.SERVER_OVERSIZED,
    Reason.PROTOCOL_VIOLATION: Code.PROTOCOL_VIOLATION,
    Reason.WRONG_PROTOCOL: Code.WRONG_PROTOCOL,
    Reason.PORT_PLAINTEXT: Code.PORT_PLAINTEXT,
    Reason.PORT_NEEDS_TLS: Code.PORT_NEEDS_TLS,
    Reason.SESSION_REFUSED: Code.SERVER_REFUSED_SESSION,
    Reason.STARTTLS_NOT_OFFERED: Code.STARTTLS_NOT_OFFERED,
    Reason.STARTTLS_REFUSED: Code.STARTTLS_REFUSED,
    Reason.TLS_CERTIFICATE: Code.CERT_INVALID,  # no verdict recorded: the catch-all
    Reason.TLS_VERSION: Code.TLS_HANDSHAKE_FAILED,  # even the legacy handshake failed
    Reason.TLS_GARBLED: Code.TLS_GARBLED,
    Reason.TLS_HANDSHAKE: Code.TLS_HANDSHAKE_FAILED,
    Reason.SERVICE_BUSY: Code.SERVICE_BUSY,  # the tester's capacity, never the server's
    Reason.OTHER: Code.PROBE_ERROR,
}


def test_every_reason_is_covered() -> None:
    assert set(REASONS) == set(Reason)


@pytest.mark.parametrize(("reason", "code"), list(REASONS.items()))
def test_each_failure_becomes_its_finding(reason: Reason, code: Code) -> None:
    error = ErrorInfo(type="ProbeError", message="imap.example.com:993: boom", reason=reason)
    (finding,) = diagnose(make(error=error))
    assert finding.code is code
    assert finding.severity is Severity.ERROR
    assert finding.detail == error.message


def test_a_session_refused_in_the_providers_words() -> None:
    error = ErrorInfo(
        type="ProbeConnectError",
        message="the server refused the session: 530 A secure connection is requiered",
        reason=Reason.SESSION_REFUSED,
    )
    assert codes(make(error=error)) == [Code.PLAINTEXT_LOGIN_REFUSED]


@pytest.mark.parametrize(
    ("why", "security", "capabilities", "mechanisms", "code"),
    [
        (NotAttempted.LOGINDISABLED, Security.NONE, ("LOGINDISABLED",), (),
         Code.PLAINTEXT_LOGIN_REFUSED),
        (NotAttempted.NOT_OFFERED, Security.NONE, ("IMAP4REV1", "STARTTLS"), (),
         Code.PLAINTEXT_LOGIN_REFUSED),
        (NotAttempted.NOT_OFFERED, Security.NONE, ("STLS", "TOP"), (),
         Code.PLAINTEXT_LOGIN_REFUSED),
        (NotAttempted.PLAINTEXT, Security.NONE, ("USER",), (),
         Code.PASSWORD_NOT_SENT_PLAINTEXT),
        (NotAttempted.PLAINTEXT, Security.NONE, ("LOGINDISABLED", "AUTH=PLAIN"), (),
         Code.PLAINTEXT_LOGIN_REFUSED),
        (NotAttempted.NOT_OFFERED, Security.TLS, ("AUTH=XOAUTH2",), ("XOAUTH2",),
         Code.AUTH_NEEDS_OAUTH2),
        (NotAttempted.NOT_OFFERED, Security.TLS, ("SIZE 10",), (), Code.AUTH_NOT_OFFERED),
        (NotAttempted.INSECURE_TLS, Security.TLS, (), (), Code.PASSWORD_NOT_SENT_TLS),
    ],
)  # fmt: skip
def test_why_the_password_was_not_sent(
    why: NotAttempted,
    security: Security,
    capabilities: tuple[str, ...],
    mechanisms: tuple[str, ...],
    code: Code,
) -> None:
    endpoint = EP.model_copy(update={"security": security, "port": 143})
    auth = AuthOutcome(status=AuthStatus.NOT_ATTEMPTED, not_attempted=why, detail="why")
    result = make(
        endpoint=endpoint, auth=auth, capabilities=capabilities, auth_mechanisms=mechanisms
    )
    assert codes(result) == [code]


def test_unsafe_login_after_a_good_password() -> None:
    steps = (
        StepResult(name="login", ok=True, duration_ms=1),
        StepResult(name="examine", ok=False, duration_ms=1, detail="NO SELECT Unsafe Login."),
    )
    result = make(auth=AuthOutcome(status=AuthStatus.OK), steps=steps)
    assert codes(result) == [Code.UNSAFE_LOGIN]


def test_errors_come_first_and_each_code_once() -> None:
    tls = TLSInfo(via="starttls", version="TLSv1", cipher="x", verified=True, chain=(LEAF,))
    result = make(
        tls=tls,
        starttls_discarded_bytes=12,
        auth=AuthOutcome(status=AuthStatus.NOT_ATTEMPTED, not_attempted=NotAttempted.INSECURE_TLS),
        error=ErrorInfo(type="ProbeTLSError", message="m", reason=Reason.TLS_HANDSHAKE),
    )
    assert codes(result) == [
        Code.TLS_OUTDATED,  # the legacy handshake explains the failed strict one
        Code.STARTTLS_INJECTION,
        Code.PASSWORD_NOT_SENT_TLS,
    ]


def test_a_server_failure_after_a_good_login_is_the_servers() -> None:
    reply = "421 4.4.0 mail.test Failed to connect to relay server (connect)"
    steps = (
        StepResult(name="login", ok=True, duration_ms=1, detail="235 2.7.0 Logged in."),
        StepResult(name="quit", ok=False, duration_ms=1, detail=reply),
    )
    result = make(auth=AuthOutcome(status=AuthStatus.OK), steps=steps)
    (finding,) = diagnose(result)
    assert finding.code is Code.SERVER_ERROR
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith("The login works. imap.example.com")
    assert "“quit”" in finding.message
    assert f"“{reply}”" in finding.message
    assert "operator" in finding.fix
    assert finding.detail == reply
    (chinese,) = diagnose(result, lang="zh-Hans")
    assert chinese.message.startswith("登录成功。")
    assert reply in chinese.message
    (traditional,) = diagnose(result, lang="zh-Hant")
    assert traditional.message.startswith("登入成功。")
    assert "「quit」" in traditional.message


def test_a_server_failure_before_any_login_does_not_say_the_login_works() -> None:
    steps = (StepResult(name="quit", ok=False, duration_ms=1, detail="-ERR odd"),)
    (finding,) = diagnose(make(steps=steps))
    assert finding.code is Code.SERVER_ERROR
    assert finding.message.startswith("imap.example.com")


def test_a_quoted_reply_goes_through_quote_and_is_cut_short() -> None:
    long = "-ERR " + "x" * 500
    steps = (StepResult(name="quit", ok=False, duration_ms=1, detail=long),)
    result = make(auth=AuthOutcome(status=AuthStatus.OK), steps=steps)
    (finding,) = diagnose(result)
    assert long[:200] + "…" in finding.message
    assert long not in finding.message
    (withheld,) = diagnose(result, quote=lambda text: "[withheld]")
    assert "“[withheld]”" in withheld.message
    assert "xxx" not in withheld.message


def test_a_failure_nothing_explains_is_the_testers_own() -> None:
    result = make(steps=(StepResult(name="peek", ok=False, duration_ms=1, detail="odd"),))
    (finding,) = diagnose(result)
    assert finding.code is Code.PROBE_ERROR
    assert "fault of ours" in finding.message
    assert finding.detail == "odd"


def test_a_refused_apop_login_is_not_called_a_wrong_password(providers: ProviderDB) -> None:
    auth = AuthOutcome(status=AuthStatus.FAILED, mechanism=Mechanism.APOP, detail="-ERR [AUTH] no")
    pop3 = ServerEndpoint(
        protocol=Protocol.POP3, host="pop.qq.com", port=110, security=Security.NONE
    )
    result = make(endpoint=pop3, auth=auth)
    assert codes(result) == [Code.APOP_REFUSED]
    assert codes(result, providers.get("qq.com")) == [Code.APOP_REFUSED]  # not 授权码
    failed_user_pass = result.model_copy(
        update={"auth": auth.model_copy(update={"mechanism": Mechanism.COMMAND})}
    )
    assert codes(failed_user_pass) == [Code.AUTH_FAILED]


@pytest.mark.parametrize("security", list(Security))
def test_every_plain_connection_that_greeted_is_called_unencrypted(security: Security) -> None:
    endpoint = EP.model_copy(update={"security": security, "port": 143})
    greeted = (StepResult(name="greeting", ok=True, duration_ms=1),)
    tls = None if security is Security.NONE else TLSInfo(via="x", version="TLSv1.3", cipher="c")
    result = make(
        endpoint=endpoint, ok=True, auth=AuthOutcome(status=AuthStatus.OK), steps=greeted, tls=tls
    )
    unencrypted = security is Security.NONE
    assert (Code.CONNECTION_UNENCRYPTED in codes(result)) == unencrypted
    silent = result.model_copy(
        update={"steps": (StepResult(name="greeting", ok=False, duration_ms=1),)}
    )
    assert Code.CONNECTION_UNENCRYPTED not in codes(silent)


def test_a_clean_result_has_no_findings() -> None:
    tls = TLSInfo(via="implicit", version="TLSv1.3", cipher="x", verified=True, chain=(LEAF,))
    ok = make(ok=True, auth=AuthOutcome(status=AuthStatus.OK), tls=tls)
    assert diagnose(ok) == ()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\x16\x03\x01\x02\x00", "TLS"),
        (b"\x15\x03\x03\x00\x02\x02\x46", "TLS"),
        (b"HTTP/1.1 400 Bad Request\r\n", "HTTP"),
        (b"SSH-2.0-OpenSSH_9.2\r\n", "SSH"),
        (b"* OK [CAPABILITY IMAP4rev1] ready\r\n", "IMAP"),
        (b"+OK POP3 ready\r\n", "POP3"),
        (b"-ERR go away\r\n", "POP3"),
        (b"220 mail.example.com ESMTP\r\n", "SMTP"),
        (b"220-mail.example.com ESMTP\r\n", "SMTP"),
        (b"\x00\xff\x13\x37", None),
        (b"", None),
    ],
)
def test_identify(data: bytes, name: str | None) -> None:
    assert wire.identify(data) == name


def test_weak_tls_when_only_the_relaxed_handshake_worked() -> None:
    tls = TLSInfo(
        via="implicit", policy=TLSPolicy.LEGACY, version="TLSv1.2", cipher="AES128-SHA",
        verified=True, chain=(LEAF,),
    )  # fmt: skip
    error = ErrorInfo(type="ProbeTLSError", message="m", reason=Reason.TLS_HANDSHAKE)
    assert codes(make(tls=tls, error=error)) == [Code.TLS_WEAK]
    certificate_only = error.model_copy(update={"reason": Reason.TLS_CERTIFICATE})
    inspected = tls.model_copy(
        update={"policy": TLSPolicy.INSPECT, "verified": False, "verify_code": 18}
    )
    assert codes(make(tls=inspected, error=certificate_only)) == [Code.CERT_SELF_SIGNED]


def test_a_plain_refusal_keeps_the_generic_advice_before_the_providers_steps(
    providers: ProviderDB,
) -> None:
    record = providers.get("gmx.net")
    assert record is not None
    assert record.steps
    (finding,) = diagnose(failed("NO [AUTHENTICATIONFAILED] Authentication failed."), record)
    assert finding.code is Code.AUTH_FAILED
    generic, steps = finding.fix.split("\n", 1)
    assert "full email address" in generic
    assert record.steps[0].text.en in steps


def test_a_refused_apop_behind_stls_means_no_login_before_tls() -> None:
    auth = AuthOutcome(status=AuthStatus.FAILED, mechanism=Mechanism.APOP, detail="-ERR state")
    pop3 = ServerEndpoint(protocol=Protocol.POP3, host="pop.test", port=110, security=Security.NONE)
    hidden = make(endpoint=pop3, auth=auth, capabilities=("STLS", "XTLSREQUIRED", "TOP"))
    assert codes(hidden) == [Code.PLAINTEXT_LOGIN_REFUSED]
    offered = hidden.model_copy(update={"capabilities": ("STLS", "USER")})
    assert codes(offered) == [Code.APOP_REFUSED]
