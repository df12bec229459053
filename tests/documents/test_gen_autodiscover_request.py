"""Microsoft Autodiscover requests: hostile and odd bodies, and what each one is answered.

The request is parsed with defusedxml; these tests pin the behaviour (the refusal and
its MS-OXDSCLI ErrorCode, or the address read) for each kind of body.
"""

from __future__ import annotations

import contextlib

import pytest
from defusedxml import ElementTree
from hypothesis import given
from hypothesis import strategies as st

from app.documents import autodiscover as ad
from app.errors import MailsetupError
from app.models import EmailAddress


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


def document(request_body: str, ns: str = ad.REQUEST_NS) -> bytes:
    return f'<Autodiscover xmlns="{ns}">{request_body}</Autodiscover>'.encode()


def address(text: str) -> str:
    return f"<EMailAddress>{text}</EMailAddress>"


SCHEMA = f"<AcceptableResponseSchema>{ad.OUTLOOK_NS}</AcceptableResponseSchema>"

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

EXTERNAL_DTD = (
    b'<?xml version="1.0"?>\n<!DOCTYPE Autodiscover SYSTEM "http://169.254.169.254/x.dtd">\n'
    + request().split(b"\n", 1)[1]
)

BARE_DTD = b"<!DOCTYPE Autodiscover>\n" + request().split(b"\n", 1)[1]

HOSTILE = [
    pytest.param(BILLION_LAUGHS, ad.UnsafeXML, id="billion-laughs"),
    pytest.param(EXTERNAL_ENTITY, ad.UnsafeXML, id="external-entity"),
    pytest.param(PARAMETER_ENTITY, ad.UnsafeXML, id="parameter-entity"),
    pytest.param(EXTERNAL_DTD, ad.UnsafeXML, id="external-dtd"),
    pytest.param(BARE_DTD, ad.UnsafeXML, id="bare-dtd"),
    pytest.param(request() + b" " * (2 * 1024 * 1024), ad.RequestTooLarge, id="2MB"),
    pytest.param(b"<Autodiscover><Request>", ad.NotXML, id="truncated"),
    pytest.param(b"", ad.NotXML, id="empty"),
    pytest.param(b"\xff\xfe\x00garbage", ad.NotXML, id="binary"),
    pytest.param(b'<?xml version="1.0" encoding="x-nonsense"?><a/>', ad.NotXML, id="encoding"),
    pytest.param(b'<?xml version="1.0" encoding="utf-32"?><a/>', ad.NotXML, id="multibyte"),
    pytest.param(document(address("&undeclared;")), ad.NotXML, id="undeclared-entity"),
    pytest.param(request(ns="urn:wrong"), ad.WrongDocument, id="wrong-namespace"),
    pytest.param(request(ns=""), ad.WrongDocument, id="no-namespace"),
    pytest.param(request(root="Discover"), ad.WrongDocument, id="wrong-root"),
    pytest.param(document(""), ad.WrongDocument, id="no-request"),
    pytest.param(
        document(f'<Request xmlns="urn:x">{address("a@qq.com")}</Request>'),
        ad.WrongDocument,
        id="request-in-another-namespace",
    ),
    pytest.param(request(schema=ad.MOBILESYNC_NS), ad.MobileSyncRequested, id="mobilesync"),
    pytest.param(
        request(ns=ad.MOBILESYNC_REQUEST_NS, schema=ad.MOBILESYNC_NS),
        ad.MobileSyncRequested,
        id="mobilesync-request-ns",
    ),
    pytest.param(
        document(f"<Request>{address('a@qq.com')}</Request>", ns=ad.MOBILESYNC_REQUEST_NS),
        ad.MobileSyncRequested,
        id="mobilesync-request-ns-no-schema",
    ),
    pytest.param(request(schema="urn:other"), ad.UnsupportedSchema, id="unknown-schema"),
    pytest.param(
        document(f"<Request>{address('a@qq.com')}<AcceptableResponseSchema/></Request>"),
        ad.UnsupportedSchema,
        id="empty-schema",
    ),
    pytest.param(request(email=""), ad.MissingAddress, id="empty-address"),
    pytest.param(request(email=" \n\t "), ad.MissingAddress, id="blank-address"),
    pytest.param(document("<Request/>"), ad.MissingAddress, id="no-address"),
    pytest.param(
        document(f"<Request/><Request>{address('a@qq.com')}</Request>"),
        ad.MissingAddress,
        id="only-the-first-request-counts",
    ),
    pytest.param(
        document(f'<Request><EMailAddress xmlns="">a@qq.com</EMailAddress>{SCHEMA}</Request>'),
        ad.MissingAddress,
        id="address-in-no-namespace",
    ),
    pytest.param(
        document(f"<Request><x>{address('a@qq.com')}</x></Request>"),
        ad.MissingAddress,
        id="address-too-deep",
    ),
    pytest.param(request(email="not-an-address"), ad.BadAddress, id="bad-address"),
    pytest.param(request(email="a@qq.com&lt;x&gt;"), ad.BadAddress, id="escaped-markup"),
]


@pytest.mark.parametrize(("body", "error"), HOSTILE)
def test_hostile_requests_raise_named_errors(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        ad.parse_request(body)
    assert type(info.value) is error
    assert isinstance(info.value, ad.AutodiscoverError)
    assert isinstance(info.value, MailsetupError)
    assert isinstance(info.value, ValueError)
    assert len(str(info.value)) < 600  # never echoes a whole body back
    unsupported = isinstance(info.value, ad.UnsupportedSchema)
    assert info.value.code == (ad.ERROR_SCHEMA_NOT_SUPPORTED if unsupported else 600)


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, EXTERNAL_DTD, BARE_DTD]
)
def test_any_dtd_is_refused_before_it_is_read(body: bytes) -> None:
    with pytest.raises(ad.UnsafeXML, match="has a DTD"):
        ad.parse_request(body)


def test_the_messages_say_what_was_wrong() -> None:
    cases = {
        request(ns="urn:wrong"): (
            "the root element is {urn:wrong}Autodiscover, not an Autodiscover request"
        ),
        request(root="Discover"): f"the root element is {{{ad.REQUEST_NS}}}Discover",
        document(""): "the Autodiscover element has no Request",
        b"<a>": "the request is not well-formed XML: no element found: line 1, column 3",
        request(schema="urn:other"): "unsupported AcceptableResponseSchema 'urn:other'",
        request(email=""): "the request has no EMailAddress",
        request() + b" " * ad.MAX_REQUEST_BYTES: "the request is larger than 16384 bytes",
    }
    for body, message in cases.items():
        with pytest.raises(ad.AutodiscoverError) as info:
            ad.parse_request(body)
        assert str(info.value).startswith(message)


def test_a_long_root_name_is_cut_in_the_message() -> None:
    with pytest.raises(ad.WrongDocument) as info:
        ad.parse_request(request(ns="urn:" + "x" * 5000))
    assert len(str(info.value)) < 300


def test_mobilesync_error_carries_its_schema_and_code() -> None:
    with pytest.raises(ad.MobileSyncRequested) as info:
        ad.parse_request(request(schema=ad.MOBILESYNC_NS))
    assert info.value.code == ad.ERROR_SCHEMA_NOT_SUPPORTED == 601
    assert info.value.response_schema == ad.MOBILESYNC_NS
    assert info.value.schema == ad.MOBILESYNC_NS


def test_an_unknown_schema_keeps_the_root_namespace() -> None:
    with pytest.raises(ad.UnsupportedSchema) as info:
        ad.parse_request(request(schema=" urn:other "))
    assert info.value.schema == "urn:other"
    assert info.value.response_schema is None


def test_other_errors_are_invalid_request() -> None:
    with pytest.raises(ad.NotXML) as info:
        ad.parse_request(b"<")
    assert info.value.code == ad.ERROR_INVALID_REQUEST == 600
    assert info.value.response_schema is None


def test_request_error_for_mobilesync() -> None:
    with pytest.raises(ad.MobileSyncRequested) as info:
        ad.parse_request(request(schema=ad.MOBILESYNC_NS))
    root = ElementTree.fromstring(ad.render_request_error(info.value))
    m = "{" + ad.MOBILESYNC_NS + "}"
    error = root.find(f"{m}Response/{m}Error")
    assert error is not None
    assert error.findtext(m + "ErrorCode") == "601"
    assert "ActiveSync" in (error.findtext(m + "Message") or "")


@given(st.binary(max_size=400))
def test_random_bytes_never_escape_as_other_errors(body: bytes) -> None:
    with contextlib.suppress(ad.AutodiscoverError):
        ad.parse_request(body)


@given(st.integers(min_value=0, max_value=400), st.binary(min_size=1, max_size=8))
def test_corrupted_requests_never_escape_as_other_errors(at: int, junk: bytes) -> None:
    body = request()
    with contextlib.suppress(ad.AutodiscoverError):
        ad.parse_request(body[:at] + junk + body[at:])


def _declared(body: bytes, encoding: str) -> bytes:
    """``body`` declared and encoded in ``encoding``."""
    text = body.decode().replace('encoding="utf-8"', f'encoding="{encoding}"')
    return text.encode(encoding)


VALID = {
    "plain": request(),
    "white-space": request(email="  user@163.com\n"),
    "no-declaration": request().split(b"\n", 1)[1],
    "utf-8-bom": b"\xef\xbb\xbf" + request(),
    "utf-16": _declared(request(), "utf-16"),
    "no-schema": document(f"<Request>{address('user@163.com')}</Request>"),
    "schema-with-white-space": request(schema=f"\n  {ad.OUTLOOK_NS}  \n"),
    "prefixed-names": (
        f'<a:Autodiscover xmlns:a="{ad.REQUEST_NS}"><a:Request>'
        "<a:EMailAddress>user@163.com</a:EMailAddress></a:Request></a:Autodiscover>"
    ).encode(),
    "first-address-wins": document(
        f"<Request>{address('user@163.com')}{address('b@qq.com')}</Request>"
    ),
    "first-request-wins": document(
        f"<Request>{address('user@163.com')}</Request><Request>{address('b@qq.com')}</Request>"
    ),
    "address-in-another-namespace-skipped": document(
        f'<Request><EMailAddress xmlns="urn:x">b@qq.com</EMailAddress>'
        f"{address('user@163.com')}</Request>"
    ),
    "other-elements-and-attributes": document(
        f'<Request x="1"><Other>b@qq.com</Other>{address("user@163.com")}{SCHEMA}</Request><Extra/>'
    ),
    "text-stops-at-a-child": document(
        f"<Request><EMailAddress>user@163.com<x/>.cn</EMailAddress>{SCHEMA}</Request>"
    ),
    # A comment, a CDATA section and a character reference in the middle of the address.
    "text-in-pieces": document(
        f"<Request>{address('user@<!-- c -->1<![CDATA[6]]>&#51;.com')}</Request>"
    ),
    "character-references": request(email="user&#64;163&#x2E;com"),
    "cdata-address": request(email="<![CDATA[user@163.com]]>"),
}


@pytest.mark.parametrize("body", VALID.values(), ids=VALID.keys())
def test_valid_requests(body: bytes) -> None:
    parsed = ad.parse_request(body)
    assert parsed.address == EmailAddress.parse("user@163.com")
    assert parsed.schema == ad.OUTLOOK_NS


@pytest.mark.parametrize(
    ("encoding", "local"),
    [
        ("utf-8", "émile"),
        ("utf-16", "émile"),
        ("iso-8859-1", "émile"),
        ("windows-1252", "émile"),
        ("utf-8", "用户"),
        ("utf-16", "用户"),
        ("utf-8", "ユーザー"),
    ],
)
def test_addresses_in_declared_encodings(encoding: str, local: str) -> None:
    body = _declared(request(email=f"{local}@163.com"), encoding)
    assert ad.parse_request(body).address == EmailAddress.parse(f"{local}@163.com")


@pytest.mark.parametrize(
    ("encoding", "local"), [("gb2312", "用户"), ("big5", "用戶"), ("shift_jis", "ユーザー")]
)
def test_multibyte_legacy_encodings_are_not_read(encoding: str, local: str) -> None:
    """Expat reads no multi-byte encoding but UTF-8 and UTF-16 (Outlook sends UTF-8)."""
    with pytest.raises(ad.NotXML, match="multi-byte encodings are not supported"):
        ad.parse_request(_declared(request(email=f"{local}@163.com"), encoding))


def test_a_wrongly_declared_encoding_reads_other_characters() -> None:
    """UTF-8 bytes under a Latin-1 declaration are read as Latin-1, as any parser would."""
    text = request(email="émile@163.com").decode()
    body = text.replace('encoding="utf-8"', 'encoding="iso-8859-1"').encode()
    assert ad.parse_request(body).address.local == "Ã©mile"


def test_request_cap_allows_real_sizes() -> None:
    padded = request().replace(b"<Request>", b"<Request>" + b" " * (ad.MAX_REQUEST_BYTES - 400))
    assert len(padded) <= ad.MAX_REQUEST_BYTES
    assert ad.parse_request(padded).address.domain == "163.com"


def test_request_cap_is_exact() -> None:
    body = request()
    at_cap = body + b" " * (ad.MAX_REQUEST_BYTES - len(body))
    assert ad.parse_request(at_cap).address.domain == "163.com"
    with pytest.raises(ad.RequestTooLarge):
        ad.parse_request(at_cap + b" ")
