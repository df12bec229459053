"""Microsoft Autodiscover: the POX request parser, responses, and the v2 JSON answer.

A request as Outlook sends it to ``POST /autodiscover/autodiscover.xml``::

    <?xml version="1.0" encoding="utf-8"?>
    <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
      <Request>
        <EMailAddress>user@163.com</EMailAddress>
        <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
      </Request>
    </Autodiscover>

Every way a request can be refused is a subclass of :class:`AutodiscoverError`
carrying the ErrorCode of MS-OXDSCLI §2.2.4.1.1.3.1 for :func:`render_error`.
Responses always say ``SPA=off`` (Outlook takes a missing SPA as on) and give
``Encryption``, which overrides ``SSL``.
"""

from __future__ import annotations

import datetime as dt
import pyexpat
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from app.errors import InvalidAddress, MailsetupError
from app.models import AccountConfig, AuthMethod, EmailAddress, Protocol, Security

REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
MOBILESYNC_REQUEST_NS = (
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
)
RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
MOBILESYNC_NS = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"

CONTENT_TYPE = "text/xml; charset=utf-8"
# A real request is about 350 bytes; anything near this cap is not Outlook.
MAX_REQUEST_BYTES = 16 * 1024

# ErrorCode values, MS-OXDSCLI §2.2.4.1.1.3.1.
ERROR_ADDRESS_NOT_FOUND = 500
ERROR_NO_CONFIGURATION = 501
ERROR_INVALID_REQUEST = 600
ERROR_SCHEMA_NOT_SUPPORTED = 601
ERROR_INTERNAL = 603

# Exchange puts a hash of the server's name here; ours is a constant.
SERVER_ID = zlib.crc32(b"mailsetup")

PROTOCOL_TYPE = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
ENCRYPTION = {Security.TLS: "SSL", Security.STARTTLS: "TLS", Security.NONE: "None"}

V1_PROTOCOL = "AutodiscoverV1"


class AutodiscoverError(MailsetupError, ValueError):
    """A request that cannot be answered with settings."""

    code = ERROR_INVALID_REQUEST
    #: The namespace the error ``Response`` should carry; None means the root's.
    response_schema: str | None = None


class RequestTooLarge(AutodiscoverError):
    """The body is larger than :data:`MAX_REQUEST_BYTES`."""


class NotXML(AutodiscoverError):
    """The body is not well-formed XML."""


class UnsafeXML(AutodiscoverError):
    """The body has a DTD, entity declarations or external references."""


class WrongDocument(AutodiscoverError):
    """The root is not an Autodiscover request in a known namespace."""


class MissingAddress(AutodiscoverError):
    """The request has no EMailAddress."""


class BadAddress(AutodiscoverError):
    """EMailAddress is not a usable email address."""


class UnsupportedSchema(AutodiscoverError):
    """AcceptableResponseSchema names a schema this service does not answer."""

    code = ERROR_SCHEMA_NOT_SUPPORTED

    def __init__(self, message: str, schema: str) -> None:
        super().__init__(message)
        self.schema = schema


class MobileSyncRequested(UnsupportedSchema):
    """An Exchange ActiveSync (mobilesync) request; this service offers no ActiveSync."""

    response_schema = MOBILESYNC_NS


@dataclass(frozen=True)
class AutodiscoverRequest:
    """A parsed Outlook request."""

    address: EmailAddress
    schema: str


_ROOTS = {f"{ns}}}Autodiscover": ns for ns in (REQUEST_NS, MOBILESYNC_REQUEST_NS)}
_FIELDS = ("EMailAddress", "AcceptableResponseSchema")


class _Fields:
    """Reads a request as expat parses it, keeping what :func:`parse_request` needs and
    building no tree: the root's tag, whether its first ``Request`` child came, and the
    text of that Request's first ``EMailAddress`` and ``AcceptableResponseSchema``
    children (up to their first child element, as ElementTree's ``text``).

    Any DTD is refused, so no entity can be declared: nothing expands, nothing is
    fetched (defusedxml's ``forbid_dtd``, the strictest of its settings).
    """

    def __init__(self) -> None:
        self.root: str | None = None
        self.ns: str | None = None
        self.request = False  # inside the root's first Request
        self.saw_request = False
        self.texts: dict[str, str] = {}
        self._depth = 0
        self._field: str | None = None  # collecting this field's text
        self._parts: list[str] = []

    def parse(self, body: bytes) -> None:
        parser = pyexpat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True  # one call per run of text, not one per line
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        parser.EntityDeclHandler = self._refuse_entity
        parser.ExternalEntityRefHandler = self._refuse_reference
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._data
        parser.Parse(body, True)

    def _refuse_dtd(self, *_: object) -> None:
        raise UnsafeXML("the request has a DTD, which Autodiscover requests never have")

    def _refuse_entity(self, *_: object) -> None:
        raise UnsafeXML("the request declares an entity")

    def _refuse_reference(self, *_: object) -> int:
        raise UnsafeXML("the request refers to an external entity")

    def _start(self, tag: str, _attributes: object) -> None:
        self._depth += 1
        if self._depth == 1:
            self.root, self.ns = tag, _ROOTS.get(tag)
        elif self._depth == 2:
            self.request = not self.saw_request and tag == f"{self.ns}}}Request"
            self.saw_request = self.saw_request or self.request
        elif self._depth == 3 and self.request and self.ns is not None:
            name = tag.removeprefix(self.ns + "}")
            if name in _FIELDS and name not in self.texts and tag != name:
                self._field, self._parts = name, []
        elif self._field is not None:  # a child element ends the field's text
            self.texts[self._field] = "".join(self._parts)
            self._field = None

    def _end(self, _tag: str) -> None:
        if self._depth == 3 and self._field is not None:
            self.texts[self._field] = "".join(self._parts)
            self._field = None
        if self._depth == 2:
            self.request = False
        self._depth -= 1

    def _data(self, text: str) -> None:
        if self._field is not None:
            self._parts.append(text)


def parse_request(body: bytes) -> AutodiscoverRequest:
    """Parse an Autodiscover POX request; raise an :class:`AutodiscoverError` subclass."""
    if len(body) > MAX_REQUEST_BYTES:
        raise RequestTooLarge(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    fields = _Fields()
    try:
        fields.parse(body)
    except UnsafeXML:
        raise
    except (pyexpat.ExpatError, ValueError, LookupError) as exc:  # LookupError: encoding
        raise NotXML(f"the request is not well-formed XML: {exc}") from exc
    ns = fields.ns
    if ns is None:
        tag = fields.root or ""
        shown = "{" + tag if "}" in tag else tag  # as ElementTree writes a namespaced tag
        raise WrongDocument(f"the root element is {shown[:200]}, not an Autodiscover request")
    if not fields.saw_request:
        raise WrongDocument("the Autodiscover element has no Request")
    default = OUTLOOK_NS if ns == REQUEST_NS else MOBILESYNC_NS
    schema = fields.texts.get("AcceptableResponseSchema", default).strip()
    text = fields.texts.get("EMailAddress", "").strip()
    if schema == MOBILESYNC_NS:
        raise MobileSyncRequested("this service offers no Exchange ActiveSync", schema)
    if schema != OUTLOOK_NS:
        raise UnsupportedSchema(f"unsupported AcceptableResponseSchema {schema[:200]!r}", schema)
    if not text:
        raise MissingAddress("the request has no EMailAddress")
    try:
        address = EmailAddress.parse(text)
    except InvalidAddress as exc:
        raise BadAddress(str(exc)) from exc
    return AutodiscoverRequest(address=address, schema=schema)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"


_RESPONSE_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    f'<Autodiscover xmlns="{RESPONSE_NS}">\n'
    f'  <Response xmlns="{OUTLOOK_NS}">\n'
    "    <Account>\n"
    "      <AccountType>email</AccountType>\n"
    "      <Action>settings</Action>\n"
)
_RESPONSE_TAIL = "    </Account>\n  </Response>\n</Autodiscover>\n"
_PROTOCOL = (
    "      <Protocol>\n"
    "        <Type>{type}</Type>\n"
    "        <Server>{server}</Server>\n"
    "        <Port>{port}</Port>\n"
    "        <LoginName>{login}</LoginName>\n"
    "        <DomainRequired>off</DomainRequired>\n"
    "        <SPA>off</SPA>\n"
    "        <SSL>{ssl}</SSL>\n"
    "        <Encryption>{encryption}</Encryption>\n"
    "        <AuthRequired>{auth}</AuthRequired>\n"
    "      </Protocol>\n"
)


_PROTOCOL_HEAD, _PROTOCOL_TAIL = _PROTOCOL.split("{login}")


@dataclass(frozen=True)
class ResponseTemplate:
    """The Outlook settings response of one config, its login names left to fill in.

    ``parts`` alternates text and username templates: text at even indexes.
    """

    parts: tuple[str, ...]

    @classmethod
    def of(cls, config: AccountConfig) -> ResponseTemplate:
        """One ``Protocol`` per endpoint, IMAP, POP3, then SMTP. Outlook uses the first
        ``Protocol`` of each ``Type``, so within a type the config's order of
        preference is kept."""
        parts = [_RESPONSE_HEAD]
        for protocol in (Protocol.IMAP, Protocol.POP3, Protocol.SMTP):
            for endpoint in config.by_protocol(protocol):
                fields = {
                    "type": PROTOCOL_TYPE[endpoint.protocol],
                    "server": xml_escape(endpoint.host),
                    "port": endpoint.port,
                    "ssl": "off" if endpoint.security is Security.NONE else "on",
                    "encryption": ENCRYPTION[endpoint.security],
                    "auth": "off" if endpoint.auth == (AuthMethod.NONE,) else "on",
                }
                parts[-1] += _PROTOCOL_HEAD.format(**fields)
                parts += [endpoint.username, _PROTOCOL_TAIL.format(**fields)]
        parts[-1] += _RESPONSE_TAIL
        return cls(tuple(parts))

    def render(self, address: EmailAddress) -> bytes:
        """The response for ``address``: the same bytes ElementTree would write."""
        parts = list(self.parts)
        filled: dict[str, str] = {}  # the endpoints mostly share one username template
        for i in range(1, len(parts), 2):
            template = parts[i]
            login = filled.get(template)
            if login is None:
                login = filled[template] = xml_escape(address.fill(template))
            parts[i] = login
        return "".join(parts).encode()


def render_response(config: AccountConfig, address: EmailAddress) -> bytes:
    """The Outlook settings response for ``address`` (see :class:`ResponseTemplate`)."""
    return ResponseTemplate.of(config).render(address)


def render_error(
    code: int,
    message: str,
    *,
    response_schema: str | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """An Exchange-style error response: ``Response/Error`` with Time and Id attributes.

    ``response_schema`` puts ``Response`` in that namespace (mobilesync errors do);
    ``now`` defaults to the current UTC time.
    """
    moment = now or dt.datetime.now(dt.UTC)
    root = ET.Element("Autodiscover", xmlns=RESPONSE_NS)
    response = ET.SubElement(root, "Response")
    if response_schema is not None:
        response.set("xmlns", response_schema)
    error = ET.SubElement(response, "Error", Time=moment.strftime("%H:%M:%S.%f"), Id=str(SERVER_ID))
    _text(error, "ErrorCode", str(code))
    _text(error, "Message", message)
    ET.SubElement(error, "DebugData")
    return _serialise(root)


def render_request_error(exc: AutodiscoverError, *, now: dt.datetime | None = None) -> bytes:
    """The error response for a refused request."""
    return render_error(exc.code, str(exc), response_schema=exc.response_schema, now=now)


def autodiscover_v2(protocol: str, public_url: str) -> tuple[int, dict[str, Any]]:
    """Status and JSON body for ``/autodiscover/autodiscover.json`` (Protocol is case-blind)."""
    if protocol.casefold() == V1_PROTOCOL.casefold():
        url = f"{public_url.rstrip('/')}/autodiscover/autodiscover.xml"
        return 200, {"Protocol": V1_PROTOCOL, "Url": url}
    shown = protocol[:64]
    message = f"The given protocol value '{shown}' is invalid. Supported values are '{V1_PROTOCOL}'"
    return 400, {"ErrorCode": "InvalidProtocol", "ErrorMessage": message}
