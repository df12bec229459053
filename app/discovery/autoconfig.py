"""Read a Mozilla ``config-v1.1.xml`` (the domain's own, or ISPDB's) into an AccountConfig.

Untrusted input: parsed with defusedxml (no DTDs, no entities), and every
server is checked the way Thunderbird checks it. A server with a bad host,
port, socket type or username template is dropped and the reason recorded; a
document with no usable incoming and outgoing server is refused.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from app.errors import MailsetupError
from app.hostnames import is_hostname
from app.models import (
    AccountConfig,
    AuthMethod,
    Localized,
    OAuth2Info,
    Protocol,
    Security,
    ServerEndpoint,
    Source,
    check_username_template,
)

# The type attribute of <incomingServer> and <outgoingServer>; other types are skipped.
PROTOCOL = {"imap": Protocol.IMAP, "pop3": Protocol.POP3, "smtp": Protocol.SMTP}

SECURITY = {"SSL": Security.TLS, "STARTTLS": Security.STARTTLS, "plain": Security.NONE}

AUTH = {
    "password-cleartext": AuthMethod.PASSWORD,
    "plain": AuthMethod.PASSWORD,
    "password-encrypted": AuthMethod.PASSWORD_ENCRYPTED,
    "secure": AuthMethod.PASSWORD_ENCRYPTED,
    "OAuth2": AuthMethod.OAUTH2,
    "NTLM": AuthMethod.NTLM,
    "GSSAPI": AuthMethod.GSSAPI,
    "TLS-client-cert": AuthMethod.CLIENT_CERT,
    "client-IP-address": AuthMethod.NONE,
    "none": AuthMethod.NONE,
}

MAX_SERVERS = 32


class AutoconfigError(MailsetupError, ValueError):
    """The document is not a usable autoconfig file."""


def _text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "") if found is not None else ""


def _server(element: Element, protocol: Protocol, source: Source, domain: str) -> ServerEndpoint:
    written = _text(element, "hostname").lower()
    # Thunderbird fills %EMAILDOMAIN% in a host name; any other placeholder would put
    # (part of) the asker's address into the name we connect to.
    host = written.replace("%emaildomain%", domain)
    if "%" in host:
        raise AutoconfigError(f"hostname {written!r}: only %EMAILDOMAIN% may stand in a host")
    if not is_hostname(host):
        raise AutoconfigError(f"hostname {host!r} is not a valid host name")
    port_text = _text(element, "port")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise AutoconfigError(f"port {port_text!r} is not a port number")
    security = next(
        (SECURITY[e.text] for e in element.findall("socketType") if e.text in SECURITY), None
    )
    if security is None:
        raise AutoconfigError(f"{host}: no socketType of SSL, STARTTLS or plain")
    try:
        username = check_username_template(_text(element, "username") or "%EMAILADDRESS%")
    except ValueError as exc:
        raise AutoconfigError(f"{host}: username: {exc}") from exc
    auth: list[AuthMethod] = []
    for e in element.findall("authentication"):
        method = AUTH.get(e.text or "")
        if method is not None and method not in auth:
            auth.append(method)
    return ServerEndpoint(
        protocol=protocol,
        host=host,
        port=int(port_text),
        security=security,
        username=username,
        auth=tuple(auth) or (AuthMethod.PASSWORD,),
        source=source,
    )


def _oauth2(root: Element) -> OAuth2Info | None:
    block = root.find("oAuth2")
    if block is None:
        return None
    try:
        return OAuth2Info(
            issuer=_text(block, "issuer"),
            scopes=tuple(_text(block, "scope").split()),
            auth_url=_text(block, "authURL"),
            token_url=_text(block, "tokenURL"),
        )
    except ValueError:
        return None  # an incomplete oAuth2 block does not spoil the servers


def parse_autoconfig(body: bytes, domain: str, source: Source) -> tuple[AccountConfig, list[str]]:
    """The config in ``body`` for ``domain``, and the reasons any server was dropped."""
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise AutoconfigError(f"refused XML: {type(exc).__name__}") from exc
    except ElementTree.ParseError as exc:
        raise AutoconfigError(f"not well-formed XML: {exc}") from exc
    if root.tag != "clientConfig":
        raise AutoconfigError(f"the root element is <{root.tag}>, not <clientConfig>")
    provider = root.find("emailProvider")
    if provider is None:
        raise AutoconfigError("no <emailProvider>")
    endpoints: list[ServerEndpoint] = []
    dropped: list[str] = []
    servers = [
        (e, PROTOCOL[e.get("type", "")])
        for e in provider
        if e.tag in ("incomingServer", "outgoingServer") and e.get("type") in PROTOCOL
    ]
    for element, protocol in servers[:MAX_SERVERS]:
        if (element.tag == "outgoingServer") != (protocol is Protocol.SMTP):
            dropped.append(f"{element.tag} of type {protocol.value}")
            continue
        try:
            endpoints.append(_server(element, protocol, source, domain))
        except AutoconfigError as exc:
            dropped.append(str(exc))
    if not any(e.protocol.incoming for e in endpoints):
        raise AutoconfigError("no usable incoming server", *dropped)
    if not any(e.protocol is Protocol.SMTP for e in endpoints):
        raise AutoconfigError("no usable outgoing (smtp) server", *dropped)
    display = _text(provider, "displayName").strip()[:60] or domain
    name = Localized(en=display, **{"zh-Hans": display, "zh-Hant": display})
    incoming = [e for e in endpoints if e.protocol.incoming]
    outgoing = [e for e in endpoints if not e.protocol.incoming]
    config = AccountConfig(
        domain=domain,
        provider_id=None,
        name=name,
        short_name=_text(provider, "displayShortName").strip()[:20] or None,
        endpoints=(*incoming, *outgoing),
        oauth2=_oauth2(root),
        source=source,
    )
    return config, dropped
