"""Microsoft Autodiscover: the Outlook settings response and the error response.

Responses always say ``SPA=off`` (Outlook takes a missing SPA as on) and give
``Encryption``, which overrides ``SSL``. An error response carries an ErrorCode of
MS-OXDSCLI §2.2.4.1.1.3.1 (the ``ERROR_*`` values of
:mod:`~app.documents.autodiscover_request`).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape

from app.documents.autodiscover_request import OUTLOOK_NS, AutodiscoverError
from app.models import AccountConfig, AuthMethod, EmailAddress, Protocol, Security

RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"

CONTENT_TYPE = "text/xml; charset=utf-8"

# Exchange puts a hash of the server's name here; ours is a constant.
SERVER_ID = zlib.crc32(b"mailsetup")

PROTOCOL_TYPE = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
ENCRYPTION = {Security.TLS: "SSL", Security.STARTTLS: "TLS", Security.NONE: "None"}


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
