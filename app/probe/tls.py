"""TLS for the tester: sorting failed handshakes, reading the chain the server sent,
and naming what is wrong with it (the contexts are :mod:`app.net.tls`).

OpenSSL gives the verdict: a handshake under :attr:`TLSPolicy.STRICT` either
succeeds or raises ``SSLCertVerificationError`` with an X509_V_ERR code. Only
then does the tester shake hands again without verification
(:attr:`TLSPolicy.INSPECT`) to read the chain; that second handshake never
carries a password unless the caller allows it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ssl
from typing import Any

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from app.net.tls import TLSPolicy
from app.probe.report import CertificateInfo, Code, Reason, TLSInfo
from app.probe.steps import TlsVia

# OpenSSL X509_V_ERR_* codes (include/openssl/x509_vfy.h) and what they mean here.
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10
DEPTH_ZERO_SELF_SIGNED_CERT = 18
SELF_SIGNED_CERT_IN_CHAIN = 19
UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
UNABLE_TO_GET_ISSUER_CERT = 2
HOSTNAME_MISMATCH = 62
IP_ADDRESS_MISMATCH = 64
_ISSUER_UNKNOWN = frozenset(
    {UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_VERIFY_LEAF_SIGNATURE, UNABLE_TO_GET_ISSUER_CERT}
)

# ssl.SSLError.reason values meaning the peer's answer was not a TLS handshake at all.
_NOT_TLS = frozenset(
    {
        "WRONG_VERSION_NUMBER",
        "HTTP_REQUEST",
        "HTTPS_PROXY_REQUEST",
        "UNKNOWN_PROTOCOL",
        "UNEXPECTED_MESSAGE",
        "RECORD_LAYER_FAILURE",
        "PACKET_LENGTH_TOO_LONG",
        "BAD_PACKET_LENGTH",
        "RECORD_LENGTH_MISMATCH",
        "DECODE_ERROR",
    }
)
# ... and meaning there is no protocol version both sides accept.
_NO_COMMON_VERSION = frozenset(
    {
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "UNSUPPORTED_PROTOCOL",
        "NO_PROTOCOLS_AVAILABLE",
        "VERSION_TOO_LOW",
    }
)
OUTDATED_VERSIONS = frozenset({"SSLv3", "TLSv1", "TLSv1.1"})  # RFC 8996, RFC 8997
EXPIRY_WARNING_DAYS = 14


def handshake_reason(exc: BaseException) -> Reason:
    """Sort a failed handshake: certificate, protocol version, not TLS, or other."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Reason.TLS_CERTIFICATE
    if isinstance(exc, ssl.SSLError):
        if exc.reason in _NOT_TLS:
            return Reason.TLS_GARBLED
        if exc.reason in _NO_COMMON_VERSION:
            return Reason.TLS_VERSION
    return Reason.TLS_HANDSHAKE


def escalate(reason: Reason, policy: TLSPolicy) -> TLSPolicy | None:
    """The policy to shake hands with next, or None when another try tells nothing new."""
    if reason is Reason.TLS_CERTIFICATE and policy is not TLSPolicy.INSPECT:
        return TLSPolicy.INSPECT
    if reason in (Reason.TLS_VERSION, Reason.TLS_HANDSHAKE) and policy is TLSPolicy.STRICT:
        return TLSPolicy.LEGACY
    return None


def _names(name: x509.Name) -> str:
    return name.rfc4514_string()


def describe(der: bytes) -> CertificateInfo:
    """Read one DER certificate (raises ValueError when it cannot be parsed)."""
    cert = x509.load_der_x509_certificate(der)
    sans: list[str] = []
    ca = False
    ca_issuers: list[str] = []
    for ext in cert.extensions:
        value = ext.value
        if isinstance(value, x509.SubjectAlternativeName):
            sans += value.get_values_for_type(x509.DNSName)
            sans += [str(ip) for ip in value.get_values_for_type(x509.IPAddress)]
        elif isinstance(value, x509.BasicConstraints):
            ca = value.ca
        elif isinstance(value, x509.AuthorityInformationAccess):
            ca_issuers += [
                d.access_location.value
                for d in value
                if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
                and isinstance(d.access_location, x509.UniformResourceIdentifier)
            ]
    return CertificateInfo(
        subject=_names(cert.subject),
        issuer=_names(cert.issuer),
        sans=tuple(sans),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        serial=f"{cert.serial_number:x}",
        sha256=hashlib.sha256(der).hexdigest(),
        self_signed=cert.subject == cert.issuer,
        ca=ca,
        ca_issuers=tuple(ca_issuers),
    )


def sent_chain(ssl_object: Any) -> list[bytes]:
    """The certificates the server sent, leaf first, as DER.

    Python 3.13 has ``get_unverified_chain()``; on 3.11 it sits on the private
    ``_sslobj``. Without either, the leaf alone.
    """
    getter = getattr(ssl_object, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)
    chain = getter() if getter is not None else None
    if chain:
        der = ssl._ssl.ENCODING_DER  # type: ignore[attr-defined]
        return [c if isinstance(c, bytes) else c.public_bytes(der) for c in chain]
    leaf = ssl_object.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def session_info(
    ssl_object: Any,
    *,
    via: TlsVia,
    policy: TLSPolicy,
    verdict: tuple[int, str] | None,
    now: dt.datetime,
) -> TLSInfo:
    """Describe an established session. Certificates that do not parse are left out."""
    chain: list[CertificateInfo] = []
    for der in sent_chain(ssl_object):
        try:
            chain.append(describe(der))
        except ValueError:
            continue  # cryptography refuses it; OpenSSL's verdict still stands
    cipher = ssl_object.cipher()
    verified = policy is not TLSPolicy.INSPECT
    days = (chain[0].not_after - now).days if chain else None
    return TLSInfo(
        via=via,
        policy=policy,
        version=ssl_object.version(),
        cipher=cipher[0] if cipher else None,
        verified=verified,
        verify_code=None if verified or verdict is None else verdict[0],
        verify_message=None if verified or verdict is None else verdict[1],
        chain=tuple(chain),
        days_to_expiry=days,
    )


def certificate_problem(tls: TLSInfo) -> Code | None:
    """The finding for OpenSSL's verdict, telling a missing intermediate from an
    unknown issuer by the chain the server sent.

    Code 20/21 means no trusted issuer was found. If the server sent CA
    certificates, it sent its intermediates and the root they lead to is not
    trusted: unknown issuer. If it sent only end-entity certificates and the top
    one names where its issuer can be fetched (AIA caIssuers, as every public
    CA's certificates do), the server left out the intermediate.
    """
    code = tls.verify_code
    if tls.verified or code is None:
        return None
    if code == CERT_HAS_EXPIRED:
        return Code.CERT_EXPIRED
    if code == CERT_NOT_YET_VALID:
        return Code.CERT_NOT_YET_VALID
    if code == DEPTH_ZERO_SELF_SIGNED_CERT:
        return Code.CERT_SELF_SIGNED
    if code in (HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH):
        return Code.CERT_HOSTNAME_MISMATCH
    if code == SELF_SIGNED_CERT_IN_CHAIN:
        return Code.CERT_UNKNOWN_ISSUER
    if code in _ISSUER_UNKNOWN:
        top = tls.chain[-1] if tls.chain else None
        sent_ca = any(c.ca for c in tls.chain)
        if top is not None and not sent_ca and not top.self_signed and top.ca_issuers:
            return Code.CERT_MISSING_INTERMEDIATE
        return Code.CERT_UNKNOWN_ISSUER
    return Code.CERT_INVALID
