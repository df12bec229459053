"""Apple configuration profiles (``.mobileconfig``) for Mail on iPhone, iPad and Mac.

One ``com.apple.mail.managed`` payload inside a ``Configuration`` profile,
serialised with :mod:`plistlib`. Identifiers and UUIDs are derived from the
address, so downloading twice gives the same bytes and installing again
replaces the earlier profile. A profile never carries a password, nor a login name
the provider issues: without ``…MailServerUsername`` the device asks for it.
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
DESCRIPTION_ISSUED = N_(
    "Sets up {address} in Mail: incoming {incoming_host}:{incoming_port}, "
    "outgoing {outgoing_host}:{outgoing_port}. When you install it, you type the password "
    "and, as the user name, {username}."
)


def _identity(text: str) -> str:
    return text


NO_SERVER = N_(
    "{provider} lists no server for a profile: it needs an incoming and an outgoing server."
)
OAUTH2_ONLY = N_(
    "{provider} accepts only OAuth2 sign-in, which a profile cannot carry. Add the account on "
    "the device instead: on iPhone or iPad in “Settings” → “Apps” → “Mail” → “Mail Accounts” → "
    "“Add Account” (before iOS 18: “Settings” → “Mail” → “Accounts”), on a Mac in “Mail” → "
    "“Add Account…”, and choose your provider there."
)
OTHER_AUTH_ONLY = N_(
    "{provider} accepts only {methods} sign-in, which a profile cannot carry. Set up the "
    "account by hand in Mail instead."
)


class ProfileUnavailable(MailsetupError, ValueError):
    """The config cannot be expressed as a mail profile (no server, or OAuth2 only).

    ``message`` is an ``N_`` text; :meth:`explain` says it in a language.
    """

    def __init__(self, message: str, config: AccountConfig, methods: str = "") -> None:
        self.message = message
        self.config = config
        self.methods = methods
        super().__init__(self.explain())

    def explain(self, lang: str = "en", gettext: Callable[[str], str] | None = None) -> str:
        """Why there is no profile, through ``gettext``, naming the provider in ``lang``."""
        config = self.config
        provider = config.name.get(lang) if config.name else config.domain
        text = (gettext or _identity)(self.message)
        return text.format(provider=provider, methods=self.methods)


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
        raise ProfileUnavailable(NO_SERVER, config)
    usable = [e for e in endpoints if _auth(e) is not None]
    if not usable:
        methods = list(dict.fromkeys(m for e in endpoints for m in e.auth))
        if methods == [AuthMethod.OAUTH2]:
            raise ProfileUnavailable(OAUTH2_ONLY, config)
        raise ProfileUnavailable(OTHER_AUTH_ONLY, config, ", ".join(m.value for m in methods))
    return usable[0]


def profile_servers(config: AccountConfig) -> tuple[ServerEndpoint, ServerEndpoint]:
    """The incoming and outgoing server a profile of ``config`` holds; raise
    :class:`ProfileUnavailable` when it cannot have one (pages ask before offering it)."""
    incoming = config.by_protocol(Protocol.IMAP) or config.by_protocol(Protocol.POP3)
    return _pick(incoming, config), _pick(config.outgoing, config)


def _server_keys(prefix: str, endpoint: ServerEndpoint, address: EmailAddress) -> dict[str, Any]:
    keys: dict[str, Any] = {
        f"{prefix}MailServerHostName": endpoint.host,
        f"{prefix}MailServerPortNumber": endpoint.port,
        # One boolean for both: Mail upgrades with STARTTLS when it is true.
        f"{prefix}MailServerUseSSL": endpoint.security is not Security.NONE,
        f"{prefix}MailServerAuthentication": _auth(endpoint),
    }
    # Left out for an issued login name: Apple's Mail payload then has the device ask for
    # it while the profile is installed.
    if endpoint.issued_username is None:
        keys[f"{prefix}MailServerUsername"] = address.fill(endpoint.username)
    return keys


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
    incoming, outgoing = profile_servers(config)
    identifier = profile_identifier(identifier_prefix, address)
    provider = config.name.get(lang) if config.name else config.domain
    issued = incoming.issued_username or outgoing.issued_username
    values = {
        "address": address.address,
        "provider": provider,
        "incoming_host": incoming.host,
        "incoming_port": incoming.port,
        "outgoing_host": outgoing.host,
        "outgoing_port": outgoing.port,
        "username": issued.get(lang) if issued else "",
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
        "PayloadDescription": gettext(DESCRIPTION_ISSUED if issued else DESCRIPTION).format(
            **values
        ),
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
