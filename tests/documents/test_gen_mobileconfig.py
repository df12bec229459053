"""Apple configuration profiles, parsed back with plistlib."""

from __future__ import annotations

import plistlib
import re
import uuid
from typing import Any

import pytest

from app.documents import mobileconfig as mc
from app.errors import MailsetupError
from app.models import AccountConfig, AuthMethod, EmailAddress
from app.providers.db import ProviderDB
from tests.documents.synthetic import LOCALPART, PLAIN, POP_ONLY, STARTTLS_ONLY, address_for

PREFIX = "test.mailsetup.profile"


def render(config: AccountConfig, address: EmailAddress, **kwargs: Any) -> bytes:
    return mc.render_profile(
        config, address, identifier_prefix=PREFIX, organization="Mailsetup Test", **kwargs
    )


def load(doc: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    outer = plistlib.loads(doc)
    assert isinstance(outer, dict)
    (mail,) = outer["PayloadContent"]
    return outer, mail


def test_icloud_profile(db: ProviderDB) -> None:
    address = EmailAddress.parse("emily.parker@icloud.com")
    outer, mail = load(render(db.config_for("icloud.com"), address))
    assert outer["PayloadType"] == "Configuration"
    assert outer["PayloadVersion"] == 1
    assert outer["PayloadOrganization"] == "Mailsetup Test"
    assert outer["PayloadIdentifier"].startswith(f"{PREFIX}.com.icloud.")
    assert "emily.parker@icloud.com" in outer["PayloadDisplayName"]
    assert "imap.mail.me.com" in outer["PayloadDescription"]
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert mail["PayloadVersion"] == 1
    assert mail["PayloadIdentifier"].startswith(outer["PayloadIdentifier"] + ".")
    assert mail["EmailAccountType"] == "EmailTypeIMAP"
    assert mail["EmailAddress"] == "emily.parker@icloud.com"
    assert mail["EmailAccountName"] == "emily.parker"
    assert "iCloud" in mail["EmailAccountDescription"]
    assert mail["IncomingMailServerHostName"] == "imap.mail.me.com"
    assert mail["IncomingMailServerPortNumber"] == 993
    assert mail["IncomingMailServerUseSSL"] is True
    assert mail["IncomingMailServerUsername"] == "emily.parker"
    assert mail["IncomingMailServerAuthentication"] == "EmailAuthPassword"
    assert mail["OutgoingMailServerHostName"] == "smtp.mail.me.com"
    assert mail["OutgoingMailServerPortNumber"] == 587
    assert mail["OutgoingMailServerUseSSL"] is True  # STARTTLS is "SSL on" for Apple
    assert mail["OutgoingMailServerUsername"] == "emily.parker@icloud.com"
    assert mail["OutgoingMailServerAuthentication"] == "EmailAuthPassword"
    assert mail["OutgoingPasswordSameAsIncomingPassword"] is True


@pytest.mark.parametrize("domain", ["icloud.com", "qq.com", "163.com", "gmail.com"])
def test_profiles_never_carry_a_password(db: ProviderDB, domain: str) -> None:
    outer, mail = load(render(db.config_for(domain), EmailAddress.parse(f"a.user@{domain}")))
    keys = set(outer) | set(mail)
    assert {k for k in keys if "Password" in k} == {"OutgoingPasswordSameAsIncomingPassword"}
    for payload in (outer, mail):
        uuid.UUID(payload["PayloadUUID"])
        assert re.fullmatch(r"[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", payload["PayloadUUID"])
        assert re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", payload["PayloadIdentifier"])
    assert outer["PayloadUUID"] != mail["PayloadUUID"]


@pytest.mark.parametrize(
    ("domain", "incoming", "outgoing"),
    [
        ("qq.com", ("imap.qq.com", 993, True), ("smtp.qq.com", 465, True)),
        ("163.com", ("imap.163.com", 993, True), ("smtp.163.com", 465, True)),
        ("gmail.com", ("imap.gmail.com", 993, True), ("smtp.gmail.com", 465, True)),
    ],
)
def test_real_providers(
    db: ProviderDB, domain: str, incoming: tuple[object, ...], outgoing: tuple[object, ...]
) -> None:
    _, mail = load(render(db.config_for(domain), EmailAddress.parse(f"who@{domain}")))
    keys = ("HostName", "PortNumber", "UseSSL")
    assert tuple(mail[f"IncomingMailServer{k}"] for k in keys) == incoming
    assert tuple(mail[f"OutgoingMailServer{k}"] for k in keys) == outgoing
    assert mail["IncomingMailServerUsername"] == f"who@{domain}"
    assert mail["IncomingMailServerAuthentication"] == "EmailAuthPassword"


def test_same_address_same_bytes_and_identifiers(db: ProviderDB) -> None:
    config = db.config_for("qq.com")
    first = render(config, EmailAddress.parse("a@qq.com"))
    assert render(config, EmailAddress.parse("a@qq.com")) == first
    upper, _ = load(render(config, EmailAddress.parse("A@QQ.com")))
    other, _ = load(render(config, EmailAddress.parse("b@qq.com")))
    outer, _ = load(first)
    assert upper["PayloadIdentifier"] == outer["PayloadIdentifier"]
    assert upper["PayloadUUID"] == outer["PayloadUUID"]
    assert other["PayloadIdentifier"] != outer["PayloadIdentifier"]
    assert other["PayloadUUID"] != outer["PayloadUUID"]


def test_identifier_helper() -> None:
    address = EmailAddress.parse("x@mail.example.org")
    ident = mc.profile_identifier("org.mailsetup.", address)
    assert re.fullmatch(r"org\.mailsetup\.org\.example\.mail\.[0-9a-f]{16}", ident)


@pytest.mark.parametrize(
    ("config", "kind", "incoming", "outgoing"),
    [
        (POP_ONLY, "EmailTypePOP", ("pop.popmail.test", 995, True), ("smtp.popmail.test", 465)),
        (
            STARTTLS_ONLY,
            "EmailTypeIMAP",
            ("mail.starttls.test", 143, True),
            ("mail.starttls.test", 587),
        ),
        (LOCALPART, "EmailTypeIMAP", ("imap.local.test", 993, True), ("smtp.local.test", 465)),
        (PLAIN, "EmailTypeIMAP", ("imap.plain.test", 143, False), ("smtp.plain.test", 25)),
    ],
    ids=["pop-only", "starttls-only", "localpart", "plain"],
)
def test_synthetic(
    config: AccountConfig, kind: str, incoming: tuple[object, ...], outgoing: tuple[object, ...]
) -> None:
    address = address_for(config)
    _, mail = load(render(config, address))
    assert mail["EmailAccountType"] == kind
    keys = ("HostName", "PortNumber", "UseSSL")
    assert tuple(mail[f"IncomingMailServer{k}"] for k in keys) == incoming
    assert (mail["OutgoingMailServerHostName"], mail["OutgoingMailServerPortNumber"]) == outgoing
    user = "alice.smith" if config is LOCALPART else "alice.smith@" + config.domain
    assert mail["IncomingMailServerUsername"] == mail["OutgoingMailServerUsername"] == user


def test_plain_server_without_tls_or_smtp_auth() -> None:
    _, mail = load(render(PLAIN, address_for(PLAIN)))
    assert mail["OutgoingMailServerUseSSL"] is False
    assert mail["IncomingMailServerAuthentication"] == "EmailAuthPassword"
    assert mail["OutgoingMailServerAuthentication"] == "EmailAuthNone"
    assert "plain.test" in mail["EmailAccountDescription"]  # no provider name: the domain


def test_oauth2_only_cannot_be_a_profile(db: ProviderDB) -> None:
    config = db.config_for("outlook.com")
    with pytest.raises(mc.ProfileUnavailable, match="accepts only OAuth2 sign-in") as info:
        render(config, EmailAddress.parse("a@outlook.com"))
    assert isinstance(info.value, MailsetupError)
    assert isinstance(info.value, ValueError)
    assert info.value.message == mc.OAUTH2_ONLY
    assert "“Settings” → “Mail” → “Accounts”" in str(info.value)
    # The page asks the same function before it offers the profile.
    with pytest.raises(mc.ProfileUnavailable) as asked:
        mc.profile_servers(config)
    assert str(asked.value) == str(info.value)
    # Said in the language asked for: the provider's name and the catalog's text.
    told = asked.value.explain("zh-Hant", mark)
    assert told.startswith("«" + config.name.get("zh-Hant"))


def test_other_sign_in_methods_are_named() -> None:
    gssapi_only = PLAIN.model_copy(
        update={
            "endpoints": tuple(
                e.model_copy(update={"auth": (AuthMethod.GSSAPI,)}) for e in PLAIN.endpoints
            )
        }
    )
    with pytest.raises(mc.ProfileUnavailable, match="accepts only gssapi sign-in") as info:
        mc.profile_servers(gssapi_only)
    assert info.value.message == mc.OTHER_AUTH_ONLY


def test_retired_provider_has_no_profile(db: ProviderDB) -> None:
    with pytest.raises(mc.ProfileUnavailable, match="no server"):
        render(db.config_for("yahoo.com.cn"), EmailAddress.parse("a@yahoo.com.cn"))


def mark(text: str) -> str:
    return "«" + text


def test_language_name_and_gettext(db: ProviderDB) -> None:
    address = EmailAddress.parse("a@qq.com")
    outer, mail = load(render(db.config_for("qq.com"), address, lang="zh-Hans", gettext=mark))
    assert mail["EmailAccountDescription"] == "QQ邮箱 (a@qq.com)"
    assert outer["PayloadDisplayName"] == "«Mail: a@qq.com"
    assert outer["PayloadDescription"].startswith("«Sets up a@qq.com")
    _, named = load(render(db.config_for("qq.com"), address, account_name="Alice Smith"))
    assert named["EmailAccountName"] == "Alice Smith"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice@qq.com", "alice@qq.com.mobileconfig"),
        ("a+tag@例子.中国", "a_tag@xn--fsqu00a.xn--fiqs8s.mobileconfig"),
        ("/=?@example.com", "mail@example.com.mobileconfig"),
    ],
)
def test_filename(text: str, expected: str) -> None:
    assert mc.profile_filename(EmailAddress.parse(text)) == expected


def test_content_type() -> None:
    assert mc.CONTENT_TYPE == "application/x-apple-aspen-config"
