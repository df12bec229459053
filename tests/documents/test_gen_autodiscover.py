"""Microsoft Autodiscover: responses parsed back and byte for byte, v2 JSON.

The requests' tests are in test_gen_autodiscover_request.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from defusedxml import ElementTree
from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents import autodiscover as ad
from app.errors import InvalidAddress
from app.models import AccountConfig, EmailAddress
from app.providers.db import ProviderDB
from tests.documents.synthetic import LOCALPART, PLAIN, POP_ONLY, STARTTLS_ONLY, address_for

RS = "{" + ad.RESPONSE_NS + "}"
OL = "{" + ad.OUTLOOK_NS + "}"


def protocols(doc: bytes) -> list[dict[str, str]]:
    root = ElementTree.fromstring(doc)
    assert root.tag == RS + "Autodiscover"
    response = root.find(OL + "Response")
    assert response is not None
    account = response.find(OL + "Account")
    assert account is not None
    assert account.findtext(OL + "AccountType") == "email"
    assert account.findtext(OL + "Action") == "settings"
    return [
        {child.tag.removeprefix(OL): child.text or "" for child in proto}
        for proto in account.findall(OL + "Protocol")
    ]


def test_163_response(db: ProviderDB) -> None:
    address = EmailAddress.parse("someone@163.com")
    found = protocols(ad.render_response(db.config_for("163.com"), address))
    assert found[0] == {
        "Type": "IMAP",
        "Server": "imap.163.com",
        "Port": "993",
        "LoginName": "someone@163.com",
        "DomainRequired": "off",
        "SPA": "off",
        "SSL": "on",
        "Encryption": "SSL",
        "AuthRequired": "on",
    }
    assert [(p["Type"], p["Server"], p["Port"]) for p in found] == [
        ("IMAP", "imap.163.com", "993"),
        ("POP3", "pop.163.com", "995"),
        ("SMTP", "smtp.163.com", "465"),
        ("SMTP", "smtp.163.com", "994"),
    ]


def test_qq_smtp_order_and_starttls(db: ProviderDB) -> None:
    found = protocols(ad.render_response(db.config_for("qq.com"), EmailAddress.parse("a@qq.com")))
    smtp = [p for p in found if p["Type"] == "SMTP"]
    assert [(p["Port"], p["SSL"], p["Encryption"]) for p in smtp] == [
        ("465", "on", "SSL"),
        ("587", "on", "TLS"),
    ]


def test_icloud_login_names(db: ProviderDB) -> None:
    address = EmailAddress.parse("emily.parker@icloud.com")
    found = protocols(ad.render_response(db.config_for("icloud.com"), address))
    assert [(p["Type"], p["LoginName"], p["Encryption"]) for p in found] == [
        ("IMAP", "emily.parker", "SSL"),
        ("SMTP", "emily.parker@icloud.com", "TLS"),
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (POP_ONLY, [("POP3", "995", "SSL", "on"), ("SMTP", "465", "SSL", "on")]),
        (
            STARTTLS_ONLY,
            [
                ("IMAP", "143", "TLS", "on"),
                ("POP3", "110", "TLS", "on"),
                ("SMTP", "587", "TLS", "on"),
            ],
        ),
        (LOCALPART, [("IMAP", "993", "SSL", "on"), ("SMTP", "465", "SSL", "on")]),
        (PLAIN, [("IMAP", "143", "None", "off"), ("SMTP", "25", "None", "off")]),
    ],
    ids=["pop-only", "starttls-only", "localpart", "plain"],
)
def test_synthetic_responses(config: AccountConfig, expected: list[tuple[str, ...]]) -> None:
    address = address_for(config)
    found = protocols(ad.render_response(config, address))
    assert [(p["Type"], p["Port"], p["Encryption"], p["SSL"]) for p in found] == expected
    want_login = "alice.smith" if config is LOCALPART else address.address
    assert {p["LoginName"] for p in found} == {want_login}
    assert all(p["SPA"] == "off" for p in found)


def test_plain_smtp_without_auth_says_so() -> None:
    found = protocols(ad.render_response(PLAIN, address_for(PLAIN)))
    assert [p["AuthRequired"] for p in found] == ["on", "off"]


def test_every_provider_response_is_well_formed(db: ProviderDB) -> None:
    order = {"IMAP": 0, "POP3": 1, "SMTP": 2}
    for record in db.records:
        if not record.status.has_servers or not record.domains:
            continue
        config = db.config_for(record.domains[0])
        found = protocols(ad.render_response(config, EmailAddress.parse(f"x@{config.domain}")))
        assert len(found) == len(config.endpoints), record.id
        assert [order[p["Type"]] for p in found] == sorted(order[p["Type"]] for p in found)
        for p in found:
            assert p["SPA"] == "off"
            assert p["DomainRequired"] == "off"
            assert p["Encryption"] in ("SSL", "TLS", "None")
            assert (p["SSL"] == "on") == (p["Encryption"] != "None")


def test_render_error() -> None:
    now = dt.datetime(2026, 11, 27, 16, 56, 32, 616402, tzinfo=dt.UTC)
    doc = ad.render_error(500, "The email address <x@y> & co cannot be found.", now=now)
    root = ElementTree.fromstring(doc)
    assert root.tag == RS + "Autodiscover"
    error = root.find(f"{RS}Response/{RS}Error")
    assert error is not None
    assert error.get("Time") == "16:56:32.616402"
    assert error.get("Id") == str(ad.SERVER_ID)
    assert error.findtext(RS + "ErrorCode") == "500"
    assert error.findtext(RS + "Message") == "The email address <x@y> & co cannot be found."
    assert error.find(RS + "DebugData") is not None


def test_render_error_uses_current_time_by_default() -> None:
    error = ElementTree.fromstring(ad.render_error(603, "x")).find(f"{RS}Response/{RS}Error")
    assert error is not None
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{6}", error.get("Time", ""))


def test_documents_are_utf8_with_declaration(db: ProviderDB) -> None:
    doc = ad.render_response(db.config_for("qq.com"), EmailAddress.parse("a@qq.com"))
    assert doc.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert ad.CONTENT_TYPE.startswith("text/xml")


@pytest.mark.parametrize("protocol", ["AutodiscoverV1", "autodiscoverv1", "Autodiscoverv1"])
def test_v2_json(protocol: str) -> None:
    status, body = ad.autodiscover_v2(protocol, "https://mailsetup.test/")
    assert status == 200
    assert json.loads(json.dumps(body)) == {
        "Protocol": "AutodiscoverV1",
        "Url": "https://mailsetup.test/autodiscover/autodiscover.xml",
    }


@pytest.mark.parametrize("protocol", ["Ews", "", "ActiveSync", "x" * 5000])
def test_v2_json_unknown_protocol(protocol: str) -> None:
    status, body = ad.autodiscover_v2(protocol, "https://mailsetup.test")
    assert status == 400
    assert body["ErrorCode"] == "InvalidProtocol"
    assert "AutodiscoverV1" in body["ErrorMessage"]
    assert len(body["ErrorMessage"]) < 200


# The whole document, byte for byte: ElementTree's serialisation (single-quoted
# declaration, two-space indent, a final newline) with the login name escaped.
PLAIN_RESPONSE = """<?xml version='1.0' encoding='utf-8'?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
      <Protocol>
        <Type>IMAP</Type>
        <Server>imap.plain.test</Server>
        <Port>143</Port>
        <LoginName>o'brien&amp;co@plain.test</LoginName>
        <DomainRequired>off</DomainRequired>
        <SPA>off</SPA>
        <SSL>off</SSL>
        <Encryption>None</Encryption>
        <AuthRequired>on</AuthRequired>
      </Protocol>
      <Protocol>
        <Type>SMTP</Type>
        <Server>smtp.plain.test</Server>
        <Port>25</Port>
        <LoginName>o'brien&amp;co@plain.test</LoginName>
        <DomainRequired>off</DomainRequired>
        <SPA>off</SPA>
        <SSL>off</SSL>
        <Encryption>None</Encryption>
        <AuthRequired>off</AuthRequired>
      </Protocol>
    </Account>
  </Response>
</Autodiscover>
"""


def test_response_bytes() -> None:
    doc = ad.render_response(PLAIN, EmailAddress.parse("o'brien&co@plain.test"))
    assert doc.decode() == PLAIN_RESPONSE


def test_one_template_serves_every_address() -> None:
    template = ad.ResponseTemplate.of(LOCALPART)
    before = template.parts
    first = template.render(EmailAddress.parse("a&b@local.test"))
    second = template.render(EmailAddress.parse("carol@local.test"))
    assert template.parts == before  # rendering fills a copy
    assert {p["LoginName"] for p in protocols(first)} == {"a&b"}
    assert {p["LoginName"] for p in protocols(second)} == {"carol"}
    assert first.replace(b"a&amp;b", b"carol") == second
    assert b"mailsetup-login-" not in first  # no marker is left behind
    # The serialised XML between the login names is all prepared once.
    assert template.parts[1::2] == ("%EMAILLOCALPART%", "%EMAILLOCALPART%")


def test_templates_of_one_config_render_alike(db: ProviderDB) -> None:
    config = db.config_for("icloud.com")
    address = EmailAddress.parse("a@icloud.com")
    one, two = ad.ResponseTemplate.of(config), ad.ResponseTemplate.of(config)
    assert one.render(address) == two.render(address)


@settings(max_examples=200)
@given(st.text(alphabet="ab&'\"*+/=?^_`{|}~#$%!-é<>", min_size=1, max_size=24))
def test_login_names_read_back_as_filled(local: str) -> None:
    try:
        address = EmailAddress.parse(f"{local}@local.test")
    except InvalidAddress:
        return
    for config in (LOCALPART, PLAIN):
        found = protocols(ad.render_response(config, address))
        want = address.local if config is LOCALPART else address.address
        assert {p["LoginName"] for p in found} == {want}
