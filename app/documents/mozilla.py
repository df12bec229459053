"""Mozilla autoconfig ``config-v1.1.xml``: a pure function of an :class:`AccountConfig`.

The document keeps the ``%EMAILADDRESS%``-style placeholders, as ISPDB does, so
one rendering serves every address of a provider. What Thunderbird accepts
(``readFromXML``) shapes the output: values are written exactly, with no
surrounding white space; every server carries a ``username``; each server lists
only ``authentication`` values Thunderbird knows, in order of preference; and a
password method follows OAuth2 wherever passwords work.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.models import AccountConfig, AuthMethod, Localized, Protocol, Security, ServerEndpoint

SOCKET_TYPE = {Security.TLS: "SSL", Security.STARTTLS: "STARTTLS", Security.NONE: "plain"}

AUTHENTICATION = {
    AuthMethod.OAUTH2: "OAuth2",
    AuthMethod.PASSWORD: "password-cleartext",
    AuthMethod.APP_PASSWORD: "password-cleartext",
    AuthMethod.AUTHORIZATION_CODE: "password-cleartext",
    AuthMethod.PASSWORD_ENCRYPTED: "password-encrypted",
    AuthMethod.NTLM: "NTLM",
    AuthMethod.GSSAPI: "GSSAPI",
    AuthMethod.CLIENT_CERT: "TLS-client-cert",
    AuthMethod.NONE: "none",
}

# Thunderbird refuses these on incoming servers; they are left out there.
_NOT_INCOMING = frozenset({"none", "client-IP-address", "TLS-client-cert"})

# BCP 47 tags that mail clients match against their UI locale.
XML_LANGS = (("en", "en"), ("zh-Hans", "zh-CN"), ("zh-Hant", "zh-TW"))

CONTENT_TYPE = "text/xml; charset=utf-8"


def authentication_values(endpoint: ServerEndpoint) -> list[str]:
    """The endpoint's ``<authentication>`` values, mapped, de-duplicated, in order."""
    values: list[str] = []
    for method in endpoint.auth:
        value = AUTHENTICATION[method]
        if endpoint.protocol.incoming and value in _NOT_INCOMING:
            continue
        if value not in values:
            values.append(value)
    return values


def _text(parent: ET.Element, tag: str, text: str, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def _localized(parent: ET.Element, tag: str, text: Localized) -> None:
    for key, xml_lang in XML_LANGS:
        _text(parent, tag, text.get(key), lang=xml_lang)


def _server(parent: ET.Element, endpoint: ServerEndpoint, leave_on_server: bool) -> None:
    tag = "incomingServer" if endpoint.protocol.incoming else "outgoingServer"
    server = ET.SubElement(parent, tag, type=endpoint.protocol.value)
    _text(server, "hostname", endpoint.host)
    _text(server, "port", str(endpoint.port))
    _text(server, "socketType", SOCKET_TYPE[endpoint.security])
    # A login name the provider issues (issued_username) has no form here: Thunderbird's
    # readFromXML needs a <username> on every incoming server and on a password-using
    # outgoing one, and does not support <inputField> (custom values) yet. So it gets
    # %EMAILADDRESS%, which Thunderbird shows in the editable "Username" of its manual
    # setup; the <enable> instructions carry the provider's steps, which say what to type.
    issued = endpoint.issued_username is not None
    _text(server, "username", "%EMAILADDRESS%" if issued else endpoint.username)
    for value in authentication_values(endpoint):
        _text(server, "authentication", value)
    if endpoint.protocol is Protocol.POP3:
        pop3 = ET.SubElement(server, "pop3")
        _text(pop3, "leaveMessagesOnServer", "true" if leave_on_server else "false")
        _text(pop3, "downloadOnBiff", "true")


def _enable(provider: ET.Element, config: AccountConfig) -> None:
    url = next((str(s.url) for s in config.steps if s.url is not None), None)
    if url is None:
        return
    enable = ET.SubElement(provider, "enable", visiturl=url)
    for key, xml_lang in XML_LANGS:
        lines = []
        for i, step in enumerate(config.steps, 1):
            where = f" ({step.path.get(key)})" if step.path else ""
            lines.append(f"{i}. {step.text.get(key)}{where}")
        _text(enable, "instruction", " ".join(lines), lang=xml_lang)


def render_autoconfig(config: AccountConfig) -> bytes:
    """Render ``config`` as a UTF-8 ``config-v1.1.xml`` document."""
    root = ET.Element("clientConfig", version="1.1")
    provider = ET.SubElement(root, "emailProvider", id=config.provider_id or config.domain)
    for domain in config.domains or (config.domain,):
        _text(provider, "domain", domain)
    display = config.name.en if config.name else config.domain
    _text(provider, "displayName", display[:60])
    short = config.short_name or display
    _text(provider, "displayShortName", short[:20])
    for endpoint in config.incoming:
        _server(provider, endpoint, config.pop3_leave_on_server)
    for endpoint in config.outgoing:
        _server(provider, endpoint, config.pop3_leave_on_server)
    _enable(provider, config)
    for link in config.help:
        doc = ET.SubElement(provider, "documentation", url=str(link.url))
        title = link.title or config.name
        if title is not None:
            _localized(doc, "descr", title)
    if config.oauth2 is not None:
        oauth = ET.SubElement(root, "oAuth2")
        _text(oauth, "issuer", config.oauth2.issuer)
        _text(oauth, "scope", " ".join(config.oauth2.scopes))
        _text(oauth, "authURL", str(config.oauth2.auth_url))
        _text(oauth, "tokenURL", str(config.oauth2.token_url))
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"
