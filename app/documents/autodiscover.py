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
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from app.errors import InvalidAddress, MailsetupError
from app.models import AccountConfig, AuthMethod, EmailAddress, Protocol, Security, ServerEndpoint

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


_ROOTS = {f"{{{ns}}}Autodiscover": ns for ns in (REQUEST_NS, MOBILESYNC_REQUEST_NS)}


def _child(parent: ET.Element, ns: str, name: str) -> ET.Element | None:
    return parent.find(f"{{{ns}}}{name}")


def parse_request(body: bytes) -> AutodiscoverRequest:
    """Parse an Autodiscover POX request; raise an :class:`AutodiscoverError` subclass."""
    if len(body) > MAX_REQUEST_BYTES:
        raise RequestTooLarge(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        root: ET.Element = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UnsafeXML(f"the request uses a forbidden XML construct: {exc}") from exc
    except (ET.ParseError, ValueError, LookupError) as exc:  # LookupError: unknown encoding
        raise NotXML(f"the request is not well-formed XML: {exc}") from exc
    ns = _ROOTS.get(root.tag)
    if ns is None:
        raise WrongDocument(f"the root element is {root.tag[:200]}, not an Autodiscover request")
    request = _child(root, ns, "Request")
    if request is None:
        raise WrongDocument("the Autodiscover element has no Request")
    schema_el = _child(request, ns, "AcceptableResponseSchema")
    default = OUTLOOK_NS if ns == REQUEST_NS else MOBILESYNC_NS
    schema = (schema_el.text or "").strip() if schema_el is not None else default
    email_el = _child(request, ns, "EMailAddress")
    text = (email_el.text or "").strip() if email_el is not None else ""
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


def _protocol(account: ET.Element, endpoint: ServerEndpoint, address: EmailAddress) -> None:
    proto = ET.SubElement(account, "Protocol")
    _text(proto, "Type", PROTOCOL_TYPE[endpoint.protocol])
    _text(proto, "Server", endpoint.host)
    _text(proto, "Port", str(endpoint.port))
    _text(proto, "LoginName", address.fill(endpoint.username))
    _text(proto, "DomainRequired", "off")
    _text(proto, "SPA", "off")
    _text(proto, "SSL", "off" if endpoint.security is Security.NONE else "on")
    _text(proto, "Encryption", ENCRYPTION[endpoint.security])
    no_auth = endpoint.auth == (AuthMethod.NONE,)
    _text(proto, "AuthRequired", "off" if no_auth else "on")


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
        for i in range(1, len(parts), 2):
            parts[i] = xml_escape(address.fill(parts[i]))
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
