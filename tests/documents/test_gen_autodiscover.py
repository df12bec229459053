"""Microsoft Autodiscover: hostile and valid requests, responses parsed back, v2 JSON."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
from defusedxml import DefusedXmlException, ElementTree
from defusedxml import ElementTree as SafeET
from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents import autodiscover as ad
from app.errors import InvalidAddress, MailsetupError
from app.models import AccountConfig, EmailAddress, Status
from app.providers.db import ProviderDB
from tests.documents.synthetic import LOCALPART, PLAIN, POP_ONLY, STARTTLS_ONLY, address_for

RS = "{" + ad.RESPONSE_NS + "}"
OL = "{" + ad.OUTLOOK_NS + "}"


def request(
    email: str = "user@163.com",
    schema: str = ad.OUTLOOK_NS,
    ns: str = ad.REQUEST_NS,
    root: str = "Autodiscover",
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<{root} xmlns="{ns}"><Request>'
        f"<EMailAddress>{email}</EMailAddress>"
        f"<AcceptableResponseSchema>{schema}</AcceptableResponseSchema>"
        f"</Request></{root}>"
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
<Request><EMailAddress>&lol9;</EMailAddress></Request></Autodiscover>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
<Request><EMailAddress>&xxe;</EMailAddress></Request></Autodiscover>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % p SYSTEM "http://169.254.169.254/x.dtd"> %p;]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"/>"""

HOSTILE = [
    pytest.param(BILLION_LAUGHS, ad.UnsafeXML, id="billion-laughs"),
    pytest.param(EXTERNAL_ENTITY, ad.UnsafeXML, id="external-entity"),
    pytest.param(PARAMETER_ENTITY, ad.UnsafeXML, id="parameter-entity"),
    pytest.param(request() + b" " * (2 * 1024 * 1024), ad.RequestTooLarge, id="2MB"),
    pytest.param(b"<Autodiscover><Request>", ad.NotXML, id="truncated"),
    pytest.param(b"", ad.NotXML, id="empty"),
    pytest.param(b"\xff\xfe\x00garbage", ad.NotXML, id="binary"),
    pytest.param(b'<?xml version="1.0" encoding="x-nonsense"?><a/>', ad.NotXML, id="encoding"),
    pytest.param(request(ns="urn:wrong"), ad.WrongDocument, id="wrong-namespace"),
    pytest.param(request(root="Discover"), ad.WrongDocument, id="wrong-root"),
    pytest.param(
        f'<Autodiscover xmlns="{ad.REQUEST_NS}"/>'.encode(), ad.WrongDocument, id="no-req"
    ),
    pytest.param(request(schema=ad.MOBILESYNC_NS), ad.MobileSyncRequested, id="mobilesync"),
    pytest.param(
        request(ns=ad.MOBILESYNC_REQUEST_NS, schema=ad.MOBILESYNC_NS),
        ad.MobileSyncRequested,
        id="mobilesync-request-ns",
    ),
    pytest.param(request(schema="urn:other"), ad.UnsupportedSchema, id="unknown-schema"),
    pytest.param(request(email=""), ad.MissingAddress, id="empty-address"),
    pytest.param(
        f'<Autodiscover xmlns="{ad.REQUEST_NS}"><Request/></Autodiscover>'.encode(),
        ad.MissingAddress,
        id="no-address",
    ),
    pytest.param(request(email="not-an-address"), ad.BadAddress, id="bad-address"),
]


@pytest.mark.parametrize(("body", "error"), HOSTILE)
def test_hostile_requests_raise_named_errors(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        ad.parse_request(body)
    assert isinstance(info.value, ad.AutodiscoverError)
    assert isinstance(info.value, MailsetupError)
    assert isinstance(info.value, ValueError)
    assert len(str(info.value)) < 600  # never echoes a whole body back


def test_mobilesync_error_carries_its_schema_and_code() -> None:
    with pytest.raises(ad.MobileSyncRequested) as info:
        ad.parse_request(request(schema=ad.MOBILESYNC_NS))
    assert info.value.code == ad.ERROR_SCHEMA_NOT_SUPPORTED == 601
    assert info.value.response_schema == ad.MOBILESYNC_NS
    assert info.value.schema == ad.MOBILESYNC_NS


def test_other_errors_are_invalid_request() -> None:
    with pytest.raises(ad.NotXML) as info:
        ad.parse_request(b"<")
    assert info.value.code == ad.ERROR_INVALID_REQUEST == 600
    assert info.value.response_schema is None


@given(st.binary(max_size=400))
def test_random_bytes_never_escape_as_other_errors(body: bytes) -> None:
    with contextlib.suppress(ad.AutodiscoverError):
        ad.parse_request(body)


@given(st.integers(min_value=0, max_value=400), st.binary(min_size=1, max_size=8))
def test_corrupted_requests_never_escape_as_other_errors(at: int, junk: bytes) -> None:
    body = request()
    with contextlib.suppress(ad.AutodiscoverError):
        ad.parse_request(body[:at] + junk + body[at:])


@pytest.mark.parametrize(
    "body",
    [
        request(),
        request(email="  user@163.com\n"),
        request().replace(b'<?xml version="1.0" encoding="utf-8"?>\n', b""),
        request().decode().replace("utf-8", "utf-16").encode("utf-16"),
        f'<Autodiscover xmlns="{ad.REQUEST_NS}"><Request><EMailAddress>user@163.com'
        "</EMailAddress></Request></Autodiscover>".encode(),
    ],
    ids=["plain", "white-space", "no-declaration", "utf-16", "no-schema"],
)
def test_valid_requests(body: bytes) -> None:
    parsed = ad.parse_request(body)
    assert parsed.address == EmailAddress.parse("user@163.com")
    assert parsed.schema == ad.OUTLOOK_NS


def test_request_cap_allows_real_sizes() -> None:
    padded = request().replace(b"<Request>", b"<Request>" + b" " * (ad.MAX_REQUEST_BYTES - 400))
    assert len(padded) <= ad.MAX_REQUEST_BYTES
    assert ad.parse_request(padded).address.domain == "163.com"


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
        if record.status is Status.RETIRED or not record.domains:
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


def test_request_error_for_mobilesync() -> None:
    with pytest.raises(ad.MobileSyncRequested) as info:
        ad.parse_request(request(schema=ad.MOBILESYNC_NS))
    root = ElementTree.fromstring(ad.render_request_error(info.value))
    m = "{" + ad.MOBILESYNC_NS + "}"
    error = root.find(f"{m}Response/{m}Error")
    assert error is not None
    assert error.findtext(m + "ErrorCode") == "601"
    assert "ActiveSync" in (error.findtext(m + "Message") or "")


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


# The request parser reads expat's events without building a tree; it must agree with
# ElementTree's ``find``/``text`` reading of the same document (the reference below).
def _reference_parse(body: bytes) -> tuple[str, str] | str:
    """(address, schema) or the error's class name, read with defusedxml's ElementTree."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        return "UnsafeXML"
    except (ET.ParseError, ValueError, LookupError):
        return "NotXML"
    roots = {f"{{{ns}}}Autodiscover": ns for ns in (ad.REQUEST_NS, ad.MOBILESYNC_REQUEST_NS)}
    ns = roots.get(root.tag)
    if ns is None:
        return "WrongDocument"
    req = root.find(f"{{{ns}}}Request")
    if req is None:
        return "WrongDocument"
    schema_el = req.find(f"{{{ns}}}AcceptableResponseSchema")
    default = ad.OUTLOOK_NS if ns == ad.REQUEST_NS else ad.MOBILESYNC_NS
    schema = (schema_el.text or "").strip() if schema_el is not None else default
    email_el = req.find(f"{{{ns}}}EMailAddress")
    text = (email_el.text or "").strip() if email_el is not None else ""
    if schema == ad.MOBILESYNC_NS:
        return "MobileSyncRequested"
    if schema != ad.OUTLOOK_NS:
        return "UnsupportedSchema"
    if not text:
        return "MissingAddress"
    try:
        return EmailAddress.parse(text).address, schema
    except InvalidAddress:
        return "BadAddress"


def _outcome(body: bytes) -> tuple[str, str] | str:
    try:
        parsed = ad.parse_request(body)
    except ad.AutodiscoverError as exc:
        return type(exc).__name__
    return parsed.address.address, parsed.schema


# Names likely at each depth, so that most documents reach the fields.
_NAMES = [
    st.sampled_from(["Autodiscover"] * 4 + ["Request"]),
    st.sampled_from(["Request"] * 3 + ["EMailAddress", "Other"]),
    st.sampled_from(["EMailAddress", "AcceptableResponseSchema", "Other"]),
    st.sampled_from(["EMailAddress", "Other"]),
]
_NAMESPACES = st.sampled_from([ad.REQUEST_NS, ad.MOBILESYNC_REQUEST_NS, "urn:other", ""])
_TEXTS = st.sampled_from(
    ["", "user@163.com", " a@qq.com ", "bad", ad.OUTLOOK_NS, ad.MOBILESYNC_NS, "&amp;x"]
)


@st.composite
def _element(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(_NAMES[depth])
    # The root names a namespace; children mostly inherit it.
    ns = draw(_NAMESPACES) if depth == 0 or draw(st.integers(0, 4)) == 0 else None
    attr = f' xmlns="{ns}"' if ns is not None else ""
    children = draw(st.lists(_element(depth + 1), max_size=3)) if depth < 3 else []
    text, tail = draw(_TEXTS), draw(_TEXTS)
    inner = text + "".join(children) + (tail if children else "")
    return f"<{name}{attr}>{inner}</{name}>"


@settings(max_examples=300)
@given(_element())
def test_the_streaming_parser_reads_as_elementtree_does(document: str) -> None:
    body = document.encode()
    assert _outcome(body) == _reference_parse(body)


def _doc(request_body: str, ns: str = ad.REQUEST_NS) -> bytes:
    return f'<Autodiscover xmlns="{ns}">{request_body}</Autodiscover>'.encode()


_ADDRESS = "<EMailAddress>{}</EMailAddress>"
_SCHEMA = f"<AcceptableResponseSchema>{ad.OUTLOOK_NS}</AcceptableResponseSchema>"
AGREEMENT_CASES = {
    "hostile-billion-laughs": BILLION_LAUGHS,
    "hostile-external-entity": EXTERNAL_ENTITY,
    "hostile-parameter-entity": PARAMETER_ENTITY,
    "plain": request(),
    "first-address-wins": _doc(
        "<Request>" + _ADDRESS.format("a@qq.com") + _ADDRESS.format("b@163.com") + "</Request>"
    ),
    "first-request-wins": _doc(
        "<Request>" + _ADDRESS.format("a@qq.com") + "</Request>"
        "<Request>" + _ADDRESS.format("b@163.com") + "</Request>"
    ),
    "empty-first-request": _doc("<Request/><Request>" + _ADDRESS.format("a@qq.com") + "</Request>"),
    "text-stops-at-a-child": _doc(
        "<Request><EMailAddress>a@qq.com<x/>.cn</EMailAddress>" + _SCHEMA + "</Request>"
    ),
    "text-in-pieces": _doc(
        "<Request><EMailAddress>a@<!-- c -->q<![CDATA[q]]>.&#99;om</EMailAddress></Request>"
    ),
    "address-in-no-namespace": _doc(
        '<Request><EMailAddress xmlns="">a@qq.com</EMailAddress></Request>'
    ),
    "address-in-another-namespace": _doc(
        '<Request><EMailAddress xmlns="urn:x">a@qq.com</EMailAddress>'
        + _ADDRESS.format("b@163.com")
        + "</Request>"
    ),
    "request-in-another-namespace": _doc(
        '<Request xmlns="urn:x">' + _ADDRESS.format("a@qq.com") + "</Request>"
    ),
    "address-too-deep": _doc("<Request><x>" + _ADDRESS.format("a@qq.com") + "</x></Request>"),
    "empty-schema": _doc(
        "<Request>" + _ADDRESS.format("a@qq.com") + "<AcceptableResponseSchema/></Request>"
    ),
    "prefixed-names": (
        f'<a:Autodiscover xmlns:a="{ad.REQUEST_NS}"><a:Request>'
        "<a:EMailAddress>a@qq.com</a:EMailAddress></a:Request></a:Autodiscover>"
    ).encode(),
}


@pytest.mark.parametrize("body", AGREEMENT_CASES.values(), ids=AGREEMENT_CASES.keys())
def test_the_streaming_parser_agrees_on_the_named_cases(body: bytes) -> None:
    assert _outcome(body) == _reference_parse(body)
