"""Profile signing, verified by the openssl command against a root → intermediate → leaf chain."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.documents.mobileconfig import render_profile
from app.documents.signing import SigningError, sign_profile
from app.models import EmailAddress
from app.providers.db import ProviderDB

OPENSSL = shutil.which("openssl")
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: Key, issuer: str, issuer_key: Key, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:  # a TLS server certificate, as operators usually sign profiles with
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        ).add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: Key, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@dataclass(frozen=True)
class Chain:
    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    leaf_key: Key


def make_chain(leaf_key: Key) -> Chain:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert("Test Root CA", root_key, "Test Root CA", root_key, ca=True)
    mid_key = ec.generate_private_key(ec.SECP256R1())
    mid = _cert("Test Intermediate CA", mid_key, "Test Root CA", root_key, ca=True)
    leaf = _cert("mailsetup.test", leaf_key, "Test Intermediate CA", mid_key, ca=False)
    return Chain(root, mid, leaf, leaf_key)


@pytest.fixture(scope="module", params=["rsa", "ec"])
def chain(request: pytest.FixtureRequest) -> Chain:
    if request.param == "rsa":
        return make_chain(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return make_chain(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def profile(db: ProviderDB) -> bytes:
    return render_profile(
        db.config_for("icloud.com"),
        EmailAddress.parse("emily@icloud.com"),
        identifier_prefix="test.mailsetup",
        organization="Mailsetup Test",
    )


def sign(chain: Chain, profile: bytes, *, with_chain: bool = True) -> bytes:
    return sign_profile(
        profile,
        _pem(chain.leaf),
        _key_pem(chain.leaf_key),
        _pem(chain.intermediate) if with_chain else None,
    )


def openssl_verify(tmp_path: Path, signed: bytes, root: x509.Certificate) -> tuple[int, bytes, str]:
    """Exit code, recovered content and error text of ``openssl cms -verify``."""
    assert OPENSSL is not None, "the openssl command is needed (apt-get install openssl)"
    (tmp_path / "signed.der").write_bytes(signed)
    (tmp_path / "root.pem").write_bytes(_pem(root))
    out = tmp_path / "content.bin"
    out.unlink(missing_ok=True)
    result = subprocess.run(
        [OPENSSL, "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "signed.der"),
         "-CAfile", str(tmp_path / "root.pem"), "-purpose", "any", "-binary", "-out", str(out)],
        capture_output=True,
        timeout=30,
        check=False,
    )  # fmt: skip
    content = out.read_bytes() if result.returncode == 0 else b""
    return result.returncode, content, result.stderr.decode(errors="replace")


def test_openssl_verifies_and_recovers_the_profile(
    tmp_path: Path, chain: Chain, profile: bytes
) -> None:
    code, content, stderr = openssl_verify(tmp_path, sign(chain, profile), chain.root)
    assert code == 0, stderr
    assert content == profile


def test_signature_carries_leaf_and_intermediate(chain: Chain, profile: bytes) -> None:
    certs = pkcs7.load_der_pkcs7_certificates(sign(chain, profile))
    assert set(certs) == {chain.leaf, chain.intermediate}


def test_content_is_attached(chain: Chain, profile: bytes) -> None:
    signed = sign(chain, profile)
    assert profile in signed
    assert signed[0] == 0x30  # DER SEQUENCE, not PEM or S/MIME text


def test_without_the_intermediate_verification_fails(
    tmp_path: Path, chain: Chain, profile: bytes
) -> None:
    code, _, stderr = openssl_verify(tmp_path, sign(chain, profile, with_chain=False), chain.root)
    assert code != 0
    assert "unable to get local issuer certificate" in stderr


def test_altered_signature_fails(tmp_path: Path, chain: Chain, profile: bytes) -> None:
    signed = bytearray(sign(chain, profile))
    signed[-1] ^= 0x01  # the signature value is the last field of SignerInfo
    code, _, stderr = openssl_verify(tmp_path, bytes(signed), chain.root)
    assert code != 0
    assert "Verification failure" in stderr


def test_altered_content_fails(tmp_path: Path, chain: Chain, profile: bytes) -> None:
    signed = sign(chain, profile)
    tampered = signed.replace(b"imap.mail.me.com", b"imap.evil.me.com")
    assert tampered != signed
    code, _, stderr = openssl_verify(tmp_path, tampered, chain.root)
    assert code != 0
    assert "verify_content" in stderr


def test_wrong_root_fails(tmp_path: Path, chain: Chain, profile: bytes) -> None:
    other = make_chain(ec.generate_private_key(ec.SECP256R1()))
    code, _, stderr = openssl_verify(tmp_path, sign(chain, profile), other.root)
    assert code != 0
    assert "certificate verify error" in stderr


def test_encrypted_key(chain: Chain, profile: bytes) -> None:
    key_pem = _key_pem(chain.leaf_key, b"s3cret")
    signed = sign_profile(profile, _pem(chain.leaf), key_pem, key_password=b"s3cret")
    assert profile in signed
    with pytest.raises(SigningError, match="cannot be loaded"):
        sign_profile(profile, _pem(chain.leaf), key_pem)


def test_key_of_another_certificate(chain: Chain, profile: bytes) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(SigningError, match="does not belong"):
        sign_profile(profile, _pem(chain.leaf), _key_pem(stranger))


def test_unusable_inputs(chain: Chain, profile: bytes) -> None:
    with pytest.raises(SigningError, match="not valid PEM"):
        sign_profile(profile, b"not a certificate", _key_pem(chain.leaf_key))
    with pytest.raises(SigningError, match="not valid PEM"):
        sign_profile(profile, _pem(chain.leaf), _key_pem(chain.leaf_key), b"garbage")
    with pytest.raises(SigningError, match="cannot be loaded"):
        sign_profile(profile, _pem(chain.leaf), b"-----BEGIN PRIVATE KEY-----\n")
    ed = ed25519.Ed25519PrivateKey.generate()
    ed_pem = ed.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(SigningError, match="RSA or EC") as info:
        sign_profile(profile, _pem(chain.leaf), ed_pem)
    assert isinstance(info.value, ValueError)
