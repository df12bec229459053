"""Findings about logging in and opening the mailbox."""

from __future__ import annotations

from app.i18n import N_
from app.probe.catalogue.entry import ERROR, WARNING, Entry
from app.probe.report import Code

LOGIN: dict[Code, Entry] = {
    Code.PASSWORD_NOT_SENT_PLAINTEXT: Entry(
        WARNING,
        N_("The connection is not encrypted, so the password was not sent."),
        "连接未加密，因此测试没有发送密码。",
        N_(
            "Use SSL/TLS (993, 995, 465) or STARTTLS. A password sent without encryption can be "
            "read by anyone along the way."
        ),
        "请使用 SSL/TLS（993、995、465）或 STARTTLS。未加密发送的密码可以被沿途的任何人读取。",
        message_zh_hant="連線未加密，因此測試沒有傳送密碼。",
        fix_zh_hant="請使用 SSL/TLS（993、995、465）或 STARTTLS。"
        "未加密傳送的密碼，沿途的任何人都能讀取。",
    ),
    Code.PLAINTEXT_LOGIN_REFUSED: Entry(
        ERROR,
        N_("{host} does not allow logging in over an unencrypted connection."),
        "{host} 不允许在未加密的连接上登录。",
        N_("Set the security to SSL/TLS (993 for IMAP, 995 for POP3, 465 for SMTP) or STARTTLS."),
        "请把加密方式设为 SSL/TLS（IMAP 993、POP3 995、SMTP 465）或 STARTTLS。",
        message_zh_hant="{host} 不允許在未加密的連線上登入。",
        fix_zh_hant="請把加密方式設為 SSL/TLS（IMAP 993、POP3 995、SMTP 465）或 STARTTLS。",
    ),
    Code.AUTH_NOT_OFFERED: Entry(
        ERROR,
        N_("{host} offers no way to log in with a password here."),
        "{host} 在此不提供密码登录方式。",
        N_(
            "Check that this is the provider's mailbox or sending server and port: a port 25 "
            "relay, for example, takes no login. If the provider allows only OAuth2, use a mail "
            "app that signs in through the browser."
        ),
        "请确认这是服务商的收信或发信服务器及端口：例如 25 端口的中继服务器不接受登录。"
        "如果服务商只允许 OAuth2，请使用通过浏览器登录的邮件客户端。",
        message_zh_hant="{host} 在此不提供密碼登入方式。",
        fix_zh_hant="請確認這是服務商的收信或寄信伺服器及連接埠："
        "例如 25 連接埠的轉送伺服器不接受登入。"
        "如果服務商只允許 OAuth2，請使用透過瀏覽器登入的郵件用戶端。",
    ),
    Code.AUTH_FAILED: Entry(
        ERROR,
        N_("{host} refused the user name or password."),
        "{host} 拒绝了用户名或密码。",
        N_(
            "Check the password and the user name (most providers want the full email address). "
            "If the provider wants an app password or authorization code for mail apps, use "
            "that instead."
        ),
        "请检查密码和用户名（大多数服务商要求填写完整的邮箱地址）。"
        "如果服务商要求邮件客户端使用应用专用密码或授权码，请改用它们。",
        provider_steps=True,
        keep_fix=True,
        message_zh_hant="{host} 拒絕了使用者名稱或密碼。",
        fix_zh_hant="請檢查密碼和使用者名稱（大多數服務商要求填寫完整的電子郵件地址）。"
        "如果服務商要求郵件用戶端使用應用程式專用密碼或授權碼，請改用它們。",
    ),
    Code.AUTH_PREAUTH: Entry(
        WARNING,
        N_(
            "{host} opened the mailbox without asking for a password (IMAP PREAUTH), so the "
            "password was not checked."
        ),
        "{host} 没有要求密码就打开了邮箱（IMAP PREAUTH），因此密码未经检查。",
        N_(
            "The server trusts this connection by itself, a setting meant for local or "
            "tunnelled connections. Ask its operator whether that is intended: a mail app "
            "connecting from elsewhere may still be asked for the password."
        ),
        "服务器自行信任了这个连接，这种设置通常用于本地或隧道连接。请向服务器管理员确认是否有意如此："
        "从其他地方连接的邮件客户端仍可能被要求输入密码。",
        message_zh_hant="{host} 沒有要求密碼就開啟了信箱（IMAP PREAUTH），因此密碼未經檢查。",
        fix_zh_hant="伺服器自行信任了這個連線，這種設定通常用於本機或通道連線。"
        "請向伺服器管理員確認是否有意如此：從其他地方連線的郵件用戶端仍可能被要求輸入密碼。",
    ),
    Code.APOP_REFUSED: Entry(
        ERROR,
        N_(
            "{host} refused the APOP login. Servers do that when the password is wrong, and "
            "also when they cannot use APOP for this account, so the password is still unchecked."
        ),
        "{host} 拒绝了 APOP 登录。密码错误时服务器会这样，服务器无法为该账户使用 APOP 时也会这样，"
        "所以密码是否正确仍不确定。",
        N_(
            "Test port 995 (SSL/TLS) or port 110 with STARTTLS instead: there the password can "
            "be checked safely."
        ),
        "请改为测试 995 端口（SSL/TLS）或使用 STARTTLS 的 110 端口：在那里可以安全地检查密码。",
        message_zh_hant="{host} 拒絕了 APOP 登入。"
        "密碼錯誤時伺服器會如此，伺服器無法為此帳號使用 APOP 時也會如此，"
        "所以密碼是否正確仍不確定。",
        fix_zh_hant="請改為測試 995 連接埠（SSL/TLS）或使用 STARTTLS 的 110 連接埠："
        "在那裡可以安全地檢查密碼。",
    ),
    Code.AUTH_NEEDS_AUTHORIZATION_CODE: Entry(
        ERROR,
        N_(
            "{provider} refused the login: mail apps must use an authorization code (授权码), "
            "not the login password."
        ),
        "{provider}拒绝了登录：邮件客户端必须使用授权码，而不是登录密码。",
        N_(
            "In the web mailbox settings, turn on IMAP/POP3/SMTP, generate an authorization code "
            "and type it into the mail app's password field."
        ),
        "在网页版邮箱的设置中开启 IMAP/POP3/SMTP 服务，生成授权码，并把它填入邮件客户端的密码栏。",
        provider_steps=True,
        message_zh_hant="{provider}拒絕了登入："
        "郵件用戶端必須使用「授权码」（授權碼），而不是登入密碼。",
        fix_zh_hant="在網頁版郵件的設定中開啟 IMAP/POP3/SMTP 服務，產生「授权码」（授權碼），"
        "並把它填入郵件用戶端的密碼欄位。",
    ),
    Code.AUTH_NEEDS_APP_PASSWORD: Entry(
        ERROR,
        N_(
            "{provider} refused the login: mail apps need an app password, not the account "
            "password."
        ),
        "{provider}拒绝了登录：邮件客户端需要使用应用专用密码，而不是账户密码。",
        N_(
            "Turn on two-step verification in the account's security settings, create an app "
            "password for mail and type it into the mail app's password field."
        ),
        "在账户的安全设置中开启两步验证，为邮件创建应用专用密码，并把它填入邮件客户端的密码栏。",
        provider_steps=True,
        message_zh_hant="{provider}拒絕了登入："
        "郵件用戶端需要使用應用程式專用密碼，而不是帳號密碼。",
        fix_zh_hant="在帳號的安全性設定中開啟兩步驟驗證，為郵件建立應用程式專用密碼，"
        "並把它填入郵件用戶端的密碼欄位。",
    ),
    Code.AUTH_NEEDS_OAUTH2: Entry(
        ERROR,
        N_(
            "{provider} does not accept passwords from mail apps; it requires signing in through "
            "the browser (OAuth2)."
        ),
        "{provider}不接受邮件客户端使用密码登录，必须通过浏览器登录（OAuth2）。",
        N_(
            "Use a mail app that supports OAuth2 sign-in for this provider (for example "
            "Thunderbird, Apple Mail or Outlook) and sign in when it opens the browser."
        ),
        "请使用支持该服务商 OAuth2 登录的邮件客户端（例如 Thunderbird、Apple Mail 或 Outlook），"
        "并在它打开的浏览器中登录。",
        provider_steps=True,
        message_zh_hant="{provider}不接受郵件用戶端使用密碼登入，必須透過瀏覽器登入（OAuth2）。",
        fix_zh_hant="請使用支援該服務商 OAuth2 登入的郵件用戶端（例如 Thunderbird、"
        "Apple Mail 或 Outlook），並在它開啟的瀏覽器中登入。",
    ),
    Code.AUTH_WECHAT_SECURE_LOGIN: Entry(
        ERROR,
        N_("WeChat secure login is on for this mailbox, so the normal password is refused."),
        "该邮箱开启了微信安全登录，普通密码会被拒绝。",
        N_(
            "In the web mailbox, open Settings → Mailbox binding (设置 → 邮箱绑定), create a "
            "client-specific password (客户端专用密码) and use it in the mail app."
        ),
        "在网页版邮箱中打开“设置 → 邮箱绑定”，生成客户端专用密码，并在邮件客户端中使用它。",
        message_zh_hant="該信箱開啟了微信安全登入，一般密碼會被拒絕。",
        fix_zh_hant="在網頁版郵件中開啟「设置 → 邮箱绑定」（設定 → 信箱綁定），"
        "產生「客户端专用密码」（用戶端專用密碼），並在郵件用戶端中使用它。",
    ),
    Code.SERVICE_DISABLED: Entry(
        ERROR,
        N_("The {protocol} service is not turned on for this mailbox."),
        "该邮箱尚未开启 {protocol} 服务。",
        N_("Turn on IMAP, POP3 and SMTP in the web mailbox settings, then test again."),
        "请在网页版邮箱的设置中开启 IMAP、POP3 和 SMTP 服务，然后重新测试。",
        provider_steps=True,
        message_zh_hant="該信箱尚未開啟 {protocol} 服務。",
        fix_zh_hant="請在網頁版郵件的設定中開啟 IMAP、POP3 和 SMTP 服務，然後重新測試。",
    ),
    Code.LOGIN_IP_DENIED: Entry(
        ERROR,
        N_("The mailbox's administrator does not allow logins from this network (IP address)."),
        "邮箱管理员不允许从当前网络（IP 地址）登录。",
        N_("Ask the administrator to allow your network, or connect from one that is allowed."),
        "请让管理员放行你的网络，或从允许的网络连接。",
        message_zh_hant="信箱管理員不允許從目前的網路（IP 位址）登入。",
        fix_zh_hant="請要求管理員允許你的網路，或從允許的網路連線。",
    ),
    Code.UNSAFE_LOGIN: Entry(
        ERROR,
        N_(
            "NetEase refused to open the mailbox as an “Unsafe Login”: the password is right, "
            "but the mail app did not identify itself."
        ),
        "网易以“Unsafe Login”（不安全登录）为由拒绝打开邮箱：密码正确，但邮件客户端没有表明身份。",
        N_(
            "Use a mail app that sends the IMAP ID command, such as NetEase Mail Master "
            "(网易邮箱大师). If it keeps happening, log in once on the web and check the "
            "security notices."
        ),
        "请使用会发送 IMAP ID 命令的邮件客户端，例如网易邮箱大师。如果仍然出现，"
        "请先在网页上登录一次并查看安全提醒。",
        message_zh_hant="網易以「Unsafe Login」（不安全登入）為由拒絕開啟信箱："
        "密碼正確，但郵件用戶端沒有表明身分。",
        fix_zh_hant="請使用會傳送 IMAP ID 命令的郵件用戶端，例如「网易邮箱大师」（網易郵箱大師）。"
        "如果仍然出現，請先在網頁上登入一次並查看安全通知。",
    ),
    Code.MAILBOX_UNAVAILABLE: Entry(
        WARNING,
        N_("The login worked, but {host} did not complete the “{step}” step: “{reply}”"),
        "登录成功，但 {host} 没有完成“{step}”步骤：“{reply}”",
        N_(
            "The server's own reason is quoted above. Try again later; if it persists, contact "
            "the provider."
        ),
        "上面引用的是服务器给出的原因。请稍后重试；如果问题持续，请联系服务商。",
        message_zh_hant="登入成功，但 {host} 沒有完成「{step}」步驟：「{reply}」",
        fix_zh_hant="上面引用的是伺服器提供的原因。請稍後再試；如果問題持續，請聯絡服務商。",
    ),
}
