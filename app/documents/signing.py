"""Signing of configuration profiles: CMS SignedData, DER, content attached.

Devices show a signed profile as "Verified" when the chain leads to a root they
trust, so the intermediates travel inside the signature. The content is signed
byte for byte (``Binary``), never turned into canonical MIME text. A signed
profile is served with the same content type as an unsigned one.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from app.errors import MailsetupError


class SigningError(MailsetupError, ValueError):
    """The certificate, key or chain cannot sign a profile."""


def _public_der(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign_profile(
    profile: bytes,
    cert_pem: bytes,
    key_pem: bytes,
    chain_pem: bytes | None = None,
    *,
    key_password: bytes | None = None,
) -> bytes:
    """``profile`` wrapped in CMS SignedData (SHA-256), with ``chain_pem``'s certificates.

    The key must be RSA or EC and belong to ``cert_pem``; raise :class:`SigningError`.
    """
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        chain = x509.load_pem_x509_certificates(chain_pem) if chain_pem else []
    except ValueError as exc:
        raise SigningError(f"the certificate or chain is not valid PEM: {exc}") from exc
    try:
        key = serialization.load_pem_private_key(key_pem, password=key_password)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"the private key cannot be loaded: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError(f"a {type(key).__name__} cannot sign CMS; use an RSA or EC key")
    cert_public = cert.public_key()
    if not isinstance(cert_public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) or (
        _public_der(cert_public) != _public_der(key.public_key())
    ):
        raise SigningError("the private key does not belong to the certificate")
    builder = pkcs7.PKCS7SignatureBuilder().set_data(profile).add_signer(cert, key, hashes.SHA256())
    for extra in chain:
        if extra != cert:
            builder = builder.add_certificate(extra)
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
