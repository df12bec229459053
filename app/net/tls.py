"""TLS contexts for every outbound connection: the three handshake policies.

OpenSSL gives the verdict: a handshake under :attr:`TLSPolicy.STRICT` either succeeds
or raises ``SSLCertVerificationError``. Only then does the tester shake hands again
without verification (:attr:`TLSPolicy.INSPECT`) to read the chain.
"""

from __future__ import annotations

import functools
import ssl
from enum import StrEnum
from pathlib import Path


class TLSPolicy(StrEnum):
    """The rules a TLS handshake ran under."""

    STRICT = "strict"  # the system's defaults: TLS 1.2 or later, certificate verified
    LEGACY = "legacy"  # also TLS 1.0/1.1 and weak ciphers (@SECLEVEL=0), still verified
    INSPECT = "inspect"  # as LEGACY but unverified: only to read what the server sends


@functools.lru_cache(maxsize=4)
def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The strict policy: the system CA store plus ``ca_file`` (Settings.probe_ca_file).

    Hostname checks are on. Cached: loading the store costs milliseconds, and a
    context is not changed after creation, so probes and fetches share it.
    """
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


@functools.lru_cache(maxsize=8)
def policy_context(policy: TLSPolicy, ca_file: Path | None) -> ssl.SSLContext:
    """The context for ``policy``; LEGACY and INSPECT also accept TLS 1.0/1.1."""
    if policy is TLSPolicy.STRICT:
        return tls_context(ca_file)
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    # MINIMUM_SUPPORTED, unlike TLSv1, is not deprecated; OpenSSL 3 still needs
    # security level 0 to offer TLS 1.0/1.1 and their SHA-1 signatures.
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if policy is TLSPolicy.INSPECT:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
