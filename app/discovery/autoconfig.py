"""Read a Mozilla ``config-v1.1.xml`` (the domain's own, or ISPDB's) into an AccountConfig.

Untrusted input: parsed with defusedxml (no DTDs, no entities), and every
server is checked the way Thunderbird checks it. ``%EMAILDOMAIN%`` in a host name is
filled with the domain before the name is checked; any other placeholder there makes
the server unusable. A server with a bad host, port, socket type or username template
is dropped and the reason recorded; a document with no usable incoming and outgoing
server is refused. :func:`parse_provider` reads a document for all the domains it lists,
keeping ``%EMAILDOMAIN%`` in host names (the ISPDB snapshot's importer).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from app.errors import InvalidAddress, MailsetupError
from app.hostnames import is_hostname, normalize_domain
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
EMAILDOMAIN = "%EMAILDOMAIN%"  # the one placeholder a host name may hold


class AutoconfigError(MailsetupError, ValueError):
    """The document is not a usable autoconfig file."""


def _text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "") if found is not None else ""


def host_template(written: str) -> str:
    """A ``<hostname>`` in lower case with ``%EMAILDOMAIN%`` kept; raise for any other
    placeholder, which would put (part of) the asker's address into the name we connect to."""
    template = written.lower().replace("%emaildomain%", EMAILDOMAIN)
    if "%" in template.replace(EMAILDOMAIN, ""):
        raise AutoconfigError(f"hostname {written!r}: only %EMAILDOMAIN% may stand in a host")
    return template


def fill_host(template: str, domain: str) -> str:
    """``template`` with ``%EMAILDOMAIN%`` filled in, as Thunderbird does; raise unless the
    result is a host name."""
    host = template.replace(EMAILDOMAIN, domain)
    if not is_hostname(host):
        raise AutoconfigError(f"hostname {host!r} is not a valid host name")
    return host


def _server(
    element: Element, protocol: Protocol, source: Source, domains: tuple[str, ...]
) -> ServerEndpoint:
    """One server, its host still a template; checked for each of ``domains``."""
    template = host_template(_text(element, "hostname"))
    hosts = [fill_host(template, domain) for domain in domains]
    host = hosts[0]  # the name the reasons below show
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
        host=template,
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


def _provider(body: bytes) -> tuple[Element, Element]:
    """The document's root and its first ``<emailProvider>``."""
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
    return root, provider


@dataclass
class _Servers:
    """The usable servers of a provider, incoming first, with what was left out: ``dropped``
    (unusable) and ``ignored`` (a type other than IMAP, POP3 and SMTP, or past the cap)."""

    endpoints: tuple[ServerEndpoint, ...]
    dropped: list[str]
    ignored: list[str]


def _servers(provider: Element, source: Source, domains: tuple[str, ...]) -> _Servers:
    endpoints: list[ServerEndpoint] = []
    dropped: list[str] = []
    ignored: list[str] = []
    servers: list[tuple[Element, Protocol]] = []
    for e in provider:
        if e.tag not in ("incomingServer", "outgoingServer"):
            continue
        if e.get("type") not in PROTOCOL:
            ignored.append(f"{e.tag} of type {e.get('type', '')!r}: not IMAP, POP3 or SMTP")
        elif len(servers) == MAX_SERVERS:
            ignored.append(f"{e.tag}: more than {MAX_SERVERS} servers")
        else:
            servers.append((e, PROTOCOL[e.get("type", "")]))
    for element, protocol in servers:
        if (element.tag == "outgoingServer") != (protocol is Protocol.SMTP):
            dropped.append(f"{element.tag} of type {protocol.value}")
            continue
        try:
            endpoints.append(_server(element, protocol, source, domains))
        except AutoconfigError as exc:
            dropped.append(str(exc))
    if not any(e.protocol.incoming for e in endpoints):
        raise AutoconfigError("no usable incoming server", *dropped)
    if not any(e.protocol is Protocol.SMTP for e in endpoints):
        raise AutoconfigError("no usable outgoing (smtp) server", *dropped)
    incoming = [e for e in endpoints if e.protocol.incoming]
    outgoing = [e for e in endpoints if not e.protocol.incoming]
    return _Servers((*incoming, *outgoing), dropped, ignored)


def parse_autoconfig(body: bytes, domain: str, source: Source) -> tuple[AccountConfig, list[str]]:
    """The config in ``body`` for ``domain``, and the reasons any server was dropped."""
    root, provider = _provider(body)
    found = _servers(provider, source, (domain,))
    endpoints = tuple(
        e.model_copy(update={"host": fill_host(e.host, domain)}) for e in found.endpoints
    )
    display = _text(provider, "displayName").strip()[:60] or domain
    name = Localized(en=display, **{"zh-Hans": display, "zh-Hant": display})
    config = AccountConfig(
        domain=domain,
        provider_id=None,
        name=name,
        short_name=_text(provider, "displayShortName").strip()[:20] or None,
        endpoints=endpoints,
        oauth2=_oauth2(root),
        source=source,
    )
    return config, found.dropped


@dataclass(frozen=True)
class ProviderDocument:
    """One ``<emailProvider>`` for all its domains: host names keep ``%EMAILDOMAIN%``."""

    id: str
    domains: tuple[str, ...]
    endpoints: tuple[ServerEndpoint, ...]
    oauth2: OAuth2Info | None
    dropped: tuple[str, ...]  # unusable servers, each with its reason
    ignored: tuple[str, ...]  # servers of other types, or past the cap
    domains_dropped: tuple[str, ...]  # invalid or repeated <domain>s, each with its reason


def parse_provider(body: bytes, source: Source) -> ProviderDocument:
    """The provider in ``body`` for every ``<domain>`` it lists (as ISPDB files do);
    raise :class:`AutoconfigError` when it has no valid domain or no usable servers."""
    root, provider = _provider(body)
    domains: list[str] = []
    left_out: list[str] = []
    for element in provider.findall("domain"):
        written = element.text or ""
        try:
            domain = normalize_domain(written)
        except InvalidAddress as exc:
            left_out.append(f"domain {written!r}: {exc}")
            continue
        if domain in domains:
            left_out.append(f"domain {domain} is listed twice")
        else:
            domains.append(domain)
    if not domains:
        raise AutoconfigError("no valid <domain>", *left_out)
    found = _servers(provider, source, tuple(domains))
    return ProviderDocument(
        id=provider.get("id", ""),
        domains=tuple(domains),
        endpoints=found.endpoints,
        oauth2=_oauth2(root),
        dropped=tuple(found.dropped),
        ignored=tuple(found.ignored),
        domains_dropped=tuple(left_out),
    )
