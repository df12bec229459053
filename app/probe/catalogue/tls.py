"""Findings about encryption: STARTTLS, the TLS handshake and the certificate."""

from __future__ import annotations

from app.i18n import N_
from app.probe.catalogue.entry import ERROR, INFO, WARNING, Entry
from app.probe.report import Code

# Babel extracts string literals only, so the sentence shared by three fixes is
# repeated in each rather than concatenated from a constant.
_UNSAFE_ZH = (
    "在修复之前，邮件客户端会警告或拒绝连接。在不可信的网络中切勿忽略该警告：连接可能被劫持。"
)
_UNSAFE_ZH_HANT = (
    "在修復之前，郵件用戶端會發出警告或拒絕連線。"
    "在不可信任的網路中切勿忽略該警告：連線可能遭到攔截。"
)

TLS: dict[Code, Entry] = {
    Code.STARTTLS_NOT_OFFERED: Entry(
        ERROR,
        N_("{host} does not offer STARTTLS on port {port}, so the connection cannot be encrypted."),
        "{host} 的 {port} 端口不提供 STARTTLS，连接无法加密。",
        N_(
            "Use the SSL/TLS port instead (993 for IMAP, 995 for POP3, 465 for SMTP). Never send "
            "a password without encryption."
        ),
        "请改用 SSL/TLS 端口（IMAP 993、POP3 995、SMTP 465）。切勿在未加密的连接上发送密码。",
        message_zh_hant="{host} 的 {port} 連接埠不提供 STARTTLS，連線無法加密。",
        fix_zh_hant="請改用 SSL/TLS 連接埠（IMAP 993、POP3 995、SMTP 465）。"
        "切勿在未加密的連線上傳送密碼。",
    ),
    Code.STARTTLS_REFUSED: Entry(
        ERROR,
        N_("{host} refused to start encryption (STARTTLS): “{reply}”"),
        "{host} 拒绝启动加密（STARTTLS）：“{reply}”",
        N_(
            "Use the SSL/TLS port instead (993 for IMAP, 995 for POP3, 465 for SMTP), or try "
            "again later."
        ),
        "请改用 SSL/TLS 端口（IMAP 993、POP3 995、SMTP 465），或稍后重试。",
        message_zh_hant="{host} 拒絕啟動加密（STARTTLS）：「{reply}」",
        fix_zh_hant="請改用 SSL/TLS 連接埠（IMAP 993、POP3 995、SMTP 465），或稍後再試。",
    ),
    Code.STARTTLS_INJECTION: Entry(
        WARNING,
        N_("{host} sent data before encryption started; the test ignored it."),
        "{host} 在加密开始之前就发送了数据，测试已将其忽略。",
        N_(
            "Tell the server's operator: a server that answers ahead of STARTTLS lets an attacker "
            "slip in fake answers (the STARTTLS injection bugs). Prefer the SSL/TLS port."
        ),
        "请告知服务器管理员："
        "在 STARTTLS 之前抢先回应的服务器会让攻击者插入伪造的回应（STARTTLS 注入漏洞）。"
        "建议使用 SSL/TLS 端口。",
        message_zh_hant="{host} 在加密開始之前就傳送了資料，測試已將其忽略。",
        fix_zh_hant="請告知伺服器管理員："
        "在 STARTTLS 之前搶先回應的伺服器會讓攻擊者插入偽造的回應（STARTTLS 注入漏洞）。"
        "建議使用 SSL/TLS 連接埠。",
    ),
    Code.TLS_GARBLED: Entry(
        ERROR,
        N_("{host} port {port} did not answer the encryption handshake with TLS."),
        "{host} 的 {port} 端口没有用 TLS 回应加密握手。",
        N_(
            "This port may not start with SSL/TLS: try STARTTLS, or the SSL/TLS port (993, 995, "
            "465)."
        ),
        "该端口可能并非一开始就使用 SSL/TLS：请尝试 STARTTLS，或改用 SSL/TLS 端口（993、995、"
        "465）。",
        message_zh_hant="{host} 的 {port} 連接埠沒有用 TLS 回應加密交握。",
        fix_zh_hant="該連接埠可能並非一開始就使用 SSL/TLS："
        "請嘗試 STARTTLS，或改用 SSL/TLS 連接埠（993、995、465）。",
    ),
    Code.TLS_HANDSHAKE_FAILED: Entry(
        ERROR,
        N_("The encryption handshake with {host} failed."),
        "与 {host} 的加密握手失败。",
        N_(
            "The server's TLS setup is broken, or something on this network blocks it. Try again "
            "later; if it persists, tell the server's operator."
        ),
        "服务器的 TLS 配置有误，或当前网络中有设备拦截了它。请稍后重试；如果问题持续，"
        "请告知服务器管理员。",
        message_zh_hant="與 {host} 的加密交握失敗。",
        fix_zh_hant="伺服器的 TLS 設定有誤，或目前網路中有裝置攔截了它。"
        "請稍後再試；如果問題持續，請告知伺服器管理員。",
    ),
    Code.TLS_OUTDATED: Entry(
        ERROR,
        N_(
            "{host} only offers {version}, which is obsolete and unsafe (RFC 8996); current mail "
            "apps refuse it."
        ),
        "{host} 只支持 {version}，该版本已过时且不安全（RFC 8996），现在的邮件客户端会拒绝连接。",
        N_(
            "The server's operator must turn on TLS 1.2 or 1.3. Until then only old mail apps can "
            "connect, and not safely."
        ),
        "服务器管理员需要启用 TLS 1.2 或 1.3。在此之前只有旧版邮件客户端能够连接，而且并不安全。",
        message_zh_hant="{host} 只支援 {version}，該版本已過時且不安全（RFC 8996），"
        "目前的郵件用戶端會拒絕連線。",
        fix_zh_hant="伺服器管理員需要啟用 TLS 1.2 或 1.3。"
        "在此之前只有舊版郵件用戶端能夠連線，而且並不安全。",
    ),
    Code.TLS_WEAK: Entry(
        ERROR,
        N_("{host} uses TLS settings (ciphers or key sizes) below today's security level."),
        "{host} 使用的 TLS 设置（加密套件或密钥长度）低于当前的安全等级。",
        N_(
            "The server's operator must update its TLS settings and certificate key; many mail "
            "apps refuse to connect until then."
        ),
        "服务器管理员需要更新 TLS 设置和证书密钥；在此之前很多邮件客户端会拒绝连接。",
        message_zh_hant="{host} 使用的 TLS 設定（加密套件或金鑰長度）低於目前的安全等級。",
        fix_zh_hant="伺服器管理員需要更新 TLS 設定和憑證金鑰；在此之前許多郵件用戶端會拒絕連線。",
    ),
    Code.CERT_EXPIRED: Entry(
        ERROR,
        N_("The certificate of {host} expired on {date}."),
        "{host} 的证书已于 {date} 过期。",
        N_(
            "The server's operator must renew the certificate. "
            "Until it is fixed, mail apps warn or refuse to connect. Never accept the warning on a "
            "network you do not trust: the connection could be intercepted."
        ),
        "服务器管理员需要续期证书。" + _UNSAFE_ZH,
        message_zh_hant="{host} 的憑證已於 {date} 過期。",
        fix_zh_hant="伺服器管理員需要更新憑證。" + _UNSAFE_ZH_HANT,
    ),
    Code.CERT_NOT_YET_VALID: Entry(
        ERROR,
        N_("The certificate of {host} is not valid before {date}."),
        "{host} 的证书要到 {date} 才生效。",
        N_(
            "If today's date is right, the server's operator installed a certificate that is not "
            "valid yet and must replace it. "
            "Until it is fixed, mail apps warn or refuse to connect. Never accept the warning on a "
            "network you do not trust: the connection could be intercepted."
        ),
        "如果今天的日期无误，说明服务器管理员安装了尚未生效的证书，需要更换。" + _UNSAFE_ZH,
        message_zh_hant="{host} 的憑證要到 {date} 才生效。",
        fix_zh_hant="如果今天的日期無誤，表示伺服器管理員安裝了尚未生效的憑證，"
        "需要更換。" + _UNSAFE_ZH_HANT,
    ),
    Code.CERT_SELF_SIGNED: Entry(
        ERROR,
        N_("{host} uses a self-signed certificate, which mail apps cannot verify."),
        "{host} 使用的是自签名证书，邮件客户端无法验证。",
        N_(
            "The server's operator should install a certificate from a public certificate "
            "authority (Let's Encrypt is free). Accept this certificate in your mail app only if "
            "you have checked its fingerprint with the operator."
        ),
        "服务器管理员应安装由公共证书颁发机构签发的证书（Let's Encrypt 免费）。"
        "只有在与管理员核对过证书指纹之后，才可以在邮件客户端中接受该证书。",
        message_zh_hant="{host} 使用的是自我簽署憑證，郵件用戶端無法驗證。",
        fix_zh_hant="伺服器管理員應安裝由公開憑證授權單位簽發的憑證（Let's Encrypt 免費）。"
        "只有在與管理員核對過憑證指紋之後，才可以在郵件用戶端中接受該憑證。",
    ),
    Code.CERT_UNKNOWN_ISSUER: Entry(
        ERROR,
        N_(
            "The certificate of {host} comes from an authority this system does not trust: "
            "{issuer}."
        ),
        "{host} 的证书来自本系统不信任的机构：{issuer}。",
        N_(
            "If the server belongs to your organisation, install the organisation's root "
            "certificate on your devices. Otherwise the server's operator should use a "
            "certificate from a public certificate authority."
        ),
        "如果服务器属于你所在的机构，请在设备上安装该机构的根证书。否则，服务器管理员应改用公共证书颁发机构签发的证书。",
        message_zh_hant="{host} 的憑證來自本系統不信任的機構：{issuer}。",
        fix_zh_hant="如果伺服器屬於你所在的組織，請在裝置上安裝該組織的根憑證。"
        "否則，伺服器管理員應改用公開憑證授權單位簽發的憑證。",
    ),
    Code.CERT_MISSING_INTERMEDIATE: Entry(
        ERROR,
        N_(
            "{host} does not send the intermediate certificate that links its certificate to a "
            "trusted authority."
        ),
        "{host} 没有发送把其证书连接到受信任机构的中间证书。",
        N_(
            "The server's operator must install the full chain: the certificate followed by its "
            "intermediates (for example fullchain.pem, not cert.pem). Browsers often fetch the "
            "missing piece themselves; most mail apps do not."
        ),
        "服务器管理员需要配置完整的证书链："
        "证书之后附上中间证书（例如使用 fullchain.pem 而不是 cert.pem）。"
        "浏览器常会自行补全缺失的证书，但大多数邮件客户端不会。",
        message_zh_hant="{host} 沒有傳送將其憑證連結到受信任機構的中繼憑證。",
        fix_zh_hant="伺服器管理員需要設定完整的憑證鏈："
        "憑證之後附上中繼憑證（例如使用 fullchain.pem 而不是 cert.pem）。"
        "瀏覽器常會自行補齊缺少的憑證，但大多數郵件用戶端不會。",
    ),
    Code.CERT_HOSTNAME_MISMATCH: Entry(
        ERROR,
        N_("The certificate of {host} is for other names: {names}."),
        "{host} 的证书是为其他名称签发的：{names}。",
        N_(
            "If one of those names is the same service, use it as the server name. Otherwise the "
            "server's operator must install a certificate that covers {host}."
        ),
        "如果其中某个名称是同一服务，请把它用作服务器名称。否则，"
        "服务器管理员需要安装包含 {host} 的证书。",
        message_zh_hant="{host} 的憑證是為其他名稱簽發的：{names}。",
        fix_zh_hant="如果其中某個名稱是同一服務，請把它用作伺服器名稱。"
        "否則，伺服器管理員需要安裝涵蓋 {host} 的憑證。",
    ),
    Code.CERT_INVALID: Entry(
        ERROR,
        N_("The certificate of {host} did not pass verification: “{reply}”"),
        "{host} 的证书未通过验证：“{reply}”",
        N_(
            "The quote is OpenSSL's reason. The server's operator must fix the certificate. "
            "Until it is fixed, mail apps warn or refuse to connect. Never accept the warning on a "
            "network you do not trust: the connection could be intercepted."
        ),
        "引号中是 OpenSSL 给出的原因。服务器管理员需要修复证书。" + _UNSAFE_ZH,
        message_zh_hant="{host} 的憑證未通過驗證：「{reply}」",
        fix_zh_hant="引號中是 OpenSSL 提供的原因。伺服器管理員需要修正憑證。" + _UNSAFE_ZH_HANT,
    ),
    Code.CERT_EXPIRING: Entry(
        WARNING,
        N_("The certificate of {host} expires in {days} days, on {date}."),
        "{host} 的证书将在 {days} 天后（{date}）过期。",
        N_("The server's operator should renew it soon. Nothing needs to change in your mail app."),
        "服务器管理员应尽快续期证书。你的邮件客户端无需任何改动。",
        message_zh_hant="{host} 的憑證將在 {days} 天後（{date}）過期。",
        fix_zh_hant="伺服器管理員應盡快更新憑證。你的郵件用戶端不需要做任何變更。",
    ),
    Code.PASSWORD_NOT_SENT_TLS: Entry(
        INFO,
        N_("The password was not sent, because the encrypted connection is not safe (see above)."),
        "由于加密连接不安全（见上文），测试没有发送密码。",
        N_(
            "Fix the problem above first. You can test the login anyway by allowing an invalid "
            "certificate, but only on a network you trust."
        ),
        "请先解决上面的问题。也可以选择允许无效证书来继续测试登录，但只应在可信的网络中这样做。",
        message_zh_hant="由於加密連線不安全（見上文），測試沒有傳送密碼。",
        fix_zh_hant="請先解決上面的問題。"
        "也可以選擇允許無效憑證來繼續測試登入，但只應在可信任的網路中這樣做。",
    ),
}
