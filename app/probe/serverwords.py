"""What servers say when they refuse, and what it means: providers' own error texts
(QQ, NetEase, Tencent Exmail, Gmail, Microsoft 365) and the standard ones
(RFC 3207, RFC 4954, RFC 5530, RFC 3206), each read as a finding code."""

from __future__ import annotations

import re

from app.probe.report import Code

# What servers say, and what it means (providers' own error texts). First match wins.
SERVER_SAYS: tuple[tuple[re.Pattern[str], Code], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), code)
    for pattern, code in (
        (r"unsafe login", Code.UNSAFE_LOGIN),  # NetEase IMAP, SELECT/EXAMINE without ID
        (r"weixin token|wechat", Code.AUTH_WECHAT_SECURE_LOGIN),  # Tencent Exmail
        (r"ipdeny", Code.LOGIN_IP_DENIED),  # NetEase enterprise ERR.LOGIN.IPDENY
        (
            r"secure connection is requi|privacyrequired|plaintext auth\w* (is )?disallowed"
            r"|must issue a starttls|encryption required|use starttls first",
            Code.PLAINTEXT_LOGIN_REFUSED,  # QQ's "requiered", Dovecot, RFC 3207, RFC 4954 538,
            # GNU Mailutils
        ),
        (r"authori[sz](ed|ation) code|授权码|授权密码", Code.AUTH_NEEDS_AUTHORIZATION_CODE),  # QQ
        # Microsoft 365, 535 5.7.139 (aka.ms/smtp_auth_disabled): the organisation's switch
        # (Set-TransportConfig) or the mailbox's (Set-CASMailbox); it blocks tokens too.
        (r"smtpclientauthentication is disabled for the tenant", Code.SMTP_AUTH_OFF_TENANT),
        (r"smtpclientauthentication is disabled for the mailbox", Code.SMTP_AUTH_OFF_MAILBOX),
        (
            r"service is not open|not enabled for (imap|pop)|enable (your account for )?"
            r"(imap|pop)|smtpclientauthentication is disabled|服务未开启",
            Code.SERVICE_DISABLED,  # QQ, Gmail POP, Microsoft 365 SMTP AUTH
        ),
        (r"application-specific password|app password", Code.AUTH_NEEDS_APP_PASSWORD),
        (r"basic auth\w* is disabled|basicauthblocked", Code.AUTH_NEEDS_OAUTH2),  # Microsoft
        # Microsoft 365, 535 5.7.139: Entra's security defaults, or multi-factor or
        # Conditional Access rules, block a password login; a token signs in.
        (
            r"security defaults policy|did not meet the criteria to be authenticated",
            Code.AUTH_NEEDS_OAUTH2,
        ),
    )
)


def server_says(text: str) -> Code | None:
    """The code for a provider's own error text, if it is one we know."""
    for pattern, code in SERVER_SAYS:
        if pattern.search(text):
            return code
    return None


def temporary(reply: str) -> bool:
    """A refused login that says the server could not decide now: IMAP ``[UNAVAILABLE]``
    (RFC 5530), POP3 ``[SYS/TEMP]`` (RFC 3206), SMTP 454 (RFC 4954 section 6)."""
    return "[UNAVAILABLE]" in reply or "[SYS/TEMP]" in reply or reply.startswith("454 ")
