"""Account configs the real catalogue lacks: POP-only, STARTTLS-only, local-part login, plain."""

from __future__ import annotations

from app.models import (
    AccountConfig,
    AuthMethod,
    EmailAddress,
    Localized,
    Protocol,
    Security,
    ServerEndpoint,
)


def _name(text: str) -> Localized:
    return Localized.model_validate(
        {"en": text, "zh-Hans": f"{text} 邮箱", "zh-Hant": f"{text} 郵箱"}
    )


def _endpoint(
    protocol: Protocol,
    host: str,
    port: int,
    security: Security,
    username: str = "%EMAILADDRESS%",
    auth: tuple[AuthMethod, ...] = (AuthMethod.PASSWORD,),
) -> ServerEndpoint:
    return ServerEndpoint(
        protocol=protocol, host=host, port=port, security=security, username=username, auth=auth
    )


POP_ONLY = AccountConfig(
    domain="popmail.test",
    provider_id="popmail.test",
    name=_name("Pop Mail"),
    endpoints=(
        _endpoint(Protocol.POP3, "pop.popmail.test", 995, Security.TLS),
        _endpoint(Protocol.SMTP, "smtp.popmail.test", 465, Security.TLS),
    ),
)

STARTTLS_ONLY = AccountConfig(
    domain="starttls.test",
    provider_id="starttls.test",
    name=_name("Upgrade Mail"),
    endpoints=(
        _endpoint(Protocol.IMAP, "mail.starttls.test", 143, Security.STARTTLS),
        _endpoint(Protocol.POP3, "mail.starttls.test", 110, Security.STARTTLS),
        _endpoint(Protocol.SMTP, "mail.starttls.test", 587, Security.STARTTLS),
    ),
)

LOCALPART = AccountConfig(
    domain="local.test",
    provider_id="local.test",
    name=_name("Local Mail"),
    endpoints=(
        _endpoint(Protocol.IMAP, "imap.local.test", 993, Security.TLS, "%EMAILLOCALPART%"),
        _endpoint(Protocol.SMTP, "smtp.local.test", 465, Security.TLS, "%EMAILLOCALPART%"),
    ),
)

# An old-style server: no TLS at all, and SMTP without authentication.
PLAIN = AccountConfig(
    domain="plain.test",
    provider_id=None,
    endpoints=(
        _endpoint(Protocol.IMAP, "imap.plain.test", 143, Security.NONE),
        _endpoint(Protocol.SMTP, "smtp.plain.test", 25, Security.NONE, auth=(AuthMethod.NONE,)),
    ),
)

SYNTHETIC = {"pop-only": POP_ONLY, "starttls-only": STARTTLS_ONLY, "localpart": LOCALPART,
             "plain": PLAIN}  # fmt: skip


def address_for(config: AccountConfig, local: str = "alice.smith") -> EmailAddress:
    return EmailAddress.parse(f"{local}@{config.domain}")
