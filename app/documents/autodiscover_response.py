"""Microsoft Autodiscover: the Outlook settings response and the error response.

Responses always say ``SPA=off`` (Outlook takes a missing SPA as on) and give
``Encryption``, which overrides ``SSL``. A login name the provider issues gets no
``LoginName`` (optional in MS-OXDSCLI §2.2.4.1.1.2.6.28): no address stands in for it.
An error response carries an ErrorCode of MS-OXDSCLI §2.2.4.1.1.3.1 (the ``ERROR_*``
values of :mod:`~app.documents.autodiscover_request`).
"""

from __future__ import annotations

import datetime as dt
import secrets
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
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


def _settings_tree(config: AccountConfig, login: Callable[[str], str]) -> ET.Element:
    """The settings response as a tree: one ``Protocol`` per endpoint, IMAP, POP3, then
    SMTP. Outlook uses the first ``Protocol`` of each ``Type``, so within a type the
    config's order of preference is kept. ``login`` gives each endpoint's LoginName
    text from its username template; an endpoint with an issued login name has none."""
    root = ET.Element("Autodiscover", xmlns=RESPONSE_NS)
    account = ET.SubElement(ET.SubElement(root, "Response", xmlns=OUTLOOK_NS), "Account")
    _text(account, "AccountType", "email")
    _text(account, "Action", "settings")
    for protocol in (Protocol.IMAP, Protocol.POP3, Protocol.SMTP):
        for endpoint in config.by_protocol(protocol):
            element = ET.SubElement(account, "Protocol")
            _text(element, "Type", PROTOCOL_TYPE[endpoint.protocol])
            _text(element, "Server", endpoint.host)
            _text(element, "Port", str(endpoint.port))
            if endpoint.issued_username is None:
                _text(element, "LoginName", login(endpoint.username))
            _text(element, "DomainRequired", "off")
            _text(element, "SPA", "off")
            _text(element, "SSL", "off" if endpoint.security is Security.NONE else "on")
            _text(element, "Encryption", ENCRYPTION[endpoint.security])
            _text(element, "AuthRequired", "off" if endpoint.auth == (AuthMethod.NONE,) else "on")
    return root


@dataclass(frozen=True)
class ResponseTemplate:
    """The Outlook settings response of one config, serialised once, its login names
    left to fill in per request.

    The document is built and serialised by ElementTree with a marker as each
    LoginName's text, then cut at the markers: ``parts`` alternates serialised XML
    (even indexes) and the username template whose filled value goes between (odd
    indexes). :meth:`render` joins them with each value escaped by the standard
    library's ``xml.sax.saxutils.escape`` (the values are element text, never an
    attribute), the escaping ElementTree itself applies to text: the bytes are those
    ElementTree would write for the filled tree.
    """

    parts: tuple[str, ...]

    @classmethod
    def of(cls, config: AccountConfig) -> ResponseTemplate:
        """Serialise the response of ``config`` once (see :func:`_settings_tree`)."""
        marker = f"mailsetup-login-{secrets.token_hex(16)}"  # nothing else can hold it
        templates: list[str] = []

        def login(template: str) -> str:
            templates.append(template)
            return marker

        pieces = _serialise(_settings_tree(config, login)).decode().split(marker)
        if len(pieces) != len(templates) + 1:  # pragma: no cover - a marker got escaped
            raise RuntimeError("the login name markers did not survive serialisation")
        parts = [pieces[0]]
        for template, piece in zip(templates, pieces[1:], strict=True):
            parts += [template, piece]
        return cls(tuple(parts))

    def render(self, address: EmailAddress) -> bytes:
        """The response for ``address``: each login name filled and escaped."""
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
