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
        N_(
            "Use the SSL/TLS port instead (993 for IMAP, 995 for POP3, 465 for SMTP). Never send "
            "a password without encryption."
        ),
    ),
    Code.STARTTLS_REFUSED: Entry(
        ERROR,
        N_("{host} refused to start encryption (STARTTLS): “{reply}”"),
        N_(
            "Use the SSL/TLS port instead (993 for IMAP, 995 for POP3, 465 for SMTP), or try "
            "again later."
        ),
    ),
    Code.STARTTLS_INJECTION: Entry(
        WARNING,
        N_("{host} sent data before encryption started; the test ignored it."),
        N_(
            "Tell the server's operator: a server that answers ahead of STARTTLS lets an attacker "
            "slip in fake answers (the STARTTLS injection bugs). Prefer the SSL/TLS port."
        ),
    ),
    Code.TLS_GARBLED: Entry(
        ERROR,
        N_("{host} port {port} did not answer the encryption handshake with TLS."),
        N_(
            "This port may not start with SSL/TLS: try STARTTLS, or the SSL/TLS port (993, 995, "
            "465)."
        ),
    ),
    Code.TLS_HANDSHAKE_FAILED: Entry(
        ERROR,
        N_("The encryption handshake with {host} failed."),
        N_(
            "The server's TLS setup is broken, or something on this network blocks it. Try again "
            "later; if it persists, tell the server's operator."
        ),
    ),
    Code.TLS_OUTDATED: Entry(
        ERROR,
        N_(
            "{host} only offers {version}, which is obsolete and unsafe (RFC 8996); current mail "
            "apps refuse it."
        ),
        N_(
            "The server's operator must turn on TLS 1.2 or 1.3. Until then only old mail apps can "
            "connect, and not safely."
        ),
    ),
    Code.TLS_WEAK: Entry(
        ERROR,
        N_("{host} uses TLS settings (ciphers or key sizes) below today's security level."),
        N_(
            "The server's operator must update its TLS settings and certificate key; many mail "
            "apps refuse to connect until then."
        ),
    ),
    Code.CERT_EXPIRED: Entry(
        ERROR,
        N_("The certificate of {host} expired on {date}."),
        N_(
            "The server's operator must renew the certificate. "
            "Until it is fixed, mail apps warn or refuse to connect. Never accept the warning on a "
            "network you do not trust: the connection could be intercepted."
        ),
    ),
    Code.CERT_NOT_YET_VALID: Entry(
        ERROR,
        N_("The certificate of {host} is not valid before {date}."),
        N_(
            "If today's date is right, the server's operator installed a certificate that is not "
            "valid yet and must replace it. "
            "Until it is fixed, mail apps warn or refuse to connect. Never accept the warning on a "
            "network you do not trust: the connection could be intercepted."
        ),
    ),
    Code.CERT_SELF_SIGNED: Entry(
        ERROR,
        N_("{host} uses a self-signed certificate, which mail apps cannot verify."),
        N_(
            "The server's operator should install a certificate from a public certificate "
            "authority (Let's Encrypt is free). Accept this certificate in your mail app only if "
            "you have checked its fingerprint with the operator."
        ),
    ),
    Code.CERT_UNKNOWN_ISSUER: Entry(
        ERROR,
        N_(
            "The certificate of {host} comes from an authority this system does not trust: "
            "{issuer}."
        ),
        N_(
            "If the server belongs to your organisation, install the organisation's root "
            "certificate on your devices. Otherwise the server's operator should use a "
            "certificate from a public certificate authority."
        ),
    ),
    Code.CERT_MISSING_INTERMEDIATE: Entry(
        ERROR,
        N_(
            "{host} does not send the intermediate certificate that links its certificate to a "
            "trusted authority."
        ),
        N_(
            "The server's operator must install the full chain: the certificate followed by its "
            "intermediates (for example fullchain.pem, not cert.pem). Browsers often fetch the "
            "missing piece themselves; most mail apps do not."
        ),
    ),
    Code.CERT_HOSTNAME_MISMATCH: Entry(
        ERROR,
        N_("The certificate of {host} is for other names: {names}."),
        N_(
            "If one of those names is the same service, use it as the server name. Otherwise the "
            "server's operator must install a certificate that covers {host}."
        ),
    ),
    Code.CERT_INVALID: Entry(
        ERROR,
        N_("The certificate of {host} did not pass verification: “{reply}”"),
        N_(
            "The quote is OpenSSL's reason. The server's operator must fix the certificate. "
            "Until it is fixed, mail apps warn or refuse to connect. Never accept the warning on a "
            "network you do not trust: the connection could be intercepted."
        ),
    ),
    Code.CERT_EXPIRING: Entry(
        WARNING,
        N_("The certificate of {host} expires in {days} days, on {date}."),
        N_("The server's operator should renew it soon. Nothing needs to change in your mail app."),
    ),
    Code.PASSWORD_NOT_SENT_TLS: Entry(
        INFO,
        N_("The encrypted connection is not safe (see above), so {secret} was not sent."),
        N_(
            "Fix the problem above first. You can test the login anyway by allowing an invalid "
            "certificate, but only on a network you trust."
        ),
    ),
}
