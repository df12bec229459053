"""Findings about signing in with an OAuth2 access token, and Microsoft 365's SMTP AUTH
switches, which refuse passwords and tokens alike."""

from __future__ import annotations

from app.i18n import N_
from app.probe.catalogue.entry import ERROR, Entry
from app.probe.report import Code

OAUTH: dict[Code, Entry] = {
    Code.AUTH_TEMPORARY: Entry(
        ERROR,
        N_(
            "{host} could not check the login just now: it answered with a temporary "
            "failure, which says nothing about your password or token."
        ),
        N_(
            "Test again in a few minutes. If it keeps happening, the provider's sign-in "
            "service has a problem: check its status page or contact it."
        ),
    ),
    Code.OAUTH_NOT_OFFERED: Entry(
        ERROR,
        N_(
            "{host} offers no OAuth2 sign-in here (SASL XOAUTH2 or OAUTHBEARER), so the access "
            "token was not sent."
        ),
        N_(
            "Check the server and port: Microsoft takes tokens on outlook.office365.com and "
            "smtp.office365.com, Google on imap.gmail.com and smtp.gmail.com. If this provider "
            "takes only passwords, test with the password, app password or authorization code."
        ),
    ),
    Code.OAUTH_TOKEN_INVALID: Entry(
        ERROR,
        N_(
            "{host} did not accept the access token: it has expired or been revoked, or it "
            "was issued for another account than {user}."
        ),
        N_(
            "Access tokens last about an hour. Sign in again as {user} to get a new one and "
            "test at once. If the browser signed you in as someone else, sign out there first."
        ),
    ),
    Code.OAUTH_SCOPE_MISSING: Entry(
        ERROR,
        N_(
            "{host} did not accept the access token for {protocol}: the token does not carry "
            "the permission (scope) for mail."
        ),
        N_(
            "Get a new token with this scope: {scope}. Permissions for other services, such "
            "as a mail API or the user's profile, do not open IMAP, POP3 or SMTP."
        ),
    ),
    Code.OAUTH_REFUSED_MICROSOFT: Entry(
        ERROR,
        N_("Microsoft refused the access token for {protocol} without saying why."),
        N_(
            "The usual causes, most common first:\n"
            "1. The token is for another account than {user}: sign in again as {user}.\n"
            "2. The token lacks the scope for {protocol}: {scope}.\n"
            "3. Outlook.com: in Outlook on the web, open Settings → Mail → Forwarding and "
            "IMAP and turn on “Let devices and apps use IMAP” (or POP).\n"
            "4. Microsoft 365: an administrator must allow IMAP, POP or Authenticated SMTP for "
            "this mailbox (Microsoft 365 admin center → Users → Active users → the user → "
            "Mail → Manage email apps).\n"
            "5. The token has expired: sign in again."
        ),
    ),
    Code.OAUTH_REFUSED: Entry(
        ERROR,
        N_("{host} refused the access token for {protocol} without saying why."),
        N_(
            "Check, in this order: the token was issued for {user}, not another account; it "
            "carries the provider's mail scope ({scope}); {protocol} is turned on for the "
            "mailbox in the provider's settings; it has not expired (most last an hour)."
        ),
    ),
    Code.SMTP_AUTH_OFF_TENANT: Entry(
        ERROR,
        N_(
            "Microsoft 365 has SMTP AUTH turned off for the whole organisation, so {host} "
            "refuses mail apps' logins for sending, with a password or a token."
        ),
        N_(
            "An administrator must allow it: in the Exchange admin center, open Settings → "
            "Mail flow and clear “Turn off SMTP AUTH protocol for your organization”, or run "
            "Set-TransportConfig -SmtpClientAuthenticationDisabled $false. It can also be "
            "allowed for single mailboxes (Set-CASMailbox). https://aka.ms/smtp_auth_disabled"
        ),
    ),
    Code.SMTP_AUTH_OFF_MAILBOX: Entry(
        ERROR,
        N_(
            "Microsoft 365 has SMTP AUTH turned off for this mailbox, so {host} refuses its "
            "login for sending, with a password or a token."
        ),
        N_(
            "An administrator must turn on Authenticated SMTP for {user}: Microsoft 365 admin "
            "center → Users → Active users → the user → Mail → Manage email apps, or run "
            "Set-CASMailbox -Identity {user} -SmtpClientAuthenticationDisabled $false. It can "
            "take an hour to apply."
        ),
    ),
}
