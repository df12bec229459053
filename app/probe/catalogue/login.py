"""Findings about logging in and opening the mailbox."""

from __future__ import annotations

from app.i18n import N_
from app.probe.catalogue.entry import ERROR, WARNING, Entry
from app.probe.report import Code

LOGIN: dict[Code, Entry] = {
    Code.PASSWORD_NOT_SENT_PLAINTEXT: Entry(
        WARNING,
        N_("The connection is not encrypted, so {secret} was not sent."),
        N_(
            "Use SSL/TLS (993, 995, 465) or STARTTLS. Whatever is sent without encryption can "
            "be read by anyone along the way."
        ),
    ),
    Code.PLAINTEXT_LOGIN_REFUSED: Entry(
        ERROR,
        N_("{host} does not allow logging in over an unencrypted connection."),
        N_("Set the security to SSL/TLS (993 for IMAP, 995 for POP3, 465 for SMTP) or STARTTLS."),
    ),
    Code.AUTH_NOT_OFFERED: Entry(
        ERROR,
        N_("{host} offers no way to log in with a password here."),
        N_(
            "Check that this is the provider's mailbox or sending server and port: a port 25 "
            "relay, for example, takes no login. If the provider allows only OAuth2, use a mail "
            "app that signs in through the browser."
        ),
    ),
    Code.AUTH_FAILED: Entry(
        ERROR,
        N_("{host} refused the user name or password."),
        N_(
            "Check the password and the user name (most providers want the full email address). "
            "If the provider wants an app password or authorization code for mail apps, use "
            "that instead."
        ),
        provider_steps=True,
        keep_fix=True,
    ),
    Code.AUTH_PREAUTH: Entry(
        WARNING,
        N_(
            "{host} opened the mailbox without asking for a password (IMAP PREAUTH), so the "
            "password was not checked."
        ),
        N_(
            "The server trusts this connection by itself, a setting meant for local or "
            "tunnelled connections. Ask its operator whether that is intended: a mail app "
            "connecting from elsewhere may still be asked for the password."
        ),
    ),
    Code.APOP_REFUSED: Entry(
        ERROR,
        N_(
            "{host} refused the APOP login. Servers do that when the password is wrong, and "
            "also when they cannot use APOP for this account, so the password is still unchecked."
        ),
        N_(
            "Test port 995 (SSL/TLS) or port 110 with STARTTLS instead: there the password can "
            "be checked safely."
        ),
    ),
    Code.AUTH_NEEDS_AUTHORIZATION_CODE: Entry(
        ERROR,
        N_(
            "{provider} refused the login: mail apps must use an authorization code (授权码), "
            "not the login password."
        ),
        N_(
            "In the web mailbox settings, turn on IMAP/POP3/SMTP, generate an authorization code "
            "and type it into the mail app's password field."
        ),
        provider_steps=True,
    ),
    Code.AUTH_NEEDS_APP_PASSWORD: Entry(
        ERROR,
        N_(
            "{provider} refused the login: mail apps need an app password, not the account "
            "password."
        ),
        N_(
            "Turn on two-step verification in the account's security settings, create an app "
            "password for mail and type it into the mail app's password field."
        ),
        provider_steps=True,
    ),
    Code.AUTH_NEEDS_OAUTH2: Entry(
        ERROR,
        N_(
            "{provider} does not accept passwords from mail apps; it requires signing in through "
            "the browser (OAuth2)."
        ),
        N_(
            "Use a mail app that supports OAuth2 sign-in for this provider (for example "
            "Thunderbird, Apple Mail or Outlook) and sign in when it opens the browser."
        ),
        provider_steps=True,
    ),
    Code.AUTH_WECHAT_SECURE_LOGIN: Entry(
        ERROR,
        N_("WeChat secure login is on for this mailbox, so the normal password is refused."),
        N_(
            "In the web mailbox, open Settings → Mailbox binding (设置 → 邮箱绑定), create a "
            "client-specific password (客户端专用密码) and use it in the mail app."
        ),
    ),
    Code.SERVICE_DISABLED: Entry(
        ERROR,
        N_("The {protocol} service is not turned on for this mailbox."),
        N_("Turn on IMAP, POP3 and SMTP in the web mailbox settings, then test again."),
        provider_steps=True,
    ),
    Code.LOGIN_IP_DENIED: Entry(
        ERROR,
        N_(
            "The mailbox's administrator does not allow logins from the address this test "
            "came from."
        ),
        N_(
            "Your settings may still be right: the administrator allows only some networks "
            "(IP addresses). If your mail app is refused too, ask the administrator to allow "
            "the network you use."
        ),
    ),
    Code.UNSAFE_LOGIN: Entry(
        ERROR,
        N_(
            "NetEase refused to open the mailbox as an “Unsafe Login”: the password is right, "
            "but the mail app did not identify itself."
        ),
        N_(
            "Use a mail app that sends the IMAP ID command, such as NetEase Mail Master "
            "(网易邮箱大师). If it keeps happening, log in once on the web and check the "
            "security notices."
        ),
    ),
    Code.MAILBOX_UNAVAILABLE: Entry(
        WARNING,
        N_("The login worked, but {host} did not complete the “{step}” step: “{reply}”"),
        N_(
            "The server's own reason is quoted above. Try again later; if it persists, contact "
            "the provider."
        ),
    ),
}
