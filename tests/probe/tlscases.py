"""Real TLS servers with broken certificates or old protocol versions, one per case.

Certificates come from trustme and, where trustme cannot make them (a self-signed
leaf, a leaf naming its issuer's URL in AIA), from ``cryptography`` directly.
SMTP servers are aiosmtpd with implicit TLS; the TLS 1.1 server is a tiny
threaded POP3 server on blocking ``ssl`` sockets, because asyncio resets the
connection where a blocking server sends the protocol_version alert, and both
must be handled.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from tests.realservers import listen_in_test_range
from tests.servers import Handler, authenticator, free_port

NOW = dt.datetime.now(dt.UTC)
AIA_URL = "http://ca.test/intermediate.der"


@dataclass(frozen=True)
class ServerCert:
    """What a server sends (leaf first) and its key, as PEM."""

    chain: tuple[bytes, ...]
    key: bytes

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        cert.write_bytes(b"".join(self.chain))
        key.write_bytes(self.key)
        return cert, key


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _leaf_builder(host: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> Any:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )


def self_signed(host: str = "mail.test") -> ServerCert:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    cert = _leaf_builder(host, name, key).sign(key, hashes.SHA256())
    return ServerCert((_pem(cert),), _key_pem(key))


def leaf_with_aia(issuer: trustme.CA, host: str = "mail.test") -> ServerCert:
    """A leaf like a public CA's: it names where its issuer's certificate lives (AIA)."""
    issuer_key = serialization.load_pem_private_key(issuer.private_key_pem.bytes(), None)
    issuer_cert = x509.load_pem_x509_certificate(issuer.cert_pem.bytes())
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(AIA_URL)
            )
        ]
    )
    cert = (
        _leaf_builder(host, issuer_cert.subject, key)
        .add_extension(aia, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return ServerCert((_pem(cert),), _key_pem(key))


def from_trustme(leaf: trustme.LeafCert, *, with_chain: bool = True) -> ServerCert:
    pems = [p.bytes() for p in leaf.cert_chain_pems]
    return ServerCert(tuple(pems if with_chain else pems[:1]), leaf.private_key_pem.bytes())


def server_context(
    cert: ServerCert, directory: Path, name: str, *, old: str = ""
) -> ssl.SSLContext:
    """A server context; ``old`` ("TLSv1" or "TLSv1_1") allows only that version."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if old:
        with warnings.catch_warnings():  # the old versions are deprecated, which is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion[old]
            context.maximum_version = ssl.TLSVersion[old]
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.load_cert_chain(*cert.write(directory, name))
    return context


class SmtpsController(Controller):
    """aiosmtpd with implicit TLS that starts whatever the certificate or TLS version.

    aiosmtpd's own start-up check shakes hands with TLS 1.2+; a TCP connect is
    enough to make asyncio build the protocol, which is all the check waits for.
    """

    def _trigger_server(self) -> None:
        with socket.create_connection((self.hostname, self.port), 1.0):
            pass


@contextlib.contextmanager
def smtps(context: ssl.SSLContext) -> Iterator[int]:
    controller = SmtpsController(
        Handler(),
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="mail.test",
        ssl_context=context,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@contextlib.contextmanager
def blocking_pop3s(context: ssl.SSLContext) -> Iterator[int]:
    """A POP3 server on blocking TLS sockets: greets, refuses CAPA, says goodbye to QUIT."""
    listener = listen_in_test_range()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        conn.settimeout(5)
        with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"+OK old server ready\r\n")
            for line in tls.makefile("rb"):
                reply = b"+OK bye\r\n" if line.startswith(b"QUIT") else b"-ERR no\r\n"
                tls.sendall(reply)
                if reply.startswith(b"+OK bye"):
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            serve(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        listener.close()
