"""The words of the client guides: field names as each client shows them, and mistakes.

English, marked with ``N_`` for translation; :mod:`app.documents.instructions`
fills in the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.i18n import N_
from app.models import AuthMethod, Protocol, Security

# fmt: off
TLS_WORDS = {Security.TLS: N_("SSL/TLS"), Security.STARTTLS: N_("STARTTLS"),
             Security.NONE: N_("None")}
AUTH_WORDS = {
    **dict.fromkeys(AuthMethod, N_("Normal password")),
    AuthMethod.PASSWORD_ENCRYPTED: N_("Encrypted password"), AuthMethod.OAUTH2: N_("OAuth2"),
    AuthMethod.NTLM: N_("NTLM"), AuthMethod.GSSAPI: N_("Kerberos / GSSAPI"),
    AuthMethod.CLIENT_CERT: N_("TLS Certificate"), AuthMethod.NONE: N_("No authentication"),
}
APPLE_AUTH = {
    **dict.fromkeys(AuthMethod, N_("Password")),
    AuthMethod.PASSWORD_ENCRYPTED: N_("MD5 Challenge-Response"), AuthMethod.NTLM: N_("NTLM"),
    AuthMethod.OAUTH2: N_("OAuth2"), AuthMethod.NONE: N_("None"),
}
# What to type in the password field, where it is not the account's own password.
SECRET = {AuthMethod.AUTHORIZATION_CODE: N_("the authorization code (授权码)"),
          AuthMethod.APP_PASSWORD: N_("the app password")}
PASSWORD = N_("your mail password")
USE_SECRET = N_("Have {secret} ready (see the steps above): {client} needs it wherever it asks "
                "for a password, never your web login password.")

WRONG_PASSWORD = N_("Typing the password you use on the web instead of {secret}: the server "
                    "answers “authentication failed” or “login error”, however often you retry.")
WRONG_SECURITY = N_("Choosing “{tls_word}” for port {starttls_port}: that port needs "
                    "“{starttls_word}”, so the connection fails.")
WRONG_USERNAME = N_("Typing the full address as the user name: this account logs in with "
                    "{in_user} (sending: {out_user}).")
OAUTH2_ALSO = N_("{provider} also offers OAuth2 sign-in: where {client} supports it for this "
                 "provider, you can sign in on {provider}'s own page instead of typing a password.")
OAUTH2_FIRST = N_("{provider} accepts only OAuth2 sign-in: never type a password or an app "
                  "password into {client} for this account.")
OAUTH2_STEPS = (  # after the first step and the client's own way in
    N_("Sign in and allow access in the {provider} window that opens."),
    N_("If {client} shows the server settings, check them: incoming {in_proto} {in_host}, port "
       "{in_port}, {in_security}; outgoing SMTP {out_host}, port {out_port}, {out_security}; "
       "authentication OAuth2."),
    N_("If {client} opens no {provider} sign-in window, it cannot connect to this account; use "
       "one of the other apps on this page."),
)
OAUTH2_MISTAKE = N_("Typing your {provider} password into {client}: password sign-in is switched "
                    "off, so it fails every time and may lock the account for a while.")


@dataclass(frozen=True)
class Client:
    name: str
    steps: tuple[str, ...]
    mistakes: tuple[str, ...]
    oauth: str
    when: Mapping[str, str] = field(default_factory=dict)  # condition → extra mistake
    protocols: Mapping[Protocol, str] = field(
        default_factory=lambda: {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3"})
    security: Mapping[Security, str] = field(default_factory=lambda: TLS_WORDS)
    auth: Mapping[AuthMethod, str] = field(default_factory=lambda: AUTH_WORDS)
    intro: str = ""  # said before the steps
    finish: str = ""  # the last action in the client, once a test shows the settings work


_POP = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP"}
# Thunderbird asks the domain's autoconfig and its own ISPDB; nothing to download.
THUNDERBIRD_FINDS = N_("Thunderbird looks these settings up by itself when you enter your "
                       "address; if it does not find them, enter them by hand as below.")
_APPLE_STARTTLS = N_("Turning “Use SSL” off for port {starttls_port}: the server then refuses "
                     "the login. Keep it on; Mail uses STARTTLS on that port.")

CLIENT_TEXTS: dict[str, Client] = {
    "thunderbird": Client(N_("Thunderbird"), intro=THUNDERBIRD_FINDS, steps=(
        N_("Choose “Account Settings” → “Account Actions” → “Add Mail Account…”, enter your name, "
           "“Email address” {address} and “Password” {secret}, then click “Configure manually”."),
        N_("“Incoming server”: “Protocol” {in_proto}, “Hostname” {in_host}, “Port” {in_port}, "
           "“Connection security” {in_security}, “Authentication method” {in_auth}, “Username” "
           "{in_user}."),
        N_("“Outgoing server”: “Hostname” {out_host}, “Port” {out_port}, “Connection security” "
           "{out_security}, “Authentication method” {out_auth}, “Username” {out_user}. Click "
           "“Re-test”, then “Done”."),
    ), mistakes=(
        N_("Leaving “Autodetect” in “Connection security” or “Authentication method”: Thunderbird "
           "may settle on settings that fail. Choose the values above."),
        N_("Choosing “Encrypted password” when the server expects “Normal password”: the login "
           "fails although the password is right."),
    ), oauth=N_("Enter your name and {address}, leave “Password” empty and click “Continue”; "
                "Thunderbird picks “OAuth2” (set up manually: “Authentication method” “OAuth2”)."),
       finish=N_("Go back to Thunderbird and click “Done”.")),
    "outlook": Client(N_("Outlook for Windows (classic)"), protocols=_POP, steps=(
        N_("Choose “File” → “Add Account”, enter {address}, open “Advanced options”, tick “Let me "
           "set up my account manually” and click “Connect”. Choose “{in_proto}”."),
        N_("“Incoming mail”: “Server” {in_host}, “Port” {in_port}, “Encryption method” "
           "{in_security}; leave “Require logon using Secure Password Authentication (SPA)” "
           "unticked."),
        N_("“Outgoing mail”: “Server” {out_host}, “Port” {out_port}, “Encryption method” "
           "{out_security}; leave SPA unticked. Click “Next”, type {secret} and click “Connect”."),
        N_("If the login fails, check “User Name” in “File” → “Account Settings” → “Server "
           "Settings”: {in_user} (outgoing: {out_user})."),
    ), mistakes=(
        N_("Ticking “Require logon using Secure Password Authentication (SPA)”: servers other "
           "than Exchange then refuse the login."),
        N_("Leaving “Encryption method” on “Auto”: Outlook may pick a setting the server refuses."),
    ), when={"pop": N_("With POP, “Remove from server after 14 days” (“More Settings” → "
                       "“Advanced”) deletes mail from the server, so other devices lose it.")},
       oauth=N_("Choose “File” → “Add Account”, enter {address} and click “Connect”; do not open "
                "“Advanced options”."),
       finish=N_("Go back to Outlook, click “Next”, type the password you just tested and "
                 "click “Connect”.")),
    "new-outlook": Client(N_("New Outlook for Windows"), protocols=_POP, steps=(
        N_("Open “Settings” → “Accounts” → “Email accounts” → “Add account”, enter {address}, "
           "click “Continue”, choose “{in_proto}” as your provider and click “Show more”."),
        N_("“{in_proto} username” {in_user}, “{in_proto} password” {secret}, “{in_proto} incoming "
           "server” {in_host}, “Port” {in_port}, “Secure connection type” {in_security}."),
        N_("“SMTP username” {out_user}, “SMTP password” {secret}, “SMTP outgoing server” "
           "{out_host}, “Port” {out_port}, “Secure connection type” {out_security}. Click "
           "“Continue”."),
    ), mistakes=(
        N_("Expecting new Outlook to connect from your PC: it syncs this account through "
           "Microsoft's cloud, so servers on your own computer or network cannot work, and "
           "{provider} may report a sign-in from an unfamiliar place."),
    ), oauth=N_("Open “Settings” → “Accounts” → “Email accounts” → “Add account”, enter {address} "
                "and click “Continue”."),
       finish=N_("Go back to new Outlook and click “Continue”.")),
    "apple-mail": Client(N_("Apple Mail (macOS)"), protocols=_POP, auth=APPLE_AUTH, security={
        Security.TLS: N_("ticked"), Security.STARTTLS: N_("ticked"), Security.NONE: N_("unticked"),
    }, steps=(
        N_("Choose “Mail” → “Add Account…” → “Other Mail Account…” → “Continue”. Enter “Name”, "
           "“Email Address” {address} and “Password” {secret}, then click “Sign In”."),
        N_("If Mail cannot verify the account, fill in “User Name” {in_user}, “Account Type” "
           "{in_proto}, “Incoming Mail Server” {in_host}, “Outgoing Mail Server” {out_host} and "
           "click “Sign In”."),
        N_("Check “Mail” → “Settings” → “Accounts” → “Server Settings”: untick “Automatically "
           "manage connection settings”; incoming “Port” {in_port}, “Use TLS/SSL” {in_security}; "
           "outgoing “User Name” {out_user}, “Port” {out_port}, “Use TLS/SSL” {out_security}, "
           "“Authentication” {out_auth}."),
    ), mistakes=(
        N_("Leaving “Automatically manage connection settings” on while the account fails: Mail "
           "keeps trying ports it guessed."),
    ), when={"starttls": _APPLE_STARTTLS},
       oauth=N_("Choose “Mail” → “Add Account…” and pick your provider in the list (Microsoft "
                "accounts: “Microsoft Exchange”), not “Other Mail Account…”."),
       finish=N_("Go back to Mail on your Mac and click “Sign In”.")),
    "ios": Client(N_("Mail on iPhone and iPad"), protocols=_POP, auth=APPLE_AUTH, security={
        Security.TLS: N_("on"), Security.STARTTLS: N_("on"), Security.NONE: N_("off"),
    }, steps=(
        N_("Open “Settings” → “Apps” → “Mail” → “Mail Accounts” → “Add Account” → “Other” → “Add "
           "Mail Account” (before iOS 18: “Settings” → “Mail” → “Accounts”)."),
        N_("Enter “Name”, “Email” {address}, “Password” {secret} and a “Description”; tap “Next” "
           "and choose the “{in_proto}” tab."),
        N_("“Incoming Mail Server”: “Host Name” {in_host}, “User Name” {in_user}, “Password” "
           "{secret}. “Outgoing Mail Server”: “Host Name” {out_host}, “User Name” {out_user}, "
           "“Password” {secret}. Tap “Next”, then “Save”."),
        N_("Open the account → “Account” → “Advanced”: “Use SSL” {in_security}, “Authentication” "
           "{in_auth}, “Server Port” {in_port}. Then “Account” → “SMTP” → {out_host}: “Use SSL” "
           "{out_security}, “Authentication” {out_auth}, “Server Port” {out_port}."),
    ), mistakes=(
        N_("Tapping “Save” after “Account Verification Failed” instead of fixing the values: the "
           "account is saved but never connects."),
    ), when={"starttls": _APPLE_STARTTLS},
       oauth=N_("Open “Settings” → “Apps” → “Mail” → “Mail Accounts” → “Add Account” and tap your "
                "provider's button (for example “Outlook.com” or “Google”), not “Other”."),
       finish=N_("Go back to Mail on your iPhone or iPad, tap “Next”, then “Save”.")),
    "gmail-android": Client(N_("Gmail for Android"), protocols={
        Protocol.IMAP: N_("Personal (IMAP)"), Protocol.POP3: N_("Personal (POP3)"),
    }, steps=(
        N_("Tap your profile picture → “Add another account” → “Other”, enter {address}, tap "
           "“Manual setup”, choose “{in_proto}”, type {secret} and tap “Next”."),
        N_("“Incoming server settings”: “Username” {in_user}, “Server” {in_host}, “Port” "
           "{in_port}, “Security type” {in_security}. Tap “Next”."),
        N_("“Outgoing server settings”: keep “Require sign-in” on; “Username” {out_user}, “SMTP "
           "server” {out_host}, “Port” {out_port}, “Security type” {out_security}. Tap “Next”."),
    ), mistakes=(
        N_("Choosing “SSL/TLS (accept all certificates)” to make an error go away: it hides a "
           "real certificate problem and exposes your password."),
    ), when={"pop": N_("With POP3, “Delete email from server” set to “When I delete from Inbox”: "
                       "mail deleted on the phone is gone everywhere.")},
       oauth=N_("Tap your profile picture → “Add another account” and choose your provider (for "
                "example “Outlook, Hotmail, and Live”), not “Other”."),
       finish=N_("Go back to the Gmail app and tap “Next”.")),
    "thunderbird-android": Client(N_("Thunderbird for Android (K-9 Mail)"), steps=(
        N_("Tap “Add account”, enter {address} and tap “Next”. If the app fills in settings by "
           "itself, check them against the values below."),
        N_("“Incoming server settings”: “Protocol” {in_proto}, “Server” {in_host}, “Security” "
           "{in_security}, “Port” {in_port}, “Authentication” {in_auth}, “Username” {in_user}, "
           "“Password” {secret}. Tap “Next”."),
        N_("“Outgoing server settings”: “Server” {out_host}, “Security” {out_security}, “Port” "
           "{out_port}, “Authentication” {out_auth}, “Username” {out_user}, “Password” {secret}."),
    ), mistakes=(
        N_("Choosing “Encrypted password” as “Authentication”: most servers expect “Normal "
           "password” over an encrypted connection."),
    ), when={"pop": N_("With POP3, “When I delete a message” set to “Delete from server”: mail "
                       "deleted on the phone is gone everywhere.")},
       oauth=N_("Tap “Add account”, enter {address} and tap “Next”; the app chooses OAuth2."),
       finish=N_("Go back to Thunderbird for Android and tap “Next”.")),
    "foxmail": Client(N_("Foxmail"), security={
        Security.TLS: N_("tick “SSL”"), Security.NONE: N_("leave “SSL” unticked"),
        Security.STARTTLS: N_("leave “SSL” unticked and tick “如果服务器支持，就使用STARTTLS"
                              "加密传输” (use STARTTLS if the server supports it)"),
    }, steps=(
        N_("Open the menu → “账号管理” (Account management) → “新建” (New), enter {address} and "
           "{secret} as “密码” (Password), then click “手动设置” (Manual setup)."),
        N_("“接收服务器类型” (Receiving server type) {in_proto}; “邮件账号” (Email account) "
           "{in_user}; “密码” (Password) {secret}."),
        N_("“{in_proto}服务器” ({in_proto} server) {in_host}, “端口” (Port) {in_port}, "
           "{in_security}. “SMTP服务器” (SMTP server) {out_host}, “端口” (Port) {out_port}, "
           "{out_security}. Click “创建” (Create)."),
    ), mistakes=(
        N_("Leaving “SSL” unticked for port {in_port} or {out_port}: the connection fails, or the "
           "server refuses an unencrypted login."),
    ), when={"starttls": N_("Ticking “SSL” for port {starttls_port}: that port needs STARTTLS.")},
       oauth=N_("Open the menu → “账号管理” (Account management) → “新建” (New) and choose your "
                "provider in the list."),
       finish=N_("Go back to Foxmail and click “创建” (Create).")),
}
# fmt: on
