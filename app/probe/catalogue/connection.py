"""Findings about reaching the server and the protocol it speaks."""

from __future__ import annotations

from app.i18n import N_
from app.probe.catalogue.entry import ERROR, WARNING, Entry
from app.probe.report import Code

_PORTS = (
    N_("Use the port meant for {protocol}: usually 993 or 143 for IMAP, 995 or 110 for POP3, "
       "465 or 587 for SMTP."),
    "请使用 {protocol} 专用的端口：IMAP 通常为 993 或 143，POP3 为 995 或 110，SMTP 为 465 或 587。"
    "",
)  # fmt: skip
_PORTS_ZH_HANT = (
    "請使用 {protocol} 專用的連接埠：IMAP 通常為 993 或 143，POP3 為 995 或 110，"
    "SMTP 為 465 或 587。"
)

CONNECTION: dict[Code, Entry] = {
    Code.DNS_NOT_FOUND: Entry(
        ERROR,
        N_("The server name {host} does not exist in DNS."),
        "服务器名称 {host} 在 DNS 中不存在。",
        N_(
            "Check the spelling of the server name. If it is right, the provider may have "
            "renamed its servers: look up the current settings."
        ),
        "请检查服务器名称的拼写。如果无误，服务商可能已更换服务器名称，请查询最新设置。",
        message_zh_hant="伺服器名稱 {host} 在 DNS 中不存在。",
        fix_zh_hant="請檢查伺服器名稱是否拼錯。"
        "如果無誤，服務商可能已更換伺服器名稱，請查詢最新的設定。",
    ),
    Code.DNS_TIMEOUT: Entry(
        ERROR,
        N_("Looking up {host} in DNS took too long."),
        "在 DNS 中查询 {host} 超时。",
        N_(
            "Try again in a moment. If it keeps happening, this network's DNS server is having "
            "problems."
        ),
        "请稍后重试。如果一直如此，说明当前网络的 DNS 服务器有问题。",
        message_zh_hant="在 DNS 中查詢 {host} 逾時。",
        fix_zh_hant="請稍後再試。如果一直如此，表示目前網路的 DNS 伺服器有問題。",
    ),
    Code.GUARD_REFUSED: Entry(
        ERROR,
        N_(
            "The tester may not connect to {host} port {port}: it is a private or reserved "
            "address, or not a mail port."
        ),
        "测试工具不允许连接 {host} 的 {port} 端口：它是私有或保留地址，或不是邮件端口。",
        N_(
            "Use the server's public name and a mail port (993, 995, 465, 587, 143, 110 or 25). "
            "Servers inside a private network cannot be tested from here."
        ),
        "请使用服务器的公网名称和邮件端口（993、995、465、587、143、110 或 25）。"
        "内网中的服务器无法从这里测试。",
        message_zh_hant="測試工具不允許連線到 {host} 的 {port} 連接埠："
        "它是私人或保留位址，或不是郵件連接埠。",
        fix_zh_hant="請使用伺服器的公開名稱和郵件連接埠（993、995、465、587、143、110 或 25）。"
        "內部網路中的伺服器無法從這裡測試。",
    ),
    Code.CONNECTION_REFUSED: Entry(
        ERROR,
        N_("{host} refused the connection on port {port}: no service is listening there."),
        "{host} 拒绝了 {port} 端口的连接：该端口上没有服务在运行。",
        *_PORTS,
        message_zh_hant="{host} 拒絕了 {port} 連接埠的連線：該連接埠上沒有服務在執行。",
        fix_zh_hant=_PORTS_ZH_HANT,
    ),
    Code.CONNECTION_TIMEOUT: Entry(
        ERROR,
        N_("No answer from {host} on port {port}: the port is probably blocked on this network."),
        "{host} 的 {port} 端口没有响应：该端口很可能被当前网络屏蔽了。",
        N_(
            "Try another port for the same service (for example 465 instead of 587 or 25), or "
            "another network. Many ISPs and company networks block port 25."
        ),
        "请尝试同一服务的其他端口（例如用 465 代替 587 或 25），或换一个网络。"
        "很多运营商和公司网络会屏蔽 25 端口。",
        message_zh_hant="{host} 的 {port} 連接埠沒有回應：該連接埠很可能被目前的網路封鎖了。",
        fix_zh_hant="請嘗試同一服務的其他連接埠（例如用 465 代替 587 或 25），或換一個網路。"
        "許多網路業者和公司網路會封鎖 25 連接埠。",
    ),
    Code.CONNECTION_FAILED: Entry(
        ERROR,
        N_("Could not connect to {host} on port {port}: the network cannot reach it."),
        "无法连接 {host} 的 {port} 端口：网络无法到达该服务器。",
        N_("Check the server name and that this network reaches the internet, then try again."),
        "请检查服务器名称以及当前网络能否访问互联网，然后重试。",
        message_zh_hant="無法連線到 {host} 的 {port} 連接埠：網路無法到達該伺服器。",
        fix_zh_hant="請檢查伺服器名稱，以及目前的網路能否連上網際網路，然後再試一次。",
    ),
    Code.SERVER_CLOSED: Entry(
        ERROR,
        N_("{host} closed the connection unexpectedly."),
        "{host} 意外关闭了连接。",
        N_(
            "The server may be overloaded or limit connections from your network, or this is not "
            "the {protocol} port. Check the port and try again later."
        ),
        "服务器可能负载过高或限制了来自你所在网络的连接，也可能这不是 {protocol} 端口。"
        "请检查端口并稍后重试。",
        message_zh_hant="{host} 意外關閉了連線。",
        fix_zh_hant="伺服器可能負載過高或限制了來自你所在網路的連線，"
        "也可能這不是 {protocol} 連接埠。請檢查連接埠並稍後再試。",
    ),
    Code.SERVER_SILENT: Entry(
        ERROR,
        N_("{host} accepted the connection on port {port} but never answered."),
        "{host} 接受了 {port} 端口的连接，但一直没有回应。",
        N_(
            "This port may not run a {protocol} server, or a firewall or proxy holds the "
            "connection. Check the port and its security setting (SSL/TLS or STARTTLS)."
        ),
        "该端口上可能不是 {protocol} 服务器，或者防火墙、代理拦住了连接。"
        "请检查端口及其加密方式（SSL/TLS 或 STARTTLS）。",
        message_zh_hant="{host} 接受了 {port} 連接埠的連線，但一直沒有回應。",
        fix_zh_hant="該連接埠上可能不是 {protocol} 伺服器，或者防火牆、代理伺服器擋住了連線。"
        "請檢查連接埠及其加密方式（SSL/TLS 或 STARTTLS）。",
    ),
    Code.SERVER_SLOW: Entry(
        ERROR,
        N_("{host} answered too slowly; the test ran out of time at the “{step}” step."),
        "{host} 响应太慢，测试在“{step}”步骤超时。",
        N_(
            "Try again later. If it stays slow, the server or the network path to it is overloaded."
        ),
        "请稍后重试。如果一直很慢，说明服务器或通往服务器的网络负载过高。",
        message_zh_hant="{host} 回應太慢，測試在「{step}」步驟逾時。",
        fix_zh_hant="請稍後再試。如果一直很慢，表示伺服器或通往伺服器的網路負載過高。",
    ),
    Code.SERVER_OVERSIZED: Entry(
        ERROR,
        N_("{host} sent far more data than a {protocol} server would; the test stopped reading."),
        "{host} 发送的数据远超 {protocol} 服务器应有的量，测试已停止读取。",
        N_("This port probably does not run a {protocol} server. Check the server name and port."),
        "该端口上可能不是 {protocol} 服务器。请检查服务器名称和端口。",
        message_zh_hant="{host} 傳送的資料遠超過 {protocol} 伺服器應有的量，測試已停止讀取。",
        fix_zh_hant="該連接埠上可能不是 {protocol} 伺服器。請檢查伺服器名稱和連接埠。",
    ),
    Code.SERVER_REFUSED_SESSION: Entry(
        ERROR,
        N_("{host} refused to start a {protocol} session: “{reply}”"),
        "{host} 拒绝建立 {protocol} 会话：“{reply}”",
        N_(
            "The server may block your network or be out of service; its own reason is quoted "
            "above. Try again later or ask the provider."
        ),
        "服务器可能屏蔽了你的网络或暂停了服务，上面引用的是服务器自己给出的原因。"
        "请稍后重试或联系服务商。",
        message_zh_hant="{host} 拒絕建立 {protocol} 工作階段：「{reply}」",
        fix_zh_hant="伺服器可能封鎖了你的網路或暫停了服務，上面引用的是伺服器本身提供的原因。"
        "請稍後再試或聯絡服務商。",
    ),
    Code.PROTOCOL_VIOLATION: Entry(
        ERROR,
        N_("{host} broke the {protocol} protocol."),
        "{host} 的回应不符合 {protocol} 协议。",
        N_(
            "Check that this port runs {protocol}. If it does, the server is faulty: tell its "
            "operator."
        ),
        "请确认该端口运行的是 {protocol}。如果是，说明服务器有故障，请告知其管理员。",
        message_zh_hant="{host} 的回應不符合 {protocol} 協定。",
        fix_zh_hant="請確認該連接埠執行的是 {protocol}。如果是，表示伺服器有故障，請告知其管理員。",
    ),
    Code.WRONG_PROTOCOL: Entry(
        ERROR,
        N_("{host} port {port} speaks {speaks}, not {protocol}."),
        "{host} 的 {port} 端口使用的是 {speaks}，而不是 {protocol}。",
        *_PORTS,
        message_zh_hant="{host} 的 {port} 連接埠使用的是 {speaks}，而不是 {protocol}。",
        fix_zh_hant=_PORTS_ZH_HANT,
    ),
    Code.PORT_PLAINTEXT: Entry(
        ERROR,
        N_("Port {port} does not start with SSL/TLS: the server greeted in plain text."),
        "{port} 端口并非一开始就使用 SSL/TLS：服务器以明文打招呼。",
        N_(
            "Set the security for this port to STARTTLS, or use the SSL/TLS port (993 for IMAP, "
            "995 for POP3, 465 for SMTP)."
        ),
        "请把该端口的加密方式设为 STARTTLS，或改用 SSL/TLS 端口（IMAP 993、POP3 995、SMTP 465）。",
        message_zh_hant="{port} 連接埠並非一開始就使用 SSL/TLS：伺服器以明文問候。",
        fix_zh_hant="請把該連接埠的加密方式設為 STARTTLS，或改用 SSL/TLS 連接埠（IMAP 993、"
        "POP3 995、SMTP 465）。",
    ),
    Code.PORT_NEEDS_TLS: Entry(
        ERROR,
        N_("Port {port} expects SSL/TLS from the first byte."),
        "{port} 端口要求从一开始就使用 SSL/TLS。",
        N_("Set the security for this port to SSL/TLS."),
        "请把该端口的加密方式设为 SSL/TLS。",
        message_zh_hant="{port} 連接埠要求從一開始就使用 SSL/TLS。",
        fix_zh_hant="請把該連接埠的加密方式設為 SSL/TLS。",
    ),
    Code.SERVICE_BUSY: Entry(
        ERROR,
        N_(
            "This service is testing many accounts right now and could not start the test "
            "of {host} port {port} in time. Your settings are not in question."
        ),
        "本服务正在测试许多账户，没能及时开始测试 {host} 的 {port} 端口。这与你的设置无关。",
        N_("Try again in a minute."),
        "请过一分钟再试。",
        message_zh_hant="本服務正在測試許多帳號，未能及時開始測試 {host} 的 {port} 連接埠。"
        "這與你的設定無關。",
        fix_zh_hant="請過一分鐘再試。",
    ),
    Code.CONNECTION_UNENCRYPTED: Entry(
        WARNING,
        N_(
            "The connection to {host} port {port} is not encrypted: your mail, and with most "
            "ways of logging in your password, would cross the network in clear text."
        ),
        "与 {host} 的 {port} 端口的连接未加密：你的邮件，以及大多数登录方式下的密码，"
        "都会以明文经过网络。",
        N_("Use SSL/TLS (993 for IMAP, 995 for POP3, 465 for SMTP) or STARTTLS instead."),
        "请改用 SSL/TLS（IMAP 993、POP3 995、SMTP 465）或 STARTTLS。",
        message_zh_hant="與 {host} 的 {port} 連接埠的連線未加密：你的郵件，以及大多數登入方式下的"
        "密碼，都會以明文經過網路。",
        fix_zh_hant="請改用 SSL/TLS（IMAP 993、POP3 995、SMTP 465）或 STARTTLS。",
    ),
    Code.SERVER_ERROR: Entry(
        ERROR,
        N_("{login}{host} answered the “{step}” step with a failure of its own: “{reply}”"),
        "{login}{host} 在“{step}”步骤回复了服务器自身的故障：“{reply}”",
        N_(
            "Nothing in your settings causes this, and only the server's operator can fix it: "
            "tell your provider. Until it is fixed, {protocol} through this server may fail."
        ),
        "这不是你的设置造成的，只有服务器的管理员能修复，请告知你的邮箱服务商。"
        "在修复之前，通过该服务器使用 {protocol} 可能会失败。",
        message_zh_hant="{login}{host} 在「{step}」步驟回覆了伺服器本身的故障：「{reply}」",
        fix_zh_hant="這不是你的設定造成的，只有伺服器的管理員能修復，請告知你的郵件服務商。"
        "在修復之前，透過此伺服器使用 {protocol} 可能會失敗。",
    ),
    Code.PROBE_ERROR: Entry(
        ERROR,
        N_("The tester failed while testing {host} port {port}: a fault of ours."),
        "测试工具在测试 {host} 的 {port} 端口时出错：这是我们的问题。",
        N_("Your settings are not in question. Try again in a moment."),
        "这与你的设置无关。请稍后重试。",
        message_zh_hant="測試工具在測試 {host} 的 {port} 連接埠時出錯：這是我們的問題。",
        fix_zh_hant="這與你的設定無關。請稍後再試。",
    ),
}
