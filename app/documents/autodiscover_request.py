"""Microsoft Autodiscover: reading and checking the POX request Outlook sends.

A request as Outlook sends it to ``POST /autodiscover/autodiscover.xml``::

    <?xml version="1.0" encoding="utf-8"?>
    <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
      <Request>
        <EMailAddress>user@163.com</EMailAddress>
        <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
      </Request>
    </Autodiscover>

Every way a request can be refused is a subclass of :class:`AutodiscoverError`
carrying the ErrorCode of MS-OXDSCLI §2.2.4.1.1.3.1, which
:func:`~app.documents.autodiscover_response.render_request_error` answers with.
"""

from __future__ import annotations

import pyexpat
from dataclasses import dataclass

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
