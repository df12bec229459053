"""Thunderbird's rules for reading ``config-v1.1.xml`` (its readFromXML and sanitizer).

:func:`thunderbird_reads` returns what Thunderbird would configure, or raises
:class:`Rejected` naming the rule a document breaks. The rules follow
the readFromXML module of Thunderbird's account setup (comm-central).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from defusedxml import ElementTree

HOSTNAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$", re.I)
SOCKET_TYPES = {"plain": "plain", "SSL": "SSL", "STARTTLS": "STARTTLS"}
AUTH_KNOWN = {
    "password-cleartext",
    "plain",
    "password-encrypted",
    "secure",
    "GSSAPI",
    "NTLM",
    "TLS-client-cert",
    "client-IP-address",
    "none",
    "OAuth2",
}
INCOMING_REJECTED = {"none", "client-IP-address", "TLS-client-cert"}
# Hosts in Thunderbird's built-in OAuth2 provider table, by domain suffix.
OAUTH2_HOST_SUFFIXES = (
    "gmail.com",
    "googlemail.com",
    "google.com",
    "office365.com",
    "outlook.com",
    "yahoo.com",
    "aol.com",
    "fastmail.com",
    "comcast.net",
    "mail.ru",
    "yandex.com",
    "yandex.ru",
)


class Rejected(ValueError):
    """Thunderbird would refuse the document or a required part of it."""


@dataclass(frozen=True)
class Server:
    type: str
    hostname: str
    port: int
    socket_type: str
    username: str
    auth: str


@dataclass(frozen=True)
class Reading:
    provider_id: str
    domains: list[str]
    incoming: list[Server]
    outgoing: list[Server]
    dropped: list[str]  # servers Thunderbird skips, with the reason


def _exact(element: object, tag: str, where: str) -> str:
    found = element.find(tag)  # type: ignore[attr-defined]
    if found is None:
        raise Rejected(f"{where}: missing <{tag}>")
    text = found.text
    if text is None or text == "":
        raise Rejected(f"{where}: empty <{tag}> (read as 'true')")
    if text != text.strip():
        raise Rejected(f"{where}: <{tag}> has surrounding white space: {text!r}")
    return str(text)


def _oauth_known(host: str) -> bool:
    return any(host == s or host.endswith("." + s) for s in OAUTH2_HOST_SUFFIXES)


def _server(element: object, incoming: bool) -> Server:
    kind = element.get("type", "")  # type: ignore[attr-defined]
    where = f"{'incoming' if incoming else 'outgoing'}Server[{kind}]"
    host = _exact(element, "hostname", where)
    if not HOSTNAME.match(host):
        raise Rejected(f"{where}: hostname {host!r} is not legal")
    port_text = _exact(element, "port", where)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise Rejected(f"{where}: port {port_text!r}")
    sockets = [e.text for e in element.findall("socketType")]  # type: ignore[attr-defined]
    socket = next((SOCKET_TYPES[s] for s in sockets if s in SOCKET_TYPES), None)
    if socket is None:
        raise Rejected(f"{where}: no socketType it knows in {sockets}")
    username = _exact(element, "username", where)
    auth = None
    for e in element.findall("authentication"):  # type: ignore[attr-defined]
        value = e.text
        if value not in AUTH_KNOWN:
            continue
        if value == "OAuth2" and not _oauth_known(host):
            continue
        auth = value
        break
    if auth is None:
        raise Rejected(f"{where}: no authentication it can use")
    if incoming and auth in INCOMING_REJECTED:
        raise Rejected(f"{where}: incoming authentication {auth!r} is refused")
    return Server(kind, host, int(port_text), socket, username, auth)


def thunderbird_reads(document: bytes) -> Reading:
    """Read ``document`` as Thunderbird does; raise :class:`Rejected` where it would fail."""
    root = ElementTree.fromstring(document)
    if root.tag != "clientConfig":
        raise Rejected(f"root is <{root.tag}>")
    provider = root.find("emailProvider")
    if provider is None:
        raise Rejected("no <emailProvider>")
    pid = provider.get("id", "")
    if not HOSTNAME.match(pid):
        raise Rejected(f"emailProvider id {pid!r} is not a legal hostname")
    domains = [d.text or "" for d in provider.findall("domain")]
    if not any(HOSTNAME.match(d) for d in domains):
        raise Rejected("no valid <domain>")
    incoming: list[Server] = []
    outgoing: list[Server] = []
    dropped: list[str] = []
    # Thunderbird drops a bad alternative server; one good server of each kind is enough.
    for tag, kinds, into in (
        ("incomingServer", ("imap", "pop3"), incoming),
        ("outgoingServer", ("smtp",), outgoing),
    ):
        for e in provider.findall(tag):
            if e.get("type") not in kinds:
                dropped.append(f"{tag} of type {e.get('type')!r}")
                continue
            try:
                into.append(_server(e, incoming=tag == "incomingServer"))
            except Rejected as exc:
                dropped.append(str(exc))
    if not incoming:
        raise Rejected("no incoming server survives checking")
    if not outgoing:
        raise Rejected("no smtp outgoing server survives checking")
    return Reading(pid, domains, incoming, outgoing, dropped)
