"""Microsoft Autodiscover: reading and checking the POX request Outlook sends.

A request as Outlook sends it to ``POST /autodiscover/autodiscover.xml``::

    <?xml version="1.0" encoding="utf-8"?>
    <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
      <Request>
        <EMailAddress>user@163.com</EMailAddress>
        <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
      </Request>
    </Autodiscover>

The body is untrusted: it is size-capped, then parsed with defusedxml, which refuses
any DTD (so no entity is declared, nothing expands and nothing is fetched).
Every way a request can be refused is a subclass of :class:`AutodiscoverError`
carrying the ErrorCode of MS-OXDSCLI §2.2.4.1.1.3.1, which
:func:`~app.documents.autodiscover_response.render_request_error` answers with.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

from app.errors import InvalidAddress, MailsetupError
from app.models import EmailAddress

REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
MOBILESYNC_REQUEST_NS = (
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
)
# The response schemas a request may ask for (AcceptableResponseSchema).
OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
MOBILESYNC_NS = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"

# A real request is about 350 bytes; anything near this cap is not Outlook.
MAX_REQUEST_BYTES = 16 * 1024

# ErrorCode values, MS-OXDSCLI §2.2.4.1.1.3.1.
ERROR_ADDRESS_NOT_FOUND = 500
ERROR_NO_CONFIGURATION = 501
ERROR_INVALID_REQUEST = 600
ERROR_SCHEMA_NOT_SUPPORTED = 601
ERROR_INTERNAL = 603


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

# What defusedxml refuses, as the request is told. With ``forbid_dtd`` the DTD is
# refused before any declaration in it, so the other two cannot come in practice.
_UNSAFE = (
    (DTDForbidden, "the request has a DTD, which Autodiscover requests never have"),
    (EntitiesForbidden, "the request declares an entity"),
    (ExternalReferenceForbidden, "the request refers to an external entity"),
)


def _read(body: bytes) -> Element:
    """The document's root, parsed by defusedxml: no DTD, so no entity is declared,
    nothing expands and nothing is fetched (the strictest of its settings)."""
    try:
        root: Element = SafeET.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        message = next((m for kind, m in _UNSAFE if isinstance(exc, kind)), None)
        raise UnsafeXML(message or f"the request is refused as unsafe XML: {exc}") from exc
    except (ParseError, ValueError, LookupError) as exc:  # LookupError: encoding
        raise NotXML(f"the request is not well-formed XML: {exc}") from exc
    return root


def _text(parent: Element, tag: str) -> str | None:
    """The text of ``parent``'s first ``tag`` child up to its own first child element,
    "" when it has none; None without such a child."""
    found = parent.find(tag)
    return None if found is None else (found.text or "")


def parse_request(body: bytes) -> AutodiscoverRequest:
    """Parse an Autodiscover POX request; raise an :class:`AutodiscoverError` subclass."""
    if len(body) > MAX_REQUEST_BYTES:
        raise RequestTooLarge(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    root = _read(body)
    ns = _ROOTS.get(root.tag)
    if ns is None:
        raise WrongDocument(f"the root element is {root.tag[:200]}, not an Autodiscover request")
    request = root.find(f"{{{ns}}}Request")
    if request is None:
        raise WrongDocument("the Autodiscover element has no Request")
    default = OUTLOOK_NS if ns == REQUEST_NS else MOBILESYNC_NS
    asked = _text(request, f"{{{ns}}}AcceptableResponseSchema")
    schema = (default if asked is None else asked).strip()  # present but empty: refused
    text = (_text(request, f"{{{ns}}}EMailAddress") or "").strip()
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
