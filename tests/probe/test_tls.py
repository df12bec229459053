"""TLS inspection against real servers: every certificate problem and old TLS
version gets its own finding, and no password crosses an unverified session."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

from app.models import Protocol, Security, ServerEndpoint
from app.probe import AuthStatus, Code, ProbeResult, probe
from app.probe.report import NotAttempted, TLSPolicy
from app.settings import Settings
from tests.servers import USERS, Certificates

from .conftest import FakeResolver, make_settings
from .realprobe import client_verbs
from .tlscases import (
    AIA_URL,
    NOW,
    blocking_pop3s,
    from_trustme,
    leaf_with_aia,
    self_signed,
    server_context,
    smtps,
)

pytestmark = pytest.mark.realserver

ALICE = "alice@mail.test"
CERT_CODES = {c for c in Code if c.value.startswith("tls-")}


@pytest.fixture(scope="module")
def cases(
    certs: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, int]]:
    """Port by case. The trusted root is the session's test CA (``certs``)."""
    directory = tmp_path_factory.mktemp("tlscases")
    root, stranger = certs.ca, trustme.CA()
    intermediate, stranger_intermediate = root.create_child_ca(), stranger.create_child_ca()
    good = from_trustme(intermediate.issue_cert("mail.test"))
    smtp_cases = {
        "good": good,
        "expired": from_trustme(root.issue_cert("mail.test", not_after=NOW - dt.timedelta(days=3))),
        "expiring": from_trustme(
            root.issue_cert("mail.test", not_after=NOW + dt.timedelta(days=5))
        ),
        "not-yet-valid": from_trustme(
            root.issue_cert("mail.test", not_before=NOW + dt.timedelta(days=2))
        ),
        "self-signed": self_signed(),
        "unknown-issuer": from_trustme(stranger_intermediate.issue_cert("mail.test")),
        "missing-intermediate": leaf_with_aia(intermediate),
    }
    with contextlib.ExitStack() as stack:
        ports = {
            name: stack.enter_context(smtps(server_context(cert, directory, name)))
            for name, cert in smtp_cases.items()
        }
        old = server_context(good, directory, "tls10", old="TLSv1")
        ports["tls1.0"] = stack.enter_context(smtps(old))
        old11 = server_context(good, directory, "tls11", old="TLSv1_1")
        ports["tls1.1"] = stack.enter_context(blocking_pop3s(old11))
        yield ports


async def run(
    port: int,
    settings: Settings,
    *,
    protocol: Protocol = Protocol.SMTP,
    host: str = "mail.test",
    **kwargs: Any,
) -> ProbeResult:
    ep = ServerEndpoint(protocol=protocol, host=host, port=port, security=Security.TLS)
    resolver = FakeResolver({host: ["127.0.0.1"]})
    return await probe(ep, ALICE, USERS[ALICE], settings=settings, resolver=resolver, **kwargs)


def codes(result: ProbeResult) -> list[Code]:
    return [f.code for f in result.findings]


async def test_good_chain_is_inspected(cases: dict[str, int], probe_settings: Settings) -> None:
    result = await run(cases["good"], probe_settings)
    assert result.ok, result.findings
    assert result.findings == ()
    tls = result.tls
    assert tls is not None
    assert tls.verified
    assert tls.policy is TLSPolicy.STRICT
    assert tls.version in {"TLSv1.2", "TLSv1.3"}
    assert tls.cipher
    leaf, intermediate = tls.chain  # as the server sent it: leaf, then the intermediate
    assert leaf.sans == ("mail.test",)
    assert leaf.issuer == intermediate.subject
    assert intermediate.ca
    assert not leaf.ca
    assert not leaf.self_signed
    assert (tls.days_to_expiry or 0) > 360  # trustme's certificates last until 3000
    assert len(leaf.sha256) == 64


CERTIFICATE_CASES = [
    ("expired", Code.CERT_EXPIRED, 10, 1),
    ("not-yet-valid", Code.CERT_NOT_YET_VALID, 9, 1),
    ("self-signed", Code.CERT_SELF_SIGNED, 18, 1),
    ("unknown-issuer", Code.CERT_UNKNOWN_ISSUER, 20, 2),
    ("missing-intermediate", Code.CERT_MISSING_INTERMEDIATE, 20, 1),
]


@pytest.mark.parametrize(("case", "code", "verify_code", "sent"), CERTIFICATE_CASES)
async def test_certificate_problem_has_its_own_finding(
    cases: dict[str, int],
    probe_settings: Settings,
    case: str,
    code: Code,
    verify_code: int,
    sent: int,
) -> None:
    result = await run(cases[case], probe_settings)
    assert [c for c in codes(result) if c in CERT_CODES] == [code]
    assert result.findings[0].code is code  # the error comes first
    assert result.tls is not None
    assert result.tls.verify_code == verify_code
    assert not result.tls.verified
    assert len(result.tls.chain) == sent  # read from the unverified second handshake
    _assert_password_withheld(result)


async def test_missing_intermediate_is_told_by_the_chain_sent(
    cases: dict[str, int], probe_settings: Settings
) -> None:
    missing = await run(cases["missing-intermediate"], probe_settings)
    unknown = await run(cases["unknown-issuer"], probe_settings)
    assert missing.tls is not None
    assert unknown.tls is not None
    # OpenSSL says the same for both; the chains differ.
    assert missing.tls.verify_code == unknown.tls.verify_code == 20
    assert missing.tls.chain[0].ca_issuers == (AIA_URL,)
    assert not any(c.ca for c in missing.tls.chain)
    assert unknown.tls.chain[1].ca


async def test_hostname_mismatch(cases: dict[str, int], probe_settings: Settings) -> None:
    result = await run(cases["good"], probe_settings, host="wrong.test")
    assert [c for c in codes(result) if c in CERT_CODES] == [Code.CERT_HOSTNAME_MISMATCH]
    finding = result.findings[0]
    assert "mail.test" in finding.message  # the names the certificate is for
    assert "wrong.test" in finding.message
    assert result.tls is not None
    assert result.tls.verify_code == 62
    _assert_password_withheld(result)


@pytest.mark.parametrize(("case", "version"), [("tls1.0", "TLSv1"), ("tls1.1", "TLSv1.1")])
async def test_old_tls_has_its_own_finding(
    cases: dict[str, int], probe_settings: Settings, case: str, version: str
) -> None:
    protocol = Protocol.POP3 if case == "tls1.1" else Protocol.SMTP
    result = await run(cases[case], probe_settings, protocol=protocol)
    assert [c for c in codes(result) if c in CERT_CODES] == [Code.TLS_OUTDATED]
    assert result.tls is not None
    assert result.tls.version == version  # it really negotiated the old version
    assert result.tls.policy is TLSPolicy.LEGACY
    assert result.tls.verified  # the certificate is fine; only the version is not
    assert version in result.findings[0].message
    _assert_password_withheld(result)


async def test_certificate_expiring_soon_is_a_warning(
    cases: dict[str, int], probe_settings: Settings
) -> None:
    result = await run(cases["expiring"], probe_settings)
    assert result.ok
    assert codes(result) == [Code.CERT_EXPIRING]
    assert result.findings[0].severity == "warning"
    assert result.tls is not None
    assert result.tls.days_to_expiry in {4, 5}


async def test_caller_may_send_the_password_anyway(
    cases: dict[str, int], probe_settings: Settings
) -> None:
    result = await run(cases["self-signed"], probe_settings, allow_invalid_certificate=True)
    assert result.auth.status is AuthStatus.OK
    assert not result.ok  # the certificate is still wrong
    assert codes(result) == [Code.CERT_SELF_SIGNED]


async def test_starttls_with_a_bad_certificate(
    smtpd_ports: tuple[int, int], certs: Certificates
) -> None:
    settings = make_settings(None)  # the test CA is not trusted here
    ep = ServerEndpoint(
        protocol=Protocol.SMTP, host="mail.test", port=smtpd_ports[0], security=Security.STARTTLS
    )
    resolver = FakeResolver({"mail.test": ["127.0.0.1"]})
    result = await probe(ep, ALICE, USERS[ALICE], settings=settings, resolver=resolver)
    assert [c for c in codes(result) if c in CERT_CODES] == [Code.CERT_UNKNOWN_ISSUER]
    assert result.tls is not None
    assert result.tls.via == "starttls"
    (leaf,) = result.tls.chain  # read on the second connection, after STARTTLS again
    assert "mail.test" in leaf.sans
    assert "Testing CA" in leaf.issuer
    _assert_password_withheld(result)


@pytest.fixture
def smtpd_ports(smtpd: Any) -> tuple[int, int]:
    return smtpd.starttls, smtpd.implicit


def _assert_password_withheld(result: ProbeResult) -> None:
    assert result.auth.status is AuthStatus.NOT_ATTEMPTED
    assert result.auth.not_attempted is NotAttempted.INSECURE_TLS
    assert Code.PASSWORD_NOT_SENT_TLS in codes(result)
    assert not {"AUTH", "USER", "PASS", "LOGIN", "AUTHENTICATE"} & client_verbs(result)
    assert not result.ok


def test_cases_cover_every_certificate_code() -> None:
    tested = {code for _case, code, _v, _n in CERTIFICATE_CASES}
    tested |= {Code.CERT_HOSTNAME_MISMATCH, Code.CERT_EXPIRING, Code.TLS_OUTDATED}
    untested = {c for c in CERT_CODES if c.value.startswith("tls-certificate")} - tested
    assert untested == {Code.CERT_INVALID}  # the catch-all for other OpenSSL codes
