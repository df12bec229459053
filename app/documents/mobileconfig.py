"""Apple configuration profiles (``.mobileconfig``) for Mail on iPhone, iPad and Mac.

One ``com.apple.mail.managed`` payload inside a ``Configuration`` profile,
serialised with :mod:`plistlib`. Identifiers and UUIDs are derived from the
address, so downloading twice gives the same bytes and installing again
replaces the earlier profile. A profile never carries a password.
"""

from __future__ import annotations

import hashlib
import plistlib
import re
import uuid
from collections.abc import Callable
from typing import Any

from app.errors import MailsetupError
from app.i18n import N_
from app.models import AccountConfig, AuthMethod, EmailAddress, Protocol, Security, ServerEndpoint

CONTENT_TYPE = "application/x-apple-aspen-config"
MAIL_PAYLOAD_TYPE = "com.apple.mail.managed"
# uuid5 namespace of every UUID in our profiles.
PROFILE_NAMESPACE = uuid.UUID("6f1d7c0e-3a8b-5e29-9c41-2b7d5e0a8f13")

# Apple's values for our auth methods; methods missing here cannot go in a profile.
APPLE_AUTH = {
    AuthMethod.PASSWORD: "EmailAuthPassword",
    AuthMethod.APP_PASSWORD: "EmailAuthPassword",
    AuthMethod.AUTHORIZATION_CODE: "EmailAuthPassword",
    AuthMethod.PASSWORD_ENCRYPTED: "EmailAuthCRAMMD5",
    AuthMethod.NTLM: "EmailAuthNTLM",
    AuthMethod.NONE: "EmailAuthNone",
}

DISPLAY_NAME = N_("Mail: {address}")
DESCRIPTION = N_(
    "Sets up {address} in Mail: incoming {incoming_host}:{incoming_port}, "
    "outgoing {outgoing_host}:{outgoing_port}. You type the password when you install it."
)


class ProfileUnavailable(MailsetupError, ValueError):
    """The config cannot be expressed as a mail profile (no server, or OAuth2 only)."""


def _identity(text: str) -> str:
    return text


def profile_identifier(identifier_prefix: str, address: EmailAddress) -> str:
    """``<prefix>.<reversed domain>.<hash>``: the same address always gives the same value."""
    reversed_domain = ".".join(reversed(address.domain.split(".")))
    digest = hashlib.sha256(address.address.casefold().encode()).hexdigest()[:16]
    return f"{identifier_prefix.strip('.')}.{reversed_domain}.{digest}"


def _uuid(identifier: str) -> str:
    return str(uuid.uuid5(PROFILE_NAMESPACE, identifier)).upper()


def _auth(endpoint: ServerEndpoint) -> str | None:
    return next((APPLE_AUTH[m] for m in endpoint.auth if m in APPLE_AUTH), None)


def _pick(endpoints: tuple[ServerEndpoint, ...], config: AccountConfig) -> ServerEndpoint:
    if not endpoints:
        raise ProfileUnavailable(f"{config.domain} lists no server for this profile")
    usable = [e for e in endpoints if _auth(e) is not None]
    if not usable:
        methods = ", ".join(m.value for m in endpoints[0].auth)
        raise ProfileUnavailable(
            f"{config.domain} accepts only {methods} sign-in, which a profile cannot carry"
        )
    return usable[0]


def _server_keys(prefix: str, endpoint: ServerEndpoint, address: EmailAddress) -> dict[str, Any]:
    return {
        f"{prefix}MailServerHostName": endpoint.host,
        f"{prefix}MailServerPortNumber": endpoint.port,
        # One boolean for both: Mail upgrades with STARTTLS when it is true.
        f"{prefix}MailServerUseSSL": endpoint.security is not Security.NONE,
        f"{prefix}MailServerUsername": address.fill(endpoint.username),
        f"{prefix}MailServerAuthentication": _auth(endpoint),
    }


def render_profile(
    config: AccountConfig,
    address: EmailAddress,
    *,
    identifier_prefix: str,
    organization: str,
    lang: str = "en",
    account_name: str | None = None,
    gettext: Callable[[str], str] = _identity,
) -> bytes:
    """The unsigned ``.mobileconfig`` for ``address``; raise :class:`ProfileUnavailable`.

    IMAP is used when the config has it, else POP; the first usable incoming
    server of that protocol and the first usable SMTP server go in.
    ``account_name`` (the sender name) defaults to the address's local part.
    """
    imap = config.by_protocol(Protocol.IMAP)
    incoming = _pick(imap or config.by_protocol(Protocol.POP3), config)
    outgoing = _pick(config.outgoing, config)
    identifier = profile_identifier(identifier_prefix, address)
    provider = config.name.get(lang) if config.name else config.domain
    values = {
        "address": address.address,
        "provider": provider,
        "incoming_host": incoming.host,
        "incoming_port": incoming.port,
        "outgoing_host": outgoing.host,
        "outgoing_port": outgoing.port,
    }
    display_name = gettext(DISPLAY_NAME).format(**values)
    mail: dict[str, Any] = {
        "PayloadType": MAIL_PAYLOAD_TYPE,
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{identifier}.mail",
        "PayloadUUID": _uuid(f"{identifier}.mail"),
        "PayloadDisplayName": display_name,
        "EmailAccountType": "EmailTypeIMAP" if imap else "EmailTypePOP",
        "EmailAddress": address.address,
        "EmailAccountDescription": f"{provider} ({address.address})",
        "EmailAccountName": account_name or address.local,
        **_server_keys("Incoming", incoming, address),
        **_server_keys("Outgoing", outgoing, address),
        "OutgoingPasswordSameAsIncomingPassword": True,
    }
    profile: dict[str, Any] = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": identifier,
        "PayloadUUID": _uuid(identifier),
        "PayloadDisplayName": display_name,
        "PayloadDescription": gettext(DESCRIPTION).format(**values),
        "PayloadOrganization": organization,
        "PayloadRemovalDisallowed": False,
        "PayloadContent": [mail],
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def profile_filename(address: EmailAddress) -> str:
    """A download name safe in Content-Disposition, e.g. ``user@qq.com.mobileconfig``."""
    local = _UNSAFE.sub("_", address.local)[:64].strip("._") or "mail"
    return f"{local}@{address.domain}.mobileconfig"
